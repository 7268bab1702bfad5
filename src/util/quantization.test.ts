import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DenseMatrix } from "../tensor/dense.js";
import { QUANTIZATION_PRECISIONS, quantizeEmbeddings } from "./quantization.js";
import { expectInvalidInput } from "../../test/helpers/errors.js";

interface Quantized {
  dtype: string;
  shape: [number, number];
  values: number[][];
}
const golden = JSON.parse(readFileSync("test/fixtures/st-bert-mean-truncdim/golden.json", "utf8")) as {
  embeddings: number[][];
  precision_float32: Quantized;
  precision_int8: Quantized;
  precision_uint8: Quantized;
  precision_binary: Quantized;
  precision_ubinary: Quantized;
  quantize_embeddings_int8_calibration_first6: number[][];
  quantize_embeddings_uint8_calibration_first6: number[][];
  quantization_near_bin_edges: { batch_ranges: [number, number, number][]; calibration_first6: [number, number, number][] };
};
const embeddings = DenseMatrix.fromRows(golden.embeddings);
const first6 = DenseMatrix.fromRows(golden.embeddings.slice(0, 6));

describe("quantizeEmbeddings goldens (st-bert-mean-truncdim, 13 × 32; integers exact)", () => {
  it("the fixture has near-bin-edge elements (per-dimension maxima), which we must still match exactly", () => {
    expect(golden.quantization_near_bin_edges.batch_ranges.length).toBeGreaterThan(0);
  });

  for (const precision of ["int8", "uint8", "binary", "ubinary"] as const) {
    it(`precision ${precision}: dtype, shape and every value exact (no ±1 allowance used)`, () => {
      const want = golden[`precision_${precision}`];
      const got = quantizeEmbeddings(embeddings, precision);
      expect(got.data).toBeInstanceOf(want.dtype === "int8" ? Int8Array : Uint8Array);
      expect([got.rows, got.cols]).toEqual(want.shape);
      expect(got.toArray()).toEqual(want.values);
    });
  }

  it("precision float32 returns an equal copy (tolerance 0)", () => {
    const got = quantizeEmbeddings(embeddings, "float32");
    expect(got.data).toBeInstanceOf(Float32Array);
    expect(got.data).not.toBe(embeddings.data);
    expect(got.toArray()).toEqual(DenseMatrix.fromRows(golden.precision_float32.values).toArray());
  });

  it("int8 / uint8 with calibrationEmbeddings = rows 0-5 (rows 6-12 clipped) exact", () => {
    const int8 = quantizeEmbeddings(embeddings, "int8", { calibrationEmbeddings: first6 });
    const uint8 = quantizeEmbeddings(embeddings, "uint8", { calibrationEmbeddings: first6 });
    expect(int8.toArray()).toEqual(golden.quantize_embeddings_int8_calibration_first6);
    expect(uint8.toArray()).toEqual(golden.quantize_embeddings_uint8_calibration_first6);
  });

  it("explicit ranges (min row, max row of rows 0-5) give the calibration result exactly", () => {
    const cols = first6.cols;
    const ranges = new DenseMatrix(new Float32Array(2 * cols), 2, cols);
    for (let c = 0; c < cols; c++) {
      let lo = Infinity, hi = -Infinity;
      for (let r = 0; r < 6; r++) {
        lo = Math.min(lo, first6.get(r, c));
        hi = Math.max(hi, first6.get(r, c));
      }
      ranges.data[c] = lo;
      ranges.data[cols + c] = hi;
    }
    expect(quantizeEmbeddings(embeddings, "uint8", { ranges }).toArray()).toEqual(golden.quantize_embeddings_uint8_calibration_first6);
    // ranges win over calibrationEmbeddings
    expect(quantizeEmbeddings(embeddings, "int8", { ranges, calibrationEmbeddings: embeddings }).toArray()).toEqual(
      golden.quantize_embeddings_int8_calibration_first6,
    );
  });
});

describe("quantizeEmbeddings semantics and edge cases", () => {
  it("packs bits big-endian and pads the last byte (3 dims → 1 byte)", () => {
    const m = DenseMatrix.fromRows([[1, -1, 0.5], [0, 0, 0]]);
    expect(quantizeEmbeddings(m, "ubinary").toArray()).toEqual([[0b1010_0000], [0]]);
    expect(quantizeEmbeddings(m, "binary").toArray()).toEqual([[0b1010_0000 - 128], [-128]]);
    const nine = DenseMatrix.fromRows([[1, 1, 1, 1, 1, 1, 1, 1, 1]]);
    expect(quantizeEmbeddings(nine, "ubinary").toArray()).toEqual([[255, 128]]);
  });

  it("a constant dimension (step 0 → 1) lands in bucket 0; a maximum of 1 lands in 254 (float32 rounding, as numpy)", () => {
    // numpy: np.floor(np.float32(1) / (np.float32(1) / np.float32(255))) == 254.0
    const m = DenseMatrix.fromRows([[2, 0], [2, 1], [2, 0.5]]);
    expect(quantizeEmbeddings(m, "uint8").toArray()).toEqual([[0, 0], [0, 254], [0, 127]]);
    expect(quantizeEmbeddings(m, "int8").toArray()).toEqual([[-128, -128], [-128, 126], [-128, -1]]);
  });

  it("values outside the ranges are clipped to 0 / 255", () => {
    const ranges = DenseMatrix.fromRows([[0], [1]]);
    const m = DenseMatrix.fromRows([[-5], [5], [Infinity], [-Infinity]]);
    expect(quantizeEmbeddings(m, "uint8", { ranges }).toArray()).toEqual([[0], [255], [255], [0]]);
  });

  it("no rows give correctly shaped empty results", () => {
    const empty = new DenseMatrix(new Float32Array(0), 0, 12);
    const shape = (m: DenseMatrix<Float32Array | Int8Array | Uint8Array>) => [m.rows, m.cols];
    expect(shape(quantizeEmbeddings(empty, "int8"))).toEqual([0, 12]);
    expect(shape(quantizeEmbeddings(empty, "uint8"))).toEqual([0, 12]);
    expect(shape(quantizeEmbeddings(empty, "binary"))).toEqual([0, 2]);
    expect(shape(quantizeEmbeddings(empty, "ubinary"))).toEqual([0, 2]);
    expect(shape(quantizeEmbeddings(empty, "float32"))).toEqual([0, 12]);
  });

  it("rejects an unknown precision with INVALID_INPUT", () => {
    for (const precision of ["int4", "float16", "UINT8", ""]) expectInvalidInput(() => quantizeEmbeddings(embeddings, precision));
  });

  it("rejects int8 / uint8 input, bad ranges, bad calibration and NaN with INVALID_INPUT", () => {
    const int8 = quantizeEmbeddings(embeddings, "int8") as unknown as DenseMatrix<Float32Array>;
    expectInvalidInput(() => quantizeEmbeddings(int8, "uint8"));
    expectInvalidInput(() => quantizeEmbeddings(embeddings, "int8", { ranges: DenseMatrix.fromRows([[0, 1]]) }));
    expectInvalidInput(() => quantizeEmbeddings(embeddings, "int8", { calibrationEmbeddings: DenseMatrix.fromRows([[0, 1]]) }));
    expectInvalidInput(() => quantizeEmbeddings(embeddings, "int8", { calibrationEmbeddings: new DenseMatrix(new Float32Array(0), 0, 32) }));
    expectInvalidInput(() => quantizeEmbeddings(DenseMatrix.fromRows([[NaN, 1], [0, 2]]), "uint8"));
  });

  it("rejects NaN for every precision alike (binary used to turn it into -128)", () => {
    const nan = DenseMatrix.fromRows([[0.5, 1], [NaN, -2]]);
    for (const precision of QUANTIZATION_PRECISIONS) expectInvalidInput(() => quantizeEmbeddings(nan, precision));
  });
});
