/**
 * sbert-ts public surface: everything a user imports comes from here.
 */
export { SbertError, type ErrorCode } from "./errors.js";
export { DenseMatrix, type DenseData } from "./tensor/dense.js";
export { Tensor } from "./tensor/tensor.js";
export { type GemmKernel, setGemmKernel, jsGemmKernel } from "./tensor/kernels.js";
export { TextTokenizer, type TokenBatch } from "./tokenizers/text-tokenizer.js";
export { readSafetensors, writeSafetensors, parseSafetensors, serializeSafetensors, type SafetensorsFile, type TensorRecord } from "./io/safetensors.js";
export { supportedModelTypes } from "./architectures/registry.js";
export type { Features, PipelineModule } from "./modules/module.js";
export { Transformer, type TextInput, type TransformerTask } from "./modules/transformer.js";
export { Pooling, POOLING_MODES, type PoolingMode, type PoolingConfig } from "./modules/pooling.js";
export { Dense } from "./modules/dense.js";
export { Normalize } from "./modules/normalize.js";
export { resolveModuleType } from "./modules/registry.js";
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
} from "./models/sentence-transformer.js";
export { CrossEncoder, type CrossEncoderActivation, type CrossEncoderLoadOptions, type PredictOptions, type RankOptions, type RankResult } from "./models/cross-encoder.js";
export { paraphraseMining, type ParaphraseMiningModelOptions } from "./models/paraphrase-mining.js";
export { folderModelKind, type FolderKind, type ModelKind } from "./modules/folder-kind.js";
export { type ShowProgressBar, type ProgressStream, ProgressLine, type ProgressLineOptions, wantsProgressBar } from "./progress.js";
export * from "./util/index.js";
export * from "./evaluation/index.js";
export { resolveModelDir, downloadModel, hubEnv, progressBar, type HubOptions, type ResolvedModel, type DownloadProgress } from "./hub/index.js";
export type { BackendName, BackendOptions, InferenceBackend } from "./backends/backend.js";
export { startServer, type RunningServer, type StartOptions, type ServerConfig } from "./server/index.js";
export * from "./training/index.js";
export * from "./losses/index.js";
export { exportOnnx, ensureOnnxModel, defaultOnnxFileName, type ExportOnnxOptions, type ExportOnnxResult, type EnsureOnnxOptions } from "./onnx/index.js";
export { saveSentenceTransformer, type SaveOptions } from "./models/save.js";
