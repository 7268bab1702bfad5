import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { mean, pairwiseSum, pearson, rankdata, spearman } from "./stats.js";
import { oracle } from "./testdata/oracle.js";

describe("pairwiseSum / mean", () => {
  it("equals np.sum and np.mean bit for bit (lengths around numpy's block edges)", () => {
    for (const c of oracle.sums) {
      expect(pairwiseSum(c.a)).toBe(c.sum);
      expect(mean(c.a)).toBe(c.mean);
    }
  });

  it("sums a sub-range and gives NaN as the mean of nothing", () => {
    expect(pairwiseSum([1, 2, 3, 4], 1, 2)).toBe(5);
    expect(mean([])).toBeNaN();
  });
});

describe("rankdata", () => {
  it("gives ties their average rank (scipy method='average')", () => {
    // Sorted: 10 (1), 20 20 (ranks 2 and 3 → 2.5), 30 (4); 5 5 5 → ranks 1..3 → 2 each.
    expect(Array.from(rankdata([20, 10, 30, 20]))).toEqual([2.5, 1, 4, 2.5]);
    expect(Array.from(rankdata([5, 5, 5]))).toEqual([2, 2, 2]);
  });
});

describe("spearman", () => {
  it("matches scipy's documented example with a tie", () => {
    // scipy.stats.spearmanr([1,2,3,4,5], [5,6,7,8,7]).statistic; y ranks are [1, 2, 3.5, 5, 3.5].
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBe(0.8207826816681233);
  });

  it("is ±1 for monotone data and gives scipy's rounding for two points", () => {
    expect(spearman([1, 2, 3], [10, 20, 30])).toBe(1);
    // scipy returns -0.9999999999999999 here (np.corrcoef divides by sqrt(0.5) twice).
    expect(spearman([1, 2], [2, 1])).toBe(-0.9999999999999999);
  });

  it("equals scipy bit for bit on random data with many ties", () => {
    for (const c of oracle.correlation) expect(spearman(c.gold, Float32Array.from(c.sim))).toBe(c.spearman);
  });

  it("is NaN for constant input, fewer than 2 values or NaN values (scipy)", () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1, 2, 3], [4, 4, 4])).toBeNaN();
    expect(spearman([1], [2])).toBeNaN();
    expect(spearman([], [])).toBeNaN();
    expect(spearman([1, 2, NaN], [1, 2, 3])).toBeNaN();
  });

  it("rejects inputs of different lengths", () => {
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow(SbertError);
  });
});

describe("pearson", () => {
  it("computes a hand-checked value", () => {
    // x̄ = 2, ȳ = 3; deviations (-1, 0, 1) and (-2, 1, 1): Σxy = 3, Σx² = 2, Σy² = 6 → 3 / √12.
    expect(pearson([1, 2, 3], [1, 4, 4])).toBeCloseTo(3 / Math.sqrt(12), 15);
  });

  it("agrees with scipy to 1e-14 on random data", () => {
    for (const c of oracle.correlation) expect(Math.abs(pearson(c.gold, Float32Array.from(c.sim)) - c.pearson)).toBeLessThan(1e-14);
  });

  it("is NaN for constant input, exactly ±1 for two points, and throws below 2 values (scipy)", () => {
    expect(pearson([2, 2, 2], [1, 2, 3])).toBeNaN();
    expect(pearson([0.1, 0.7], [3, -1])).toBe(-1);
    expect(pearson([1, 2, NaN], [1, 2, 3])).toBeNaN();
    expect(() => pearson([1], [1])).toThrow(/at least 2/);
    expect(() => pearson([1, 2], [1])).toThrow(expect.objectContaining({ name: "SbertError", code: "INVALID_INPUT" }));
  });
});
