import { describe, expect, it } from "vitest";
import { SbertError } from "../../errors.js";
import { Tensor } from "../tensor.js";
import { embeddingBagMean } from "./embedding.js";

describe("embeddingBagMean", () => {
  // rows t0..t3 of a (4, 2) table
  const table = new Tensor(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), [4, 2]);

  it("averages each bag's rows, counting repeats, skipping masked slots, zero for an empty bag", () => {
    // bag 0: t1, t3, t1; bag 1: t2 (its first and last slots are masked out); bag 2: empty
    const y = embeddingBagMean(table, [1, 3, 1, 0, 2, 0, 0, 0, 0], [1, 1, 1, 0, 1, 0, 0, 0, 0], 3, 3);
    expect(y.shape).toEqual([3, 2]);
    expect(Array.from(y.data)).toEqual([13 / 3, 16 / 3, 5, 6, 0, 0].map(Math.fround));
  });

  it("refuses an id outside the table, but never reads padded ids", () => {
    expect(() => embeddingBagMean(table, [4], [1], 1, 1)).toThrow(SbertError);
    expect(() => embeddingBagMean(table, [-1], [1], 1, 1)).toThrow(/outside the embedding table/);
    expect(Array.from(embeddingBagMean(table, [0, 99], [1, 0], 1, 2).data)).toEqual([1, 2]);
  });
});
