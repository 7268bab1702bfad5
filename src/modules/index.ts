/**
 * `sbert-ts/modules`: the pipeline modules of a sentence-transformers folder (Python's
 * `sentence_transformers.models`): `new SentenceTransformer(modules, config)` takes them, and
 * `model.modules` lists them. Nothing here is imported from inside src/: this file is the public
 * entry only.
 */
export type { Features, PipelineModule } from "./module.js";
export { Transformer, type TextInput, type TransformerTask } from "./transformer.js";
export { Pooling, POOLING_MODES, type PoolingMode, type PoolingConfig } from "./pooling.js";
export { Dense } from "./dense.js";
export { Normalize } from "./normalize.js";
export { StaticEmbedding } from "./static-embedding.js";
export { MultiVectorMask } from "./multi-vector-mask.js";
export { CLIPModel, type ClipLayout } from "./clip-model.js";
export type { ImageInput, ImagePreprocessor, ImagePreprocessorFactory, ImageInputModule, PixelBatch } from "./image-input.js";
export { SpladePooling, type SpladeActivation, type SpladePoolingConfig, type SpladeStrategy } from "./splade-pooling.js";
export { SparseStaticEmbedding } from "./sparse-static-embedding.js";
export { Router } from "./router.js";
export type { InputModule } from "./input-module.js";
export { resolveModuleType } from "./registry.js";
export { supportedModelTypes } from "../architectures/registry.js";
