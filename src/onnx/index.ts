/**
 * `sbert-ts/onnx`: ONNX graphs built from a model folder's safetensors weights (optionally with
 * Pooling/Dense/Normalize baked in, optionally int8), written into the folder or into the ONNX
 * cache; `exportOnnx` also takes a model loaded on the native backend. Nothing here is imported
 * from inside src/: this file is the public entry only.
 */
export { exportOnnx, defaultOnnxFileName, type ExportableModel, type ExportOnnxOptions, type ExportOnnxResult } from "./export.js";
export { ensureOnnxModel, type EnsureOnnxOptions } from "./ensure.js";
export { exportClipOnnx } from "./clip-graph.js";
