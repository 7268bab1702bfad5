import { join } from "node:path";
import { SbertError } from "../errors.js";
import type { OnnxGraphSource } from "../modules/transformer.js";
import { acquireOnnxModel } from "./ensure.js";
import { defaultOnnxFileName } from "./export.js";

/**
 * The `onnxGraph` a Transformer gets from `loadPipeline`: the default graph (or its int8 variant)
 * exported from the folder's safetensors weights on first use into the per-model ONNX cache
 * (ensure.ts); any other file name must already be in the folder's `onnx/`.
 */
export const transformerOnnxGraph: OnnxGraphSource = (dir, { task, fileName, onnxCache }) => {
  const int8 = defaultOnnxFileName({ quantize: "int8" });
  if (fileName !== defaultOnnxFileName() && fileName !== int8) {
    const own = join(dir, "onnx", fileName);
    return Promise.reject(new SbertError("FILE_NOT_FOUND", `${own} is missing; only ${defaultOnnxFileName()} and ${int8} are built on first use`));
  }
  return acquireOnnxModel(dir, {
    task,
    fileName,
    writeTo: "cache",
    ...(fileName === int8 ? { quantize: "int8" as const } : {}),
    ...(onnxCache !== undefined ? { onnxCache } : {}),
  });
};
