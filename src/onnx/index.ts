/** ONNX export: build ONNX graphs from our safetensors models, quantize them, cache them. */
export { exportOnnx, buildOnnxModel, defaultOnnxFileName, type ExportableModel, type ExportOnnxOptions, type ExportOnnxResult } from "./export.js";
export { acquireOnnxModel, ensureOnnxModel, onnxCacheFolder, type EnsureOnnxOptions, type OnnxGraphFile } from "./ensure.js";
export { quantizeDynamic } from "./quantize-dynamic.js";
