/**
 * L2 normalization with float64 sums: the differentiable one, for training (losses, a Normalize
 * module under autograd). It agrees with torch to ~1e-7 relative but is NOT bit-exact with torch's
 * float32 kernels; the bit-exact one, for embeddings and scores compared with Python, is
 * `normalizeRowsF32` in `util/torch-f32.ts` (8-lane float32 sums, as ATen). Two numeric contracts,
 * one home each: every caller that needs gradients uses this file, every caller that must match
 * Python's scores bit for bit uses `normalizeRowsF32`.
 */
import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape } from "../tensor.js";

/** ‖row‖₂ of each row of a (rows, cols) array, summed in float64: (rows, cols) → (rows). */
export function rowNormsF64(data: Float32Array, rows: number, cols: number): Float64Array {
  const norms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += (data[r * cols + j] as number) ** 2;
    norms[r] = Math.sqrt(s);
  }
  return norms;
}

/**
 * Row-wise L2 normalization, as `torch.nn.functional.normalize(x, p=2, dim=1, eps)` computed in
 * float64: x / max(‖x‖, eps). (rows, cols) → (rows, cols). `norms` are `rowNormsF64` of `data`.
 */
export function l2NormalizeRows(data: Float32Array, rows: number, cols: number, eps = 1e-12, norms = rowNormsF64(data, rows, cols)): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const n = Math.max(norms[r] as number, eps);
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
  const norms = rowNormsF64(x.data, rows, cols);
  const y = new Tensor(l2NormalizeRows(x.data, rows, cols, eps, norms), x.shape);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => {
    const dx = new Float32Array(x.size);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const norm = norms[r] as number;
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
