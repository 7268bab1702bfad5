import { describe, expect, it } from "vitest";
import { averagePrecision, ndcgScore } from "./ranking-metrics.js";
import { oracle } from "./testdata/oracle.js";

describe("averagePrecision", () => {
  it("matches scikit-learn's documented example", () => {
    // Ranked: 0.8 (pos), 0.4, 0.35 (pos), 0.1 → recall 0.5 at precision 1, recall 1 at precision 2/3.
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.8333333333333333);
  });

  it("treats tied scores as one threshold", () => {
    // {0.5, 0.5} holds one positive and one negative: P = 1/2 at R = 1/2; then 0.2 (pos): P = 2/3 at R = 1.
    expect(averagePrecision([1, 0, 1], [0.5, 0.5, 0.2])).toBeCloseTo(0.5 * 0.5 + 0.5 * (2 / 3), 15);
    expect(averagePrecision([0, 1, 1], [0.5, 0.5, 0.2])).toBe(averagePrecision([1, 0, 1], [0.5, 0.5, 0.2]));
  });

  it("is 1 when every label is positive and 0 when none is (scikit-learn warns and returns 0)", () => {
    expect(averagePrecision([1, 1], [0.3, 0.1])).toBe(1);
    expect(averagePrecision([0, 0, 0], [0.3, 0.1, 0.2])).toBe(0);
  });

  it("equals scikit-learn bit for bit on random tied data", () => {
    for (const c of oracle.average_precision) expect(averagePrecision(c.y, Float32Array.from(c.s))).toBe(c.ap);
  });

  it("rejects non-binary labels, NaN scores, length mismatches and empty input", () => {
    expect(() => averagePrecision([0, 2], [0.1, 0.2])).toThrow(/0 or 1/);
    expect(() => averagePrecision([0, 1], [0.1, NaN])).toThrow(/NaN/);
    expect(() => averagePrecision([0, 1], [0.1])).toThrow(/one score per label/);
    expect(() => averagePrecision([], [])).toThrow(/no items/);
  });
});

describe("ndcgScore", () => {
  it("computes hand-checked values", () => {
    // DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3).
    expect(ndcgScore([1, 0, 1], [0.9, 0.8, 0.1])).toBeCloseTo(1.5 / (1 + 1 / Math.log2(3)), 15);
    // k = 1: only the top document counts, and it is not relevant.
    expect(ndcgScore([0, 1], [0.9, 0.1], 1)).toBe(0);
  });

  it("averages the gain over tied scores", () => {
    // The tie at 0.5 spans positions 1 and 2: mean gain 1/2 times (1 + 1/log2(3)); ideal DCG is 1.
    expect(ndcgScore([0, 1, 0], [0.5, 0.5, 0.1])).toBeCloseTo(0.5 * (1 + 1 / Math.log2(3)), 15);
    expect(ndcgScore([1, 0, 0], [0.5, 0.5, 0.1])).toBe(ndcgScore([0, 1, 0], [0.5, 0.5, 0.1]));
  });

  it("is 0 when nothing is relevant", () => {
    expect(ndcgScore([0, 0], [0.2, 0.1])).toBe(0);
  });

  it("agrees with scikit-learn to 1e-15 on random tied data", () => {
    for (const c of oracle.ndcg) expect(Math.abs(ndcgScore(c.y, Float32Array.from(c.s), c.k) - c.ndcg)).toBeLessThan(1e-15);
  });

  it("refuses one document, negative relevance and bad k, as scikit-learn", () => {
    expect(() => ndcgScore([1], [0.5])).toThrow(/at least 2/);
    expect(() => ndcgScore([-1, 1], [0.5, 0.2])).toThrow(/≥ 0/);
    expect(() => ndcgScore([0, 1], [0.5, 0.2], 0)).toThrow(/k must be/);
  });
});
