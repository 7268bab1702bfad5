import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape } from "../tensor.js";

/**
 * Row-wise L2 normalization, as `torch.nn.functional.normalize(x, p=2, dim=1, eps)`:
 * x / max(‖x‖, eps). (rows, cols) → (rows, cols).
 */
export function l2NormalizeRows(data: Float32Array, rows: number, cols: number, eps = 1e-12): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += (data[r * cols + j] as number) ** 2;
    const n = Math.max(Math.sqrt(s), eps);
    for (let j = 0; j < cols; j++) out[r * cols + j] = (data[r * cols + j] as number) / n;
  }
  return out;
}

/**
 * Differentiable `l2NormalizeRows` over the last dimension: x (..., D) → (..., D).
 * Backward with n = ‖x‖ and y = x / n: dx = (dy − y (y·dy)) / n; where the norm is clamped to
 * eps the denominator is a constant, so dx = dy / eps (as torch's clamp_min).
 */
export function l2Normalize(x: Tensor, eps = 1e-12): Tensor {
  const cols = x.dim(-1);
  checkShape(cols > 0, "l2Normalize", `last dimension is empty in [${x.shape.join(", ")}]`);
  const rows = x.size / cols;
  const y = new Tensor(l2NormalizeRows(x.data, rows, cols, eps), x.shape);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => {
    const dx = new Float32Array(x.size);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += (x.data[o + j] as number) ** 2;
      const norm = Math.sqrt(s);
      if (norm <= eps) {
        for (let j = 0; j < cols; j++) dx[o + j] = (g[o + j] as number) / eps;
        continue;
      }
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += ((x.data[o + j] as number) / norm) * (g[o + j] as number);
      for (let j = 0; j < cols; j++) dx[o + j] = ((g[o + j] as number) - ((x.data[o + j] as number) / norm) * dot) / norm;
    }
    accumulateGrad(x, dx, true);
  });
}
