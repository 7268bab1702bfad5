import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape, shapeText } from "../tensor.js";

/**
 * Root-mean-square normalization (T5's `T5LayerNorm`, Gemma's `GemmaRMSNorm`):
 * y = x / sqrt(mean(x²) + eps) · (offset + w), no mean subtraction, no bias. The mean runs over
 * groups of G = `weight.size` consecutive values of the last axis, so G = C normalizes each
 * (…, C) row and G = headDim normalizes each head of (B, T, heads · headDim). x (…, C) → (…, C).
 * Statistics in float64, output float32.
 *
 * Backward per group with inv = 1 / sqrt(mean(x²) + eps), x̂ = x · inv, γ = offset + w:
 * dw = Σ dy · x̂ (over all groups); dx = inv · (dx̂ − x̂ · mean(dx̂ · x̂)), dx̂ = dy · γ.
 *
 * @example rmsNorm(x, w, 1e-6, 0) // T5LayerNorm: x (2, 5, 48), w (48)
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number, offset: 0 | 1): Tensor {
  const g = weight.size;
  const c = x.dim(-1);
  checkShape(weight.shape.length === 1 && g > 0 && c % g === 0, "rmsNorm", `input ${shapeText(x.shape)} needs a weight whose size divides ${c}, got ${shapeText(weight.shape)}`);
  const groups = x.size / g;
  const xd = x.data;
  const w = weight.data;
  const out = new Float32Array(x.size);
  const inv = new Float64Array(groups);
  for (let r = 0; r < groups; r++) {
    const o = r * g;
    let ss = 0;
    for (let i = 0; i < g; i++) ss += (xd[o + i] as number) * (xd[o + i] as number);
    const s = 1 / Math.sqrt(ss / g + eps);
    inv[r] = s;
    for (let i = 0; i < g; i++) out[o + i] = Math.fround((xd[o + i] as number) * s) * (offset + (w[i] as number));
  }
  const y = new Tensor(out, x.shape);
  if (!needsGrad(x, weight)) return y;
  return record(y, [x, weight], (dy) => {
    const dx = x.requiresGrad ? new Float32Array(x.size) : undefined;
    const dw = new Float64Array(g);
    for (let r = 0; r < groups; r++) {
      const o = r * g;
      const s = inv[r] as number;
      let dot = 0;
      for (let i = 0; i < g; i++) {
        const xh = (xd[o + i] as number) * s;
        const d = dy[o + i] as number;
        dw[i] = (dw[i] as number) + d * xh;
        dot += d * (offset + (w[i] as number)) * xh;
      }
      if (dx) {
        const m = dot / g;
        for (let i = 0; i < g; i++) {
          const xh = (xd[o + i] as number) * s;
          dx[o + i] = s * ((dy[o + i] as number) * (offset + (w[i] as number)) - xh * m);
        }
      }
    }
    if (dx) accumulateGrad(x, dx, true);
    accumulateGrad(weight, dw);
  });
}
