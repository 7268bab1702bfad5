import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape, sameShape, shapeText } from "../tensor.js";
import { rowNormsF64 } from "./normalize.js";

/** Σ of all elements → a 0-d tensor (shape []). Float64 accumulation. */
export function sum(x: Tensor): Tensor {
  let s = 0;
  for (let i = 0; i < x.size; i++) s += x.data[i] as number;
  const y = new Tensor(Float32Array.of(s), []);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => accumulateGrad(x, new Float32Array(x.size).fill(g[0] as number), true));
}

/** Mean of all elements → a 0-d tensor (shape []). */
export function mean(x: Tensor): Tensor {
  checkShape(x.size > 0, "mean", "mean of an empty tensor");
  let s = 0;
  for (let i = 0; i < x.size; i++) s += x.data[i] as number;
  const n = x.size;
  const y = new Tensor(Float32Array.of(s / n), []);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => accumulateGrad(x, new Float32Array(n).fill((g[0] as number) / n), true));
}

/** Σ over the last dimension: (..., D) → (...). */
export function rowSum(x: Tensor): Tensor {
  const d = x.dim(-1);
  const rows = x.size / d;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x.data[r * d + j] as number;
    out[r] = s;
  }
  const y = new Tensor(out, x.shape.slice(0, -1));
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => {
    const dx = new Float32Array(x.size);
    for (let r = 0; r < rows; r++) dx.fill(g[r] as number, r * d, (r + 1) * d);
    accumulateGrad(x, dx, true);
  });
}

/** Row-wise dot products Σ_j a_ij b_ij over the last dimension, equal shapes: (..., D), (..., D) → (...). */
export function rowDot(a: Tensor, b: Tensor): Tensor {
  checkShape(a.shape.length > 0 && sameShape(a.shape, b.shape), "rowDot", `shapes ${shapeText(a.shape)} and ${shapeText(b.shape)} must be equal (and not 0-d)`);
  const d = a.dim(-1);
  const rows = a.size / d;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (a.data[r * d + j] as number) * (b.data[r * d + j] as number);
    out[r] = s;
  }
  const y = new Tensor(out, a.shape.slice(0, -1));
  if (!needsGrad(a, b)) return y;
  return record(y, [a, b], (g) => {
    if (a.requiresGrad) accumulateGrad(a, b.data.map((v, i) => v * (g[Math.floor(i / d)] as number)), true);
    if (b.requiresGrad) accumulateGrad(b, a.data.map((v, i) => v * (g[Math.floor(i / d)] as number)), true);
  });
}

/**
 * Euclidean norm of every row, sqrt(Σ_j x_ij²) in float64 (`rowNormsF64`): (N, D) → (N). The gradient is x / ‖x‖, taken as 0
 * for an all-zero row (where torch.sqrt's backward would give NaN).
 */
export function rowNorm(x: Tensor): Tensor {
  const d = x.dim(-1);
  const rows = x.size / d;
  const norms = rowNormsF64(x.data, rows, d);
  const y = new Tensor(Float32Array.from(norms), x.shape.slice(0, -1));
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => {
    const dx = new Float32Array(x.size);
    for (let r = 0; r < rows; r++) {
      const n = norms[r] as number;
      if (n === 0) continue;
      const c = (g[r] as number) / n;
      for (let j = 0; j < d; j++) dx[r * d + j] = c * (x.data[r * d + j] as number);
    }
    accumulateGrad(x, dx, true);
  });
}
