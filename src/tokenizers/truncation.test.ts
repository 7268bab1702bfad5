import { describe, expect, it } from "vitest";
import { longestFirstLengths } from "./truncation.js";

describe("longestFirstLengths", () => {
  // The table of tokenizers/src/utils/truncation.rs (`truncate_encodings_longest_first`, max_length 7)
  // with sequences of 0 (empty), 2 (short), 4 (medium) and 8 (long) tokens.
  it.each([
    [0, 0, 0, 0], [0, 2, 0, 2], [0, 4, 0, 4], [0, 8, 0, 7],
    [2, 0, 2, 0], [2, 2, 2, 2], [2, 4, 2, 4], [2, 8, 2, 5],
    [4, 0, 4, 0], [4, 2, 4, 2], [4, 4, 3, 4], [4, 8, 3, 4],
    [8, 0, 7, 0], [8, 2, 5, 2], [8, 4, 4, 3], [8, 8, 3, 4],
  ])("pair (%i, %i) with budget 7 → (%i, %i)", (n1, n2, e1, e2) => {
    expect(longestFirstLengths(n1, n2, 7)).toEqual([e1, e2]);
  });

  it("budget 0 empties both (Rust `truncate_encodings_empty`)", () => {
    expect(longestFirstLengths(0, 2, 0)).toEqual([0, 0]);
    expect(longestFirstLengths(4, 4, 0)).toEqual([0, 0]);
    expect(longestFirstLengths(8, 8, 0)).toEqual([0, 0]);
  });

  it("a single sequence keeps its first `budget` tokens", () => {
    expect(longestFirstLengths(30, null, 22)).toEqual([22, 0]);
    expect(longestFirstLengths(5, null, 22)).toEqual([5, 0]);
  });

  it("never lengthens a sequence", () => {
    for (let n1 = 0; n1 < 12; n1++) {
      for (let n2 = 0; n2 < 12; n2++) {
        for (let budget = 0; budget < 14; budget++) {
          const [a, b] = longestFirstLengths(n1, n2, budget);
          expect(a).toBeLessThanOrEqual(n1);
          expect(b).toBeLessThanOrEqual(n2);
          if (n1 + n2 > budget) expect(a + b).toBeLessThanOrEqual(budget);
        }
      }
    }
  });
});
