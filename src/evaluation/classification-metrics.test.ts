import { describe, expect, it } from "vitest";
import { binaryScoreMetrics, f1Scores, findBestAccAndThreshold, findBestF1AndThreshold, matthewsCorrcoef } from "./classification-metrics.js";
import { oracle } from "./testdata/oracle.js";

describe("findBestAccAndThreshold / findBestF1AndThreshold", () => {
  it("finds the separating cut of similarities", () => {
    // Cut after 0.9: 3/4 correct; after 0.8: all 4 (threshold (0.8 + 0.3) / 2); after 0.3: 3/4.
    expect(findBestAccAndThreshold([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0], true)).toEqual({ accuracy: 1, threshold: (0.8 + 0.3) / 2 });
    expect(findBestF1AndThreshold([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0], true)).toEqual({ f1: 1, precision: 1, recall: 1, threshold: (0.8 + 0.3) / 2 });
  });

  it("walks distances upwards when a high score means dissimilar", () => {
    // Ascending: 0.1 (1), 0.2 (1), 0.9 (0): the cut between 0.2 and 0.9 is perfect.
    expect(findBestAccAndThreshold([0.9, 0.1, 0.2], [0, 1, 1], false)).toEqual({ accuracy: 1, threshold: (0.2 + 0.9) / 2 });
  });

  it("keeps tied scores in input order, as Python's stable sort", () => {
    // [0.5 → 0, 0.5 → 1]: the only cut puts the negative above: accuracy 0, never beats the start → threshold -1.
    expect(findBestAccAndThreshold([0.5, 0.5], [0, 1], true)).toEqual({ accuracy: 0, threshold: -1 });
    expect(findBestAccAndThreshold([0.5, 0.5], [1, 0], true)).toEqual({ accuracy: 1, threshold: 0.5 });
  });

  it("computes float32 midpoints for Float32Array scores (numpy float32 arithmetic)", () => {
    // 2^24 + 1 is not a float32: the float32 sum rounds to 2^24, so the midpoint is 2^23, not 2^23 + 0.5.
    expect(findBestAccAndThreshold(Float32Array.of(16777216, 1), [1, 0], true).threshold).toBe(8388608);
    expect(findBestAccAndThreshold([16777216, 1], [1, 0], true).threshold).toBe(8388608.5);
  });

  it("never tries the cut after the last pair (a single pair gives 0 / -1 and F1 0 / 0)", () => {
    expect(findBestAccAndThreshold([0.7], [1], true)).toEqual({ accuracy: 0, threshold: -1 });
    expect(findBestF1AndThreshold([0.7], [1], true)).toEqual({ f1: 0, precision: 0, recall: 0, threshold: 0 });
  });

  it("agrees with an independent vectorised numpy version on random tied data", () => {
    for (const c of oracle.thresholds) {
      const s = Float32Array.from(c.scores);
      expect(findBestAccAndThreshold(s, c.labels, c.high)).toEqual({ accuracy: c.accuracy, threshold: c.accuracy_threshold });
      expect(findBestF1AndThreshold(s, c.labels, c.high)).toEqual({ f1: c.f1, precision: c.precision, recall: c.recall, threshold: c.f1_threshold });
    }
  });

  it("rejects non-binary labels and NaN scores", () => {
    expect(() => findBestAccAndThreshold([0.1, 0.2], [1, 2], true)).toThrow(/0 or 1/);
    expect(() => findBestF1AndThreshold([0.1, NaN], [1, 0], true)).toThrow(/NaN/);
  });
});

describe("matthewsCorrcoef / f1Scores", () => {
  it("computes hand-checked values", () => {
    // t = (2 neg, 2 pos), p = (3, 1), 3 correct: (3·4 − (2·3 + 2·1)) / √((16 − 10)(16 − 8)) = 4 / √48.
    expect(matthewsCorrcoef([1, 1, 0, 0], [1, 0, 0, 0])).toBeCloseTo(4 / Math.sqrt(48), 15);
    expect(matthewsCorrcoef([1, 1], [1, 1])).toBe(0);
    // Per class F1: 0 → 1, 1 → 0, 2 → 2·2/(2+3) = 0.8; supports 1, 1, 2.
    const f = f1Scores([0, 1, 2, 2], [0, 2, 2, 2]);
    expect(f.macro).toBeCloseTo(1.8 / 3, 15);
    expect(f.micro).toBe(0.75);
    expect(f.weighted).toBeCloseTo(2.6 / 4, 15);
  });

  it("equals scikit-learn on random labels", () => {
    for (const c of oracle.classification) {
      const f = f1Scores(c.y_true, c.y_pred);
      expect(f.macro).toBe(c.f1_macro);
      expect(f.micro).toBe(c.f1_micro);
      expect(f.weighted).toBe(c.f1_weighted);
      if (c.mcc !== undefined) expect(Math.abs(matthewsCorrcoef(c.y_true, c.y_pred) - c.mcc)).toBeLessThan(1e-15);
    }
  });
});

describe("binaryScoreMetrics", () => {
  it("reports every metric for similarities and for distances", () => {
    const sim = binaryScoreMetrics([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0], true);
    expect(sim).toMatchObject({ accuracy: 1, f1: 1, precision: 1, recall: 1, ap: 1, mcc: 1 });
    const dist = binaryScoreMetrics([0.1, 0.2, 0.7, 0.9], [1, 1, 0, 0], false);
    expect(dist).toMatchObject({ accuracy: 1, f1: 1, ap: 1, mcc: 1, f1_threshold: (0.2 + 0.7) / 2 });
  });
});
