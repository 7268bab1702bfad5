import { describe, expect, it } from "vitest";
import { Tensor } from "../tensor.js";
import { expectGradients, paramFactory } from "../../../test/helpers/gradients.js";
import { rmsNorm } from "./rms-norm.js";

/** Error budget: test/helpers/gradients.ts (as in gradients.test.ts). */

const param = paramFactory(3);

describe("rmsNorm", () => {
  it("x / sqrt(mean(x²) + eps) · (offset + w), per row or per group", () => {
    const x = new Tensor(Float32Array.from([1, 2, 3, 4, -2, 0, 2, 4]), [2, 4]);
    const w = new Tensor(Float32Array.from([0.5, 1, 2, -1]), [4]);
    const rms = (vals: number[]): number => Math.sqrt(vals.reduce((a, v) => a + v * v, 0) / vals.length + 1e-6);
    const r0 = rms([1, 2, 3, 4]);
    const y = rmsNorm(x, w, 1e-6, 0).data;
    expect(Array.from(y.subarray(0, 4))).toEqual([1, 2, 3, 4].map((v, i) => Math.fround(Math.fround(v / r0) * ([0.5, 1, 2, -1][i] as number))).map((v) => expect.closeTo(v, 6)));
    const g = new Tensor(Float32Array.from([1, -1]), [2]);
    const grouped = rmsNorm(x, g, 1e-6, 1).data; // groups of 2, weights 1 + g = (2, 0)
    const r = rms([3, 4]);
    expect(grouped[2]).toBeCloseTo((3 / r) * 2, 6);
    expect(grouped[3]).toBe(0);
  });

  it("backward (offset 0 and 1, whole rows and head groups)", () => {
    for (const [shape, g, offset] of [[[2, 3, 6], 6, 0], [[2, 3, 6], 3, 1]] as const) {
      expectGradients((t) => rmsNorm(t[0] as Tensor, t[1] as Tensor, 1e-6, offset), [param([...shape]), param([g])]);
    }
  });

  it("a weight whose size does not divide the last axis is SHAPE_MISMATCH", () => {
    expect(() => rmsNorm(param([2, 6]), param([4]), 1e-6, 0)).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
  });
});
