import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape, shapeText } from "../tensor.js";

/** Mean and 1 / sqrt(var + eps) of row `o..o+c` (biased variance, float64), as the forward uses. */
function rowStats(x: Float32Array, o: number, c: number, eps: number): [number, number] {
  let mean = 0;
  for (let i = 0; i < c; i++) mean += x[o + i] as number;
  mean /= c;
  let v = 0;
  for (let i = 0; i < c; i++) {
    const d = (x[o + i] as number) - mean;
    v += d * d;
  }
  return [mean, 1 / Math.sqrt(v / c + eps)];
}

/**
 * Layer normalization over the last dimension, as `torch.nn.LayerNorm`:
 * y = (x − mean) / sqrt(var + eps) · gamma + beta, biased variance. x (..., C) → (..., C), so
 * (B·T, H) and (B, T, H) alike (leading dimensions are rows of the same buffer, no copy);
 * gamma and beta are (C); beta undefined is LayerNorm without bias (`bias=False`).
 * Backward with x̂ = (x − mean)·inv: dgamma = Σ dy·x̂, dbeta = Σ dy,
 * dx = inv · (dx̂ − mean(dx̂) − x̂ · mean(dx̂·x̂)) where dx̂ = dy·gamma.
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor | undefined, eps: number): Tensor {
  const c = x.dim(-1);
  const isVec = (t: Tensor): boolean => t.shape.length === 1 && t.shape[0] === c;
  checkShape(isVec(gamma) && (!beta || isVec(beta)), "layerNorm", `input ${shapeText(x.shape)} needs gamma and beta of shape [${c}], got ${shapeText(gamma.shape)} and ${shapeText(beta?.shape ?? [c])}`);
  const rows = x.size / c;
  const out = new Float32Array(x.size);
  const g = gamma.data;
  const b = beta?.data;
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    const [mean, inv] = rowStats(x.data, o, c, eps);
    for (let i = 0; i < c; i++) out[o + i] = ((x.data[o + i] as number) - mean) * inv * (g[i] as number) + (b ? (b[i] as number) : 0);
  }
  const y = new Tensor(out, x.shape);
  if (!needsGrad(x, gamma, beta)) return y;
  return record(y, beta ? [x, gamma, beta] : [x, gamma], (dy) => {
    const dx = x.requiresGrad ? new Float32Array(x.size) : undefined;
    const dg = new Float64Array(c);
    const db = new Float64Array(c);
    const xhat = new Float64Array(c);
    const dxhat = new Float64Array(c);
    for (let r = 0; r < rows; r++) {
      const o = r * c;
      const [mean, inv] = rowStats(x.data, o, c, eps);
      let sumD = 0;
      let sumDX = 0;
      for (let i = 0; i < c; i++) {
        const xh = ((x.data[o + i] as number) - mean) * inv;
        const d = dy[o + i] as number;
        xhat[i] = xh;
        dg[i] = (dg[i] as number) + d * xh;
        db[i] = (db[i] as number) + d;
        const dh = d * (g[i] as number);
        dxhat[i] = dh;
        sumD += dh;
        sumDX += dh * xh;
      }
      if (dx) {
        const mD = sumD / c;
        const mDX = sumDX / c;
        for (let i = 0; i < c; i++) dx[o + i] = inv * ((dxhat[i] as number) - mD - (xhat[i] as number) * mDX);
      }
    }
    if (dx) accumulateGrad(x, dx, true);
    accumulateGrad(gamma, dg);
    if (beta) accumulateGrad(beta, db);
  });
}
