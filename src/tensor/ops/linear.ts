import { gemmKernel } from "../kernels.js";
import { Tensor, checkShape } from "../tensor.js";

/**
 * y = x · Wᵀ + b, as `torch.nn.Linear`: x (..., in), weight (out, in), bias (out) → (..., out).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const inF = x.dim(-1);
  checkShape(weight.shape.length === 2 && weight.dim(1) === inF, "linear", `input has ${inF} features, weight is [${weight.shape.join(", ")}]`);
  const outF = weight.dim(0);
  checkShape(!bias || (bias.shape.length === 1 && bias.dim(0) === outF), "linear", `bias of shape [${bias?.shape.join(", ")}] for ${outF} outputs`);
  const rows = x.size / inF;
  const out = new Float32Array(rows * outF);
  gemmKernel().gemmNT(x.data, weight.data, out, rows, inF, outF, bias?.data);
  return new Tensor(out, [...x.shape.slice(0, -1), outF]);
}

/** (M, K) · (K, N) → (M, N). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkShape(a.shape.length === 2 && b.shape.length === 2 && a.dim(1) === b.dim(0), "matmul", `[${a.shape.join(", ")}] · [${b.shape.join(", ")}]`);
  const [m, k, n] = [a.dim(0), a.dim(1), b.dim(1)];
  const out = new Float32Array(m * n);
  gemmKernel().gemmNN(a.data, b.data, out, m, k, n);
  return new Tensor(out, [m, n]);
}
