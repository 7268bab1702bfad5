/** Pure utilities over embeddings (no model): similarity, search, mining, clustering, quantization. The folder barrel for code inside src/; the root src/index.ts lists the public part. */
export type { EmbeddingsInput, ScoreFunction } from "./embeddings-input.js";
export {
  cosSim,
  dotScore,
  euclideanSim,
  manhattanSim,
  pairwiseCosSim,
  pairwiseDotScore,
  pairwiseEuclideanSim,
  pairwiseManhattanSim,
  normalizeEmbeddings,
  similarityFunction,
  pairwiseSimilarityFunction,
  isSimilarityFunctionName,
  SIMILARITY_FUNCTION_NAMES,
  type SimilarityFunctionName,
  type SimilarityFn,
  type PairwiseSimilarityFn,
} from "./similarity.js";
export { semanticSearch, type SemanticSearchHit, type SemanticSearchOptions } from "./semantic-search.js";
export { paraphraseMiningEmbeddings, type ParaphrasePair, type ParaphraseMiningOptions } from "./paraphrase-mining.js";
export { communityDetection, type CommunityDetectionOptions } from "./community-detection.js";
export {
  quantizeEmbeddings,
  QUANTIZATION_PRECISIONS,
  type QuantizationPrecision,
  type QuantizeOptions,
} from "./quantization.js";
