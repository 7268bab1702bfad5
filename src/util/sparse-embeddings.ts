/**
 * Sparse embeddings (SPLADE and other `SparseEncoder` outputs) in CSR form — row offsets,
 * ascending column indices, values — with the utilities sentence-transformers offers on its torch
 * sparse tensors: `select_max_active_dims` (util/tensor.py), `SparseEncoder.sparsity`,
 * dot / cosine similarity and semantic search over sparse rows.
 *
 * @example
 * const e = SparseEmbeddings.fromRows([{ indices: [3, 7], values: [0.5, 1.2] }], 30522);
 * e.entries(0); // [{ index: 3, value: 0.5 }, { index: 7, value: 1.2 }]
 * sparseSimilarity(e, e, "dot").data; // Float32Array [1.69]
 */
import { SbertError } from "../errors.js";
import { DenseMatrix } from "../tensor/dense.js";
import { torchTopk } from "./topk.js";

/** One non-zero entry: a vocabulary id and its weight (TEI's `/embed_sparse` shape). */
export interface SparseEntry {
  index: number;
  value: number;
}

/** One row's non-zeros, indices ascending. */
export interface SparseRow<I = Int32Array, V = Float32Array> {
  indices: I;
  values: V;
}

export class SparseEmbeddings {
  /** (rows + 1) offsets: row i holds entries [indptr[i], indptr[i + 1]). */
  readonly indptr: Int32Array;
  /** Column (vocabulary) ids, ascending within each row. */
  readonly indices: Int32Array;
  readonly values: Float32Array;
  /** Columns (the vocabulary size). */
  readonly dim: number;

  /** RangeError when the arrays do not form a CSR matrix with ascending in-range indices. */
  constructor(indptr: Int32Array, indices: Int32Array, values: Float32Array, dim: number) {
    if (!Number.isInteger(dim) || dim < 0 || indptr.length < 1 || indptr[0] !== 0 || indices.length !== values.length || indptr[indptr.length - 1] !== indices.length) {
      throw new RangeError("SparseEmbeddings: indptr, indices and values do not form a CSR matrix");
    }
    for (let r = 0; r + 1 < indptr.length; r++) {
      const [s, e] = [indptr[r] as number, indptr[r + 1] as number];
      if (e < s) throw new RangeError(`SparseEmbeddings: row ${r} has a negative length`);
      for (let j = s; j < e; j++) {
        const ix = indices[j] as number;
        if (ix < 0 || ix >= dim || (j > s && ix <= (indices[j - 1] as number))) {
          throw new RangeError(`SparseEmbeddings: row ${r} indices must be ascending and within [0, ${dim})`);
        }
      }
    }
    this.indptr = indptr;
    this.indices = indices;
    this.values = values;
    this.dim = dim;
  }

  /** The non-zeros of row-major dense rows (rows × dim). */
  static fromDense(data: Float32Array, rows: number, dim: number): SparseEmbeddings {
    const indptr = new Int32Array(rows + 1);
    let nnz = 0;
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) nnz++;
    const indices = new Int32Array(nnz);
    const values = new Float32Array(nnz);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < dim; j++) {
        const v = data[r * dim + j] as number;
        if (v !== 0) {
          indices[k] = j;
          values[k++] = v;
        }
      }
      indptr[r + 1] = k;
    }
    return new SparseEmbeddings(indptr, indices, values, dim);
  }

  /** From per-row `{ indices, values }` (indices ascending). */
  static fromRows(rows: readonly SparseRow<ArrayLike<number>, ArrayLike<number>>[], dim: number): SparseEmbeddings {
    const indptr = new Int32Array(rows.length + 1);
    rows.forEach((r, i) => {
      if (r.indices.length !== r.values.length) throw new RangeError(`SparseEmbeddings.fromRows: row ${i} has ${r.indices.length} indices and ${r.values.length} values`);
      indptr[i + 1] = (indptr[i] as number) + r.indices.length;
    });
    const indices = new Int32Array(indptr[rows.length] as number);
    const values = new Float32Array(indices.length);
    rows.forEach((r, i) => {
      indices.set(Array.from(r.indices), indptr[i] as number);
      values.set(Array.from(r.values), indptr[i] as number);
    });
    return new SparseEmbeddings(indptr, indices, values, dim);
  }

  get rows(): number {
    return this.indptr.length - 1;
  }

  /** Non-zeros in all rows. */
  get nnz(): number {
    return this.indices.length;
  }

  /** Row `i`'s indices and values (views, no copy). */
  row(i: number): SparseRow {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows) throw new RangeError(`row ${i} out of range [0, ${this.rows})`);
    const [s, e] = [this.indptr[i] as number, this.indptr[i + 1] as number];
    return { indices: this.indices.subarray(s, e), values: this.values.subarray(s, e) };
  }

  /** Row `i` as `{ index, value }` entries, indices ascending. */
  entries(i: number): SparseEntry[] {
    const { indices, values } = this.row(i);
    return Array.from(indices, (index, j) => ({ index, value: values[j] as number }));
  }

  /** Every row as plain `{ indices, values }` number arrays (JSON-ready). */
  toArrays(): SparseRow<number[], number[]>[] {
    return Array.from({ length: this.rows }, (_, i) => {
      const r = this.row(i);
      return { indices: Array.from(r.indices), values: Array.from(r.values) };
    });
  }

  /** The dense (rows × dim) matrix. */
  toDense(): DenseMatrix {
    const out = new Float32Array(this.rows * this.dim);
    for (let r = 0; r < this.rows; r++) for (let j = this.indptr[r] as number; j < (this.indptr[r + 1] as number); j++) out[r * this.dim + (this.indices[j] as number)] = this.values[j] as number;
    return new DenseMatrix(out, this.rows, this.dim);
  }
}

/**
 * Keeps the `k` largest |values| of a dense row in place, zeroing the rest, exactly as
 * `select_max_active_dims` (`torch.topk(abs(row), min(k, dim))`, then scatter).
 */
export function selectMaxActiveDims(row: Float32Array, k: number): void {
  const n = row.length;
  if (k >= n) return;
  const abs = new Float32Array(n);
  for (let j = 0; j < n; j++) abs[j] = Math.abs(row[j] as number);
  const keep = torchTopk(abs, 0, n, k, true).indices;
  const kept = new Float32Array(n);
  for (const j of keep) kept[j] = row[j] as number;
  row.set(kept);
}

/** `SparseEncoder.sparsity`: mean non-zeros per row (float32, as torch.mean) and 1 − that / dim. */
export function sparsity(e: SparseEmbeddings): { activeDims: number; sparsityRatio: number } {
  if (e.rows === 0 || e.dim === 0) return { activeDims: 0, sparsityRatio: 1 };
  const activeDims = Math.fround(e.nnz / e.rows);
  return { activeDims, sparsityRatio: 1 - activeDims / e.dim };
}

export type SparseSimilarityName = "dot" | "cosine";

/**
 * All-pairs similarity (a.rows × b.rows) of sparse rows: dot product, or cosine (dot over the
 * product of L2 norms; a zero row scores 0). Sums in float64, stored as float32.
 */
export function sparseSimilarity(a: SparseEmbeddings, b: SparseEmbeddings, fn: SparseSimilarityName = "dot"): DenseMatrix {
  if (fn !== "dot" && fn !== "cosine") throw new SbertError("INVALID_INPUT", `sparse similarity must be "dot" or "cosine", got "${String(fn)}"`);
  if (a.dim !== b.dim) throw new SbertError("INVALID_INPUT", `sparse embeddings have ${a.dim} and ${b.dim} dimensions; they must come from the same model`);
  const out = new Float32Array(a.rows * b.rows);
  const scratch = new Float64Array(a.dim);
  const normsB = fn === "cosine" ? rowNorms(b) : undefined;
  const normsA = fn === "cosine" ? rowNorms(a) : undefined;
  for (let i = 0; i < a.rows; i++) {
    const ra = a.row(i);
    ra.indices.forEach((ix, j) => (scratch[ix] = ra.values[j] as number));
    for (let k = 0; k < b.rows; k++) {
      let s = 0;
      for (let j = b.indptr[k] as number; j < (b.indptr[k + 1] as number); j++) s += (scratch[b.indices[j] as number] as number) * (b.values[j] as number);
      if (normsA && normsB) {
        const d = (normsA[i] as number) * (normsB[k] as number);
        s = d === 0 ? 0 : s / d;
      }
      out[i * b.rows + k] = s;
    }
    for (const ix of ra.indices) scratch[ix] = 0;
  }
  return new DenseMatrix(out, a.rows, b.rows);
}

function rowNorms(e: SparseEmbeddings): Float64Array {
  const out = new Float64Array(e.rows);
  for (let r = 0; r < e.rows; r++) {
    let s = 0;
    for (let j = e.indptr[r] as number; j < (e.indptr[r + 1] as number); j++) s += (e.values[j] as number) ** 2;
    out[r] = Math.sqrt(s);
  }
  return out;
}

/** One search hit over a sparse corpus. */
export interface SparseSearchHit {
  corpusId: number;
  score: number;
}

/**
 * The `topK` best corpus rows per query by `fn` (default dot product, what sparse retrieval uses),
 * best first (torch.topk's order for ties).
 */
export function sparseSemanticSearch(queries: SparseEmbeddings, corpus: SparseEmbeddings, opts: { topK?: number; scoreFunction?: SparseSimilarityName } = {}): SparseSearchHit[][] {
  const topK = opts.topK ?? 10;
  if (!Number.isInteger(topK) || topK <= 0) throw new SbertError("INVALID_INPUT", `topK must be a positive integer, got ${topK}`);
  const scores = sparseSimilarity(queries, corpus, opts.scoreFunction ?? "dot");
  const k = Math.min(topK, corpus.rows);
  return Array.from({ length: queries.rows }, (_, q) => {
    const t = torchTopk(scores.data, q * corpus.rows, corpus.rows, k, true);
    return Array.from(t.indices, (corpusId, j) => ({ corpusId, score: t.values[j] as number }));
  });
}
