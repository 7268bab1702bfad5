import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape, shapeText } from "../tensor.js";

/**
 * RMS normalization, as transformers' `Qwen3RMSNorm` / `T5LayerNorm` (offset 0) and
 * `Gemma3RMSNorm` (offset 1): y = x · r · (offset + w) with r = 1 / sqrt(mean(x²) + eps), in float32
 * (statistics in float64). The mean is over groups of G = w.size consecutive values of the last
 * axis, so a (headDim) weight normalizes every head of (B, T, heads · headDim) on its own (q_norm).
 * x (..., C) with C a multiple of G → same shape.
 *
 * Backward per group, with g_i = offset + w_i: dw_i += Σ dy_i x_i r;
 * dx_j = r g_j dy_j − r³ x_j / G · Σ_i dy_i g_i x_i.
 *
 * @example rmsNorm(Tensor.from([[3, 4]]), Tensor.from([0, 0]), 0, 1) // [[0.8485, 1.1314]] (x / sqrt(12.5))
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number, offset: 0 | 1): Tensor {
  const g = weight.size;
  checkShape(weight.shape.length === 1 && g > 0 && x.shape.length > 0 && x.dim(-1) % g === 0, "rmsNorm", `input ${shapeText(x.shape)} needs a weight whose size divides its last axis, got ${shapeText(weight.shape)}`);
  const groups = x.size / g;
  const w = weight.data;
  const out = new Float32Array(x.size);
  const inv = new Float64Array(groups);
  for (let r = 0; r < groups; r++) {
    const o = r * g;
    let ss = 0;
    for (let i = 0; i < g; i++) ss += (x.data[o + i] as number) ** 2;
    const ri = 1 / Math.sqrt(ss / g + eps);
    inv[r] = ri;
    for (let i = 0; i < g; i++) out[o + i] = Math.fround((x.data[o + i] as number) * ri) * (offset + (w[i] as number));
  }
  const y = new Tensor(out, x.shape);
  if (!needsGrad(x, weight)) return y;
  return record(y, [x, weight], (dy) => {
    const dx = x.requiresGrad ? new Float32Array(x.size) : undefined;
    const dw = new Float64Array(g);
    for (let r = 0; r < groups; r++) {
      const o = r * g;
      const ri = inv[r] as number;
      let s = 0;
      for (let i = 0; i < g; i++) {
        const xi = x.data[o + i] as number;
        const d = dy[o + i] as number;
        dw[i] = (dw[i] as number) + d * xi * ri;
        s += d * (offset + (w[i] as number)) * xi;
      }
      if (!dx) continue;
      const c = (ri * ri * ri * s) / g;
      for (let i = 0; i < g; i++) dx[o + i] = ri * (offset + (w[i] as number)) * (dy[o + i] as number) - c * (x.data[o + i] as number);
    }
    if (dx) accumulateGrad(x, dx, true);
    accumulateGrad(weight, dw);
  });
}
