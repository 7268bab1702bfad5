import { describe, expect, it } from "vitest";
import { cosSimMatrix } from "../losses/loss.js";
import { DenseMatrix } from "../tensor/dense.js";
import { l2Normalize, rowNormsF64 } from "../tensor/ops/normalize.js";
import { rowNorm } from "../tensor/ops/reduce.js";
import { Tensor } from "../tensor/tensor.js";
import { cosSim } from "./similarity.js";
import { normalizeRowsF32 } from "./torch-f32.js";

// The two L2 normalizations: float64 sums (differentiable, training) and 8-lane float32 (bit-exact with torch).
const rows = 6, cols = 19;
const data = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5)));
data.fill(0, 0, cols); // a zero row stays zero in both

describe("one normalization per numeric contract", () => {
  it("l2Normalize (float64) and normalizeRowsF32 (torch float32) agree to float32 rounding; zero rows stay zero", () => {
    const a = l2Normalize(new Tensor(data, [rows, cols])).data;
    const b = normalizeRowsF32(new DenseMatrix(data, rows, cols)).data;
    for (let i = 0; i < a.length; i++) expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThanOrEqual(2 ** -23);
    expect(Array.from(a.subarray(0, cols)).every((v) => v === 0)).toBe(true);
  });

  it("rowNorm and l2Normalize share rowNormsF64; the tensor cos_sim matches util.cosSim to float32 rounding", () => {
    expect(Array.from(rowNorm(new Tensor(data, [rows, cols])).data)).toEqual(Array.from(Float32Array.from(rowNormsF64(data, rows, cols))));
    const t = new Tensor(data, [rows, cols]);
    const want = cosSim(new DenseMatrix(data, rows, cols), new DenseMatrix(data, rows, cols)).data;
    cosSimMatrix(t, t).data.forEach((v, i) => expect(Math.abs(v - (want[i] as number))).toBeLessThanOrEqual(4 * 2 ** -23));
  });
});
