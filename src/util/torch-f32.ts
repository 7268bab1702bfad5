/**
 * Float32 kernels that round like PyTorch's CPU float32 paths, so that scores (and therefore ties
 * and threshold decisions) come out bit-identical to the Python goldens:
 *
 * - `rowNormF32`: `x.norm(p=2, dim=-1)` — ATen's vectorised last-dim norm with 8 float32 lanes
 *   (AVX2 dispatch): lane `l` accumulates `x[d]²` for `d ≡ l (mod 8)`, the lanes are added left
 *   to right, then the `dims % 8` tail, then `sqrt`. Matches `embeddings_normalized` of every
 *   fixture bit for bit (a float64 sum does not).
 * - `matmulTransposedF32`: `torch.mm(a, b.T)` with a reference BLAS `sgemm`: each product is
 *   rounded to float32 and added to a float32 accumulator in dimension order. Matches
 *   `cos_sim_corpus_corpus` and every `similarity_normalized_first6` bit for bit.
 *
 * `Math.fround(x op y)` for float32 `x`, `y` is the correctly rounded float32 result for + − × ÷ and
 * sqrt (double has more than twice float32's precision), so every step below is exact float32.
 */
import { DenseMatrix } from "../tensor/dense.js";

const fround = Math.fround;
const LANES = 8;
/** `torch.nn.functional.normalize`'s default eps, as the float32 it is clamped to. */
const NORMALIZE_EPS = fround(1e-12);

/** L2 norm of `data[offset, offset + n)` as ATen computes it for float32 (see module doc). */
export function rowNormF32(data: Float32Array, offset: number, n: number): number {
  const vecEnd = n - (n % LANES);
  let l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
  for (let d = offset, end = offset + vecEnd; d < end; d += LANES) {
    const x0 = data[d]!, x1 = data[d + 1]!, x2 = data[d + 2]!, x3 = data[d + 3]!;
    const x4 = data[d + 4]!, x5 = data[d + 5]!, x6 = data[d + 6]!, x7 = data[d + 7]!;
    l0 = fround(l0 + fround(x0 * x0));
    l1 = fround(l1 + fround(x1 * x1));
    l2 = fround(l2 + fround(x2 * x2));
    l3 = fround(l3 + fround(x3 * x3));
    l4 = fround(l4 + fround(x4 * x4));
    l5 = fround(l5 + fround(x5 * x5));
    l6 = fround(l6 + fround(x6 * x6));
    l7 = fround(l7 + fround(x7 * x7));
  }
  let acc = fround(l0 + l1);
  acc = fround(acc + l2);
  acc = fround(acc + l3);
  acc = fround(acc + l4);
  acc = fround(acc + l5);
  acc = fround(acc + l6);
  acc = fround(acc + l7);
  for (let d = offset + vecEnd, end = offset + n; d < end; d++) {
    const x = data[d]!;
    acc = fround(acc + fround(x * x));
  }
  return fround(Math.sqrt(acc));
}

/**
 * `torch.nn.functional.normalize(m, p=2, dim=-1)`: each row divided by max(‖row‖, 1e-12), so a zero
 * row stays zero (no NaN). Returns a new (rows × cols) matrix. The normalization that is bit-exact
 * with torch (CPU float32), for every embedding and score compared with Python; the differentiable
 * float64 one, for training, is `l2Normalize` in `tensor/ops/normalize.ts`.
 */
export function normalizeRowsF32(m: DenseMatrix<Float32Array>): DenseMatrix<Float32Array> {
  const { rows, cols, data } = m;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    const norm = rowNormF32(data, off, cols);
    const denom = norm > NORMALIZE_EPS ? norm : NORMALIZE_EPS;
    for (let c = 0; c < cols; c++) out[off + c] = data[off + c]! / denom;
  }
  return new DenseMatrix(out, rows, cols);
}

/** Float32 dot product of `a[ao, ao + n)` and `b[bo, bo + n)`, accumulated in dimension order. */
export function dotF32(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let acc = 0;
  for (let d = 0; d < n; d++) acc = fround(acc + fround(a[ao + d]! * b[bo + d]!));
  return acc;
}

/** (n × d) · (m × d)ᵀ → (n × m), as `torch.mm(a, b.T)` on CPU with reference BLAS (see module doc). */
export function matmulTransposedF32(a: DenseMatrix<Float32Array>, b: DenseMatrix<Float32Array>): DenseMatrix<Float32Array> {
  const n = a.rows, m = b.rows, d = a.cols;
  const out = new Float32Array(n * m);
  const ad = a.data, bd = b.data;
  for (let i = 0; i < n; i++) {
    const ao = i * d;
    for (let j = 0; j < m; j++) out[i * m + j] = dotF32(ad, ao, bd, j * d, d);
  }
  return new DenseMatrix(out, n, m);
}
