import { describe, expect, it } from "vitest";
import { paddingFraction, planBatches } from "./batching.js";

describe("planBatches", () => {
  it("orders by descending length (stable) and cuts by count", () => {
    expect(planBatches([3, 5, 5, 1], 2)).toEqual([[1, 2], [0, 3]]);
  });

  it("a token budget caps rows × longest row; an over-long row still gets its own batch", () => {
    // lengths 100, 60, 50, 10, 10: budget 120 → [100] alone (2 × 100 > 120), [60, 50] (2 × 60), [10, 10]
    expect(planBatches([10, 100, 60, 50, 10], 8, 120)).toEqual([[1], [2, 3], [0, 4]]);
    expect(planBatches([500], 8, 120)).toEqual([[0]]);
  });

  it("padding fraction counts padded positions (exact arithmetic)", () => {
    const lengths = [4, 2, 2, 1];
    expect(paddingFraction(lengths, [[0, 1], [2, 3]])).toBeCloseTo(1 - 9 / (8 + 4), 12);
    expect(paddingFraction(lengths, planBatches(lengths, 1))).toBe(0);
  });
});
