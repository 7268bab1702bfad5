import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { opKernels } from "../op-kernels.js";
import { Tensor, checkShape, shapeText } from "../tensor.js";
import { scratch32 } from "../arena.js";

/**
 * Layer normalization over the last dimension, as `torch.nn.LayerNorm`:
 * y = (x − mean) / sqrt(var + eps) · gamma + beta, biased variance. x (..., C) → (..., C), so
 * (B·T, H) and (B, T, H) alike (leading dimensions are rows of the same buffer, no copy);
 * gamma and beta are (C); beta undefined is LayerNorm without bias (`bias=False`).
 * Backward with x̂ = (x − mean)·inv: dgamma = Σ dy·x̂, dbeta = Σ dy,
 * dx = inv · (dx̂ − mean(dx̂) − x̂ · mean(dx̂·x̂)) where dx̂ = dy·gamma. Both passes run through
 * `opKernels()` (op-kernels.ts: the float64 reference, or the native port with the same numbers).
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor | undefined, eps: number): Tensor {
  const c = x.dim(-1);
  const isVec = (t: Tensor): boolean => t.shape.length === 1 && t.shape[0] === c;
  checkShape(isVec(gamma) && (!beta || isVec(beta)), "layerNorm", `input ${shapeText(x.shape)} needs gamma and beta of shape [${c}], got ${shapeText(gamma.shape)} and ${shapeText(beta?.shape ?? [c])}`);
  const rows = x.size / c;
  const out = scratch32(x.size);
  // no bias: the kernel adds zeros (torch LayerNorm(bias=False) adds nothing, the same numbers)
  opKernels().layerNormForward(x.data, gamma.data, beta?.data ?? new Float32Array(c), out, rows, c, eps);
  const y = new Tensor(out, x.shape);
  if (!needsGrad(x, gamma, beta)) return y;
  return record(y, beta ? [x, gamma, beta] : [x, gamma], (dy) => {
    const dx = x.requiresGrad ? scratch32(x.size) : null;
    const dg = new Float64Array(c);
    const db = new Float64Array(c);
    opKernels().layerNormBackward(x.data, gamma.data, dy, dx, dg, db, rows, c, eps);
    if (dx) accumulateGrad(x, dx, true);
    accumulateGrad(gamma, dg);
    if (beta) accumulateGrad(beta, db);
  });
}
