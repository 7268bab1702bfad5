import { Tensor, checkShape } from "../tensor.js";

/**
 * Layer normalization over the last dimension, as `torch.nn.LayerNorm`:
 * y = (x − mean) / sqrt(var + eps) · gamma + beta, biased variance. x (..., C) → (..., C).
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const c = x.dim(-1);
  checkShape(gamma.size === c && beta.size === c, "layerNorm", `${c} features, gamma ${gamma.size}, beta ${beta.size}`);
  const rows = x.size / c;
  const out = new Float32Array(x.size);
  const g = gamma.data;
  const b = beta.data;
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    let mean = 0;
    for (let i = 0; i < c; i++) mean += x.data[o + i] as number;
    mean /= c;
    let v = 0;
    for (let i = 0; i < c; i++) {
      const d = (x.data[o + i] as number) - mean;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / c + eps);
    for (let i = 0; i < c; i++) out[o + i] = ((x.data[o + i] as number) - mean) * inv * (g[i] as number) + (b[i] as number);
  }
  return new Tensor(out, x.shape);
}
