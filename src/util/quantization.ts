/**
 * `sentence_transformers.quantization.quantize_embeddings` over float32 embeddings.
 */
import { SbertError } from "../errors.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { DenseMatrix, type DenseData } from "../tensor/dense.js";

export const QUANTIZATION_PRECISIONS = ["float32", "int8", "uint8", "binary", "ubinary"] as const;
export type QuantizationPrecision = (typeof QUANTIZATION_PRECISIONS)[number];

export interface QuantizeOptions {
  /** int8 / uint8 only: a 2 × dims float32 matrix, row 0 the per-dimension minimum, row 1 the maximum. */
  ranges?: DenseMatrix<Float32Array>;
  /** int8 / uint8 only, when `ranges` is absent: the ranges are the per-dimension min / max of these rows. */
  calibrationEmbeddings?: DenseMatrix<Float32Array>;
}

const KEYS = optionKeys<QuantizeOptions>({ ranges: true, calibrationEmbeddings: true });

const fround = Math.fround;

/**
 * Embeddings (n × dims, float32) in a smaller precision, exactly as Python computes them:
 *
 * - "float32": a copy.
 * - "uint8" / "int8": per dimension, start = min and step = (max - min) / 255 in float32
 *   (a step of 0 becomes 1); q = clip(floor((x - start) / step), 0, 255), each operation rounded to
 *   float32 in this order; "int8" returns q - 128. The ranges come from `ranges`, else from
 *   `calibrationEmbeddings`, else from the embeddings themselves (then they depend on the batch).
 *   A per-dimension maximum quantizes to 255 or 254, depending on float32 rounding, as in Python.
 * - "ubinary": the bits x > 0 packed 8 per byte, first dimension in the most significant bit
 *   (`np.packbits`), ceil(dims / 8) bytes per row; "binary": the same bytes - 128 as int8.
 *
 * @example
 * quantizeEmbeddings(embeddings, "ubinary"); // DenseMatrix<Uint8Array>, n × ceil(dims / 8)
 */
export function quantizeEmbeddings(embeddings: DenseMatrix<Float32Array>, precision: "float32", options?: QuantizeOptions): DenseMatrix<Float32Array>;
export function quantizeEmbeddings(embeddings: DenseMatrix<Float32Array>, precision: "int8" | "binary", options?: QuantizeOptions): DenseMatrix<Int8Array>;
export function quantizeEmbeddings(embeddings: DenseMatrix<Float32Array>, precision: "uint8" | "ubinary", options?: QuantizeOptions): DenseMatrix<Uint8Array>;
export function quantizeEmbeddings(
  embeddings: DenseMatrix<Float32Array>,
  precision: QuantizationPrecision | (string & {}),
  options?: QuantizeOptions,
): DenseMatrix<DenseData>;
export function quantizeEmbeddings(
  embeddings: DenseMatrix<Float32Array>,
  precision: string,
  options: QuantizeOptions = {},
): DenseMatrix<DenseData> {
  if (!(embeddings instanceof DenseMatrix) || !(embeddings.data instanceof Float32Array)) {
    throw new SbertError("INVALID_INPUT", "embeddings to quantize must be a float32 DenseMatrix (not int8 / uint8)");
  }
  checkOptions(options, KEYS, "quantizeEmbeddings");
  requireNoNaN(embeddings);
  switch (precision) {
    case "float32":
      return new DenseMatrix(embeddings.data.slice(), embeddings.rows, embeddings.cols);
    case "uint8":
    case "int8":
      return quantizeBuckets(embeddings, precision, options);
    case "ubinary":
      return packBits(embeddings);
    case "binary": {
      const packed = packBits(embeddings);
      const signed = Int8Array.from(packed.data, (byte) => byte - 128);
      return new DenseMatrix(signed, packed.rows, packed.cols);
    }
    default:
      throw new SbertError(
        "INVALID_INPUT",
        `precision ${JSON.stringify(precision)} is not supported; use one of ${QUANTIZATION_PRECISIONS.join(", ")}`,
      );
  }
}

/**
 * NaN has no bucket and no sign, so it is refused for every precision alike (binary would
 * otherwise turn it into a 0 bit, i.e. −128, silently). ±Infinity is kept: it clips to a bucket
 * end and has a sign, as in numpy.
 */
function requireNoNaN(m: DenseMatrix<Float32Array>): void {
  const i = m.data.findIndex(Number.isNaN);
  if (i < 0) return;
  const r = Math.floor(i / m.cols), c = i % m.cols;
  throw new SbertError("INVALID_INPUT", `embeddings[${r}][${c}] is NaN; quantizeEmbeddings needs numbers for every precision (check the model's outputs)`);
}

function quantizeBuckets(
  embeddings: DenseMatrix<Float32Array>,
  precision: "int8" | "uint8",
  options: QuantizeOptions,
): DenseMatrix<Int8Array | Uint8Array> {
  const { rows, cols, data } = embeddings;
  const out = precision === "int8" ? new Int8Array(rows * cols) : new Uint8Array(rows * cols);
  if (rows === 0) return new DenseMatrix(out, 0, cols);
  const { starts, steps } = bucketRanges(embeddings, options);
  const offset = precision === "int8" ? 128 : 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const x = data[i]!;
      if (Number.isNaN(x)) throw new SbertError("INVALID_INPUT", `embeddings[${r}][${c}] is NaN; it has no ${precision} bucket`);
      const q = Math.floor(fround(fround(x - starts[c]!) / steps[c]!));
      out[i] = Math.min(Math.max(q, 0), 255) - offset;
    }
  }
  return new DenseMatrix(out, rows, cols);
}

/** Per-dimension start (min) and float32 step ((max - min) / 255, 0 → 1). */
function bucketRanges(embeddings: DenseMatrix<Float32Array>, options: QuantizeOptions): { starts: Float32Array; steps: Float32Array } {
  const { ranges, calibrationEmbeddings } = options;
  const cols = embeddings.cols;
  let mins: Float32Array, maxs: Float32Array;
  if (ranges !== undefined) {
    if (!(ranges instanceof DenseMatrix) || ranges.rows !== 2 || ranges.cols !== cols) {
      throw new SbertError("INVALID_INPUT", `ranges must be a 2 × ${cols} matrix (min row, max row)`);
    }
    const r = Float32Array.from(ranges.data);
    if (r.some(Number.isNaN)) throw new SbertError("INVALID_INPUT", "ranges contain NaN");
    mins = r.subarray(0, cols);
    maxs = r.subarray(cols);
  } else {
    const source = calibrationEmbeddings ?? embeddings;
    if (!(source instanceof DenseMatrix) || !(source.data instanceof Float32Array) || source.cols !== cols || source.rows === 0) {
      throw new SbertError("INVALID_INPUT", `calibrationEmbeddings must be a float32 matrix with ≥ 1 row and ${cols} columns`);
    }
    ({ mins, maxs } = columnMinMax(source));
  }
  const steps = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    const step = fround(fround(maxs[c]! - mins[c]!) / 255);
    steps[c] = step === 0 ? 1 : step;
  }
  return { starts: mins, steps };
}

/** `np.min` / `np.max` along axis 0. NaN has no bucket, so it is rejected rather than spread over a column. */
function columnMinMax(m: DenseMatrix<Float32Array>): { mins: Float32Array; maxs: Float32Array } {
  const mins = new Float32Array(m.cols).fill(Infinity);
  const maxs = new Float32Array(m.cols).fill(-Infinity);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      const x = m.data[r * m.cols + c]!;
      if (Number.isNaN(x)) throw new SbertError("INVALID_INPUT", `row ${r}, dimension ${c} is NaN; it cannot calibrate buckets`);
      if (x < mins[c]!) mins[c] = x;
      if (x > maxs[c]!) maxs[c] = x;
    }
  }
  return { mins, maxs };
}

/** `np.packbits(x > 0, axis=-1)`: big-endian bit order, the last byte zero-padded. */
function packBits(m: DenseMatrix<Float32Array>): DenseMatrix<Uint8Array> {
  const bytes = Math.ceil(m.cols / 8);
  const out = new Uint8Array(m.rows * bytes);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      const byte = r * bytes + (c >> 3);
      if (m.data[r * m.cols + c]! > 0) out[byte] = out[byte]! | (0x80 >> (c & 7));
    }
  }
  return new DenseMatrix(out, m.rows, bytes);
}
