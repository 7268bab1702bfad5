/** The clipmodel ops' backward by finite differences (budget as in gradients.test.ts), and their forward on hand-made values. */
import { describe, expect, it } from "vitest";
import { Tensor } from "../tensor.js";
import { expectGradients, paramFactory } from "../../../test/helpers/gradients.js";
import { multiHeadAttention } from "./attention.js";
import { activation } from "./elementwise.js";
import { imagePatches, prependRow } from "./patches.js";

const param = paramFactory(11);

const check = expectGradients;

describe("clipmodel ops", () => {
  it("imagePatches: rows are the (c, dy, dx) values of each patch, patches row-major", () => {
    // 1 image, 2 channels, 2 × 4, patch 2: value = c·100 + y·10 + x
    const px = Float32Array.from({ length: 16 }, (_, i) => Math.floor(i / 8) * 100 + Math.floor((i % 8) / 4) * 10 + (i % 4));
    const p = imagePatches(px, 1, 2, 2, 4, 2);
    expect(p.shape).toEqual([2, 8]);
    expect(Array.from(p.data)).toEqual([0, 1, 10, 11, 100, 101, 110, 111, 2, 3, 12, 13, 102, 103, 112, 113]);
    expect(() => imagePatches(px, 1, 2, 2, 4, 3)).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
  });

  it("prependRow forward and backward", () => {
    const y = prependRow(new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 1, 2]), new Tensor(Float32Array.from([9, 8]), [2]));
    expect(Array.from(y.data)).toEqual([9, 8, 1, 2, 9, 8, 3, 4]);
    check((x) => prependRow(x[0] as Tensor, x[1] as Tensor), [param([2, 3, 4]), param([4])]);
  });

  it("quick_gelu = x·sigmoid(1.702x), with its derivative", () => {
    expect(activation(new Tensor(Float32Array.from([1]), [1]), "quick_gelu").data[0]).toBeCloseTo(1 / (1 + Math.exp(-1.702)), 6);
    check((x) => activation(x[0] as Tensor, "quick_gelu"), [param([3, 5])]);
  });

  it("causal attention: a query never sees later keys; backward by finite differences", () => {
    const [q, k, v] = [param([1, 4, 4]), param([1, 4, 4]), param([1, 4, 4])];
    const mask = [1, 1, 1, 0];
    const full = multiHeadAttention(q, k, v, { batch: 1, seqLen: 4, heads: 2, keyMask: mask, causal: true });
    // row i equals attention over the first i + 1 tokens alone
    for (let i = 1; i <= 3; i++) {
      const cut = (t: Tensor) => new Tensor(t.data.slice(0, i * 4), [1, i, 4]);
      const part = multiHeadAttention(cut(q), cut(k), cut(v), { batch: 1, seqLen: i, heads: 2, keyMask: mask.slice(0, i), causal: true });
      for (let e = 0; e < 4; e++) expect(full.data[(i - 1) * 4 + e]).toBeCloseTo(part.data[(i - 1) * 4 + e] as number, 6);
    }
    check((x) => multiHeadAttention(x[0] as Tensor, x[1] as Tensor, x[2] as Tensor, { batch: 2, seqLen: 3, heads: 2, keyMask: [1, 1, 1, 1, 1, 0], causal: true }), [param([2, 3, 4]), param([2, 3, 4]), param([2, 3, 4])]);
  });
});
