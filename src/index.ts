/**
 * sbert-ts public surface, the root `sbert-ts`: what an application calls to embed, score and
 * search — the two model classes and their option types, the embedding utilities, saving, errors.
 * Everything else comes from a subpath (package.json "exports"), each with its own `index.ts`:
 *
 *   sbert-ts/training    trainers, losses, datasets, optimizer, schedules, checkpoints
 *   sbert-ts/evaluation  evaluators and the dataset readers that feed them
 *   sbert-ts/server      startServer (the HTTP server of `sbert serve`)
 *   sbert-ts/onnx        exportOnnx, ensureOnnxModel
 *   sbert-ts/hub         downloadModel, resolveModelDir, hubEnv
 *   sbert-ts/modules     the pipeline modules (Transformer, Pooling, Dense, Normalize)
 *   sbert-ts/tensor      Tensor, autograd, the GEMM kernel, safetensors files
 *
 * Nothing else is public; test/public-api.test.ts holds the allow-list of every entry's runtime
 * values, so the surface cannot grow silently.
 */
export { SbertError, type ErrorCode } from "./errors.js";
export { DenseMatrix, type DenseData } from "./tensor/dense.js";
export type { TokenBatch } from "./tokenizers/text-tokenizer.js";
export type { ShowProgressBar, ProgressStream } from "./progress.js";
export type { BackendName, BackendOptions } from "./backends/backend.js";
export type { HubOptions } from "./hub/resolve.js";
export {
  SentenceTransformer,
  type EncodeOptions,
  type EncodeCommonOptions,
  type QuantizedEncodeOptions,
  type TokenEmbeddingsOptions,
  type AnyEncodeOptions,
  type EncodeResult,
  type OutputValue,
  type Precision,
  type SentenceTransformerLoadOptions,
  type EncodeInputs,
} from "./models/sentence-transformer.js";
export type { EncodeInput } from "./models/multimodal-encode.js";
export type { ImageInput } from "./modules/image-input.js";
export { CrossEncoder, type CrossEncoderActivation, type CrossEncoderLoadOptions, type PredictOptions, type RankOptions, type RankResult } from "./models/cross-encoder.js";
export { SparseEncoder, type SparseEncodeOptions, type SparseEncoderLoadOptions } from "./models/sparse-encoder.js";
export {
  SparseEmbeddings,
  sparseSemanticSearch,
  sparseSimilarity,
  type SparseEntry,
  type SparseRow,
  type SparseSearchHit,
  type SparseSimilarityName,
} from "./util/sparse-embeddings.js";
export { paraphraseMining, type ParaphraseMiningModelOptions } from "./models/paraphrase-mining.js";
export {
  MultiVectorEncoder,
  type EncodeTask,
  type MultiVectorEncodeOptions,
  type MultiVectorTaskOptions,
  type MultiVectorRankOptions,
  type MultiVectorRankResult,
  type MultiVectorEncoderLoadOptions,
  type MultiVectorSimilarityName,
} from "./models/multi-vector-encoder.js";
export { maxSim, maxSimPairwise } from "./util/maxsim.js";
export { saveSentenceTransformer, type SaveOptions } from "./models/save.js";
export { saveCrossEncoder } from "./models/save-cross-encoder.js";
export type { EmbeddingsInput, ScoreFunction } from "./util/embeddings-input.js";
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
  type SimilarityFunctionName,
} from "./util/similarity.js";
export { semanticSearch, type SemanticSearchHit, type SemanticSearchOptions } from "./util/semantic-search.js";
export { paraphraseMiningEmbeddings, type ParaphrasePair, type ParaphraseMiningOptions } from "./util/paraphrase-mining.js";
export { communityDetection, type CommunityDetectionOptions } from "./util/community-detection.js";
export { quantizeEmbeddings, type QuantizationPrecision, type QuantizeOptions } from "./util/quantization.js";
export { VectorIndex, type CreateIndexOptions, type IndexHit, type IndexPrecision, type IndexSearchOptions } from "./index/vector-index.js";
