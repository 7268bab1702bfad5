import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { DenseMatrix } from "../tensor/dense.js";
import { CrossEncoderClassificationEvaluator, binaryClassificationScores, multiClassScores } from "./cross-encoder-classification.js";
import { LookupScorer } from "./testdata/fake-models.js";

describe("binaryClassificationScores / multiClassScores", () => {
  it("finds the best thresholds on the scores", () => {
    // Sorted 0.9 (1), 0.6 (0), 0.4 (1), 0.1 (0): best accuracy 3/4 after 0.9 or after 0.4 (first wins).
    const m = binaryClassificationScores(Float32Array.of(0.9, 0.6, 0.4, 0.1), [1, 0, 1, 0]);
    expect(m["accuracy"]).toBe(0.75);
    expect(m["accuracy_threshold"]).toBe(Math.fround(Math.fround(Math.fround(0.9) + Math.fround(0.6)) / 2));
    // F1 after 0.9: P 1, R 1/2 → 2/3; after 0.4: P 2/3, R 1 → 0.8.
    expect(m["f1"]).toBeCloseTo(0.8, 15);
    expect(m["precision"]).toBeCloseTo(2 / 3, 15);
    expect(m["recall"]).toBe(1);
    expect(m["average_precision"]).toBeCloseTo((1 + 2 / 3) / 2, 15);
  });

  it("takes the arg-max class (the first on ties) for several labels", () => {
    const m = multiClassScores(DenseMatrix.fromRows([[0.1, 0.9, 0], [0.5, 0.5, 0], [0, 0, 1]]), [1, 1, 2]);
    // Predicted 1, 0, 2 → per class F1: 0 → 0, 1 → 2/3, 2 → 1.
    expect(m).toEqual({ f1_macro: (0 + 2 / 3 + 1) / 3, f1_micro: 2 / 3, f1_weighted: ((2 / 3) * 2 + 1) / 3 });
  });
});

describe("CrossEncoderClassificationEvaluator", () => {
  it("reports binary metrics with average_precision as primary for a one-label model", async () => {
    const model = new LookupScorer({ a: 0.9, b: 0.1 });
    const ev = new CrossEncoderClassificationEvaluator([["q", "a"], ["q", "b"]], [1, 0], { name: "dev" });
    const m = await ev.evaluate(model);
    expect(ev.primaryMetric).toBe("dev_average_precision");
    expect(Object.keys(m)).toEqual(["accuracy", "accuracy_threshold", "f1", "f1_threshold", "precision", "recall", "average_precision"].map((k) => `dev_${k}`));
    expect(m["dev_accuracy"]).toBe(1);
  });

  it("reports macro / micro / weighted F1 with f1_macro as primary for several labels", async () => {
    const model = new LookupScorer({ a: [0, 1, 0], b: [1, 0, 0], c: [0, 0, 1] }, 3);
    const ev = new CrossEncoderClassificationEvaluator([["q", "a"], ["q", "b"], ["q", "c"]], [1, 0, 2]);
    expect(ev.primaryMetric).toBe("f1_macro");
    expect(await ev.evaluate(model)).toEqual({ f1_macro: 1, f1_micro: 1, f1_weighted: 1 });
  });

  it("rejects empty data, bad pairs, labels the model lacks and non-binary labels for one label", async () => {
    expect(() => new CrossEncoderClassificationEvaluator([], [])).toThrow(SbertError);
    expect(() => new CrossEncoderClassificationEvaluator([["a"] as never], [1])).toThrow(/pair/);
    expect(() => new CrossEncoderClassificationEvaluator([["a", "b"]], [-1])).toThrow(/class index/);
    await expect(new CrossEncoderClassificationEvaluator([["q", "a"]], [3]).evaluate(new LookupScorer({ a: [0, 1, 0] }, 3))).rejects.toThrow(/not a class/);
    await expect(new CrossEncoderClassificationEvaluator([["q", "a"]], [2]).evaluate(new LookupScorer({ a: 0.5 }))).rejects.toThrow(/0 or 1/);
  });
});
