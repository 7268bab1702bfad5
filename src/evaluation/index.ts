/**
 * `sbert-ts/evaluation`: evaluators with Python sentence-transformers' metrics and names (each
 * returns a metrics record with a `primaryMetric`), and the readers of the datasets that feed them.
 * The metric helpers behind them (rank statistics, top-k collection, threshold searches) are
 * internal. Nothing here is imported from inside src/: this file is the public entry only.
 */
export type { Evaluator, SentenceEncoder, QueryDocumentEncoder, PairScorer } from "./evaluator.js";
export { EmbeddingSimilarityEvaluator, type EmbeddingSimilarityEvaluatorOptions } from "./embedding-similarity.js";
export { BinaryClassificationEvaluator, type BinaryClassificationEvaluatorOptions } from "./binary-classification.js";
export { TripletEvaluator, type TripletEvaluatorOptions } from "./triplet.js";
export type { IrCutoffs } from "./ir-metrics.js";
export {
  InformationRetrievalEvaluator,
  type InformationRetrievalEvaluatorOptions,
  type IdTexts,
  type RelevantDocs,
} from "./information-retrieval.js";
export { CrossEncoderRerankingEvaluator, type RerankingSample, type CrossEncoderRerankingEvaluatorOptions } from "./cross-encoder-reranking.js";
export { CrossEncoderClassificationEvaluator, type CrossEncoderClassificationEvaluatorOptions } from "./cross-encoder-classification.js";
export {
  parseStsb,
  readStsb,
  parseMrpc,
  readMrpc,
  parseBeir,
  readBeir,
  type ScoredPairs,
  type LabelledPairs,
  type RetrievalSet,
  type StsbOptions,
  type BeirOptions,
} from "./datasets.js";
