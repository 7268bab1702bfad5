import { SbertError } from "../errors.js";
import { DenseMatrix } from "../tensor/dense.js";

/**
 * What the similarity utilities accept: a float32 matrix (rows × dims), or one vector (dims), which
 * counts as a 1 × dims matrix, like a 1-D tensor in Python.
 */
export type EmbeddingsInput = DenseMatrix<Float32Array> | Float32Array | readonly number[];

/**
 * A score function as `semanticSearch` / `paraphraseMiningEmbeddings` call it:
 * (queries: n × d, corpus: m × d) → scores n × m.
 */
export type ScoreFunction = (a: DenseMatrix<Float32Array>, b: DenseMatrix<Float32Array>) => DenseMatrix<Float32Array>;

/** `input` as a float32 matrix; a vector becomes one row (no copy for Float32Array / DenseMatrix). */
export function toMatrix(input: EmbeddingsInput, name: string): DenseMatrix<Float32Array> {
  if (input instanceof DenseMatrix) {
    if (!(input.data instanceof Float32Array)) {
      throw new SbertError("INVALID_INPUT", `${name} must hold float32 values; dequantize int8/uint8 embeddings first`);
    }
    return input;
  }
  if (input instanceof Float32Array) return new DenseMatrix(input, 1, input.length);
  if (Array.isArray(input)) {
    const data = Float32Array.from(input as readonly unknown[], (v, i) => {
      if (typeof v !== "number") {
        throw new SbertError("INVALID_INPUT", `${name}[${i}] is ${typeof v}; pass numbers or a DenseMatrix for several rows`);
      }
      return v;
    });
    return new DenseMatrix(data, 1, data.length);
  }
  throw new SbertError("INVALID_INPUT", `${name} must be a DenseMatrix, a Float32Array or an array of numbers`);
}

/** Rows [start, end) as a view (no copy). */
export function sliceRows(m: DenseMatrix<Float32Array>, start: number, end: number): DenseMatrix<Float32Array> {
  return new DenseMatrix(m.data.subarray(start * m.cols, end * m.cols), end - start, m.cols);
}

/** Throws INVALID_INPUT unless both matrices have the same number of columns. */
export function requireSameDims(a: DenseMatrix<Float32Array>, b: DenseMatrix<Float32Array>, what: string): void {
  if (a.cols !== b.cols) {
    throw new SbertError(
      "INVALID_INPUT",
      `${what}: embedding dimensions differ (${a.cols} vs ${b.cols}); embed both sides with the same model`,
    );
  }
}

/** Throws INVALID_INPUT unless `value` is an integer ≥ `min`. */
export function requireInt(value: number, min: number, name: string): void {
  if (!Number.isInteger(value) || value < min) {
    throw new SbertError("INVALID_INPUT", `${name} must be an integer ≥ ${min}, got ${value}`);
  }
}
