/** Evaluators (Python sentence-transformers' definitions) and the dataset readers that feed them. */
export { type Evaluator, type SentenceEncoder, type QueryDocumentEncoder, type PairScorer, prefixNameToMetrics } from "./evaluator.js";
export { rankdata, pearson, spearman } from "./stats.js";
export { averagePrecision, ndcgScore } from "./ranking-metrics.js";
export {
  findBestAccAndThreshold,
  findBestF1AndThreshold,
  matthewsCorrcoef,
  f1Scores,
  binaryScoreMetrics,
  type AccuracyThreshold,
  type F1Threshold,
  type F1Scores,
  type BinaryScoreMetrics,
} from "./classification-metrics.js";
export { EmbeddingSimilarityEvaluator, embeddingSimilarityMetrics, type EmbeddingSimilarityEvaluatorOptions } from "./embedding-similarity.js";
export { BinaryClassificationEvaluator, binaryClassificationMetrics, BINARY_METRIC_NAMES, type BinaryClassificationEvaluatorOptions } from "./binary-classification.js";
export { TripletEvaluator, tripletAccuracy, type TripletEvaluatorOptions } from "./triplet.js";
export { TopKCollector, irMetrics, DEFAULT_IR_CUTOFFS, type IrCutoffs, type IrHit } from "./ir-metrics.js";
export {
  InformationRetrievalEvaluator,
  type InformationRetrievalEvaluatorOptions,
  type IdTexts,
  type RelevantDocs,
} from "./information-retrieval.js";
export {
  CrossEncoderRerankingEvaluator,
  rerankingScores,
  type RerankingSample,
  type RerankingScores,
  type CrossEncoderRerankingEvaluatorOptions,
} from "./cross-encoder-reranking.js";
export {
  CrossEncoderClassificationEvaluator,
  binaryClassificationScores,
  multiClassScores,
  type CrossEncoderClassificationEvaluatorOptions,
} from "./cross-encoder-classification.js";
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
