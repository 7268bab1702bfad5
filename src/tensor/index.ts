/**
 * `sbert-ts/tensor`: the low-level engine under the models — `Tensor` (Float32Array + shape, ops
 * with their backward), the autograd switches, the seeded `Rng`, the swappable GEMM kernel
 * (`setGemmKernel` returns the previous one, to put it back) and safetensors files. Nothing here
 * is imported from inside src/: this file is the public entry only.
 */
export { DenseMatrix, type DenseData } from "./dense.js";
export { Tensor } from "./tensor.js";
export { backward, enableGrad, isGradEnabled, noGrad } from "./autograd.js";
export { Rng } from "./random.js";
export { type GemmKernel, setGemmKernel } from "./kernels.js";
export { readSafetensors, writeSafetensors, parseSafetensors, serializeSafetensors, type SafetensorsFile, type TensorRecord } from "../io/safetensors.js";
