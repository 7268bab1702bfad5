import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { BINARY_METRIC_NAMES, BinaryClassificationEvaluator } from "./binary-classification.js";
import { LookupEncoder } from "./testdata/fake-models.js";

// Against a = [1, 0]: b identical (cos 1, dist 0), c = [0.8, 0.6] (cos 0.8, dist √0.4),
// e = [0, 1] (cos 0, dist √2), d = [-1, 0] (cos -1, dist 2). b and c are the similar pairs.
const vectors = { a: [1, 0], b: [1, 0], c: [0.8, 0.6], d: [-1, 0], e: [0, 1] };
const s1 = ["a", "a", "a", "a"];
const s2 = ["b", "c", "d", "e"];
const labels = [1, 1, 0, 0];

describe("BinaryClassificationEvaluator", () => {
  it("reports the eight metrics of the model's function with <fn>_ap as primary", async () => {
    const ev = new BinaryClassificationEvaluator(s1, s2, labels, { name: "pairs" });
    const m = await ev.evaluate(new LookupEncoder(vectors));
    expect(Object.keys(m)).toEqual(BINARY_METRIC_NAMES.map((k) => `pairs_cosine_${k}`));
    expect(ev.primaryMetric).toBe("pairs_cosine_ap");
    // Sorted cosines 1, 0.8 | 0, -1: the cut between 0.8 and 0 separates perfectly.
    expect(m).toMatchObject({ pairs_cosine_accuracy: 1, pairs_cosine_f1: 1, pairs_cosine_ap: 1, pairs_cosine_mcc: 1, pairs_cosine_precision: 1, pairs_cosine_recall: 1 });
    expect(m["pairs_cosine_accuracy_threshold"]).toBeCloseTo(0.4, 6);
  });

  it("scores euclidean and manhattan as distances (positive thresholds, small = similar)", async () => {
    const ev = new BinaryClassificationEvaluator(s1, s2, labels, { similarityFnNames: ["euclidean", "manhattan"] });
    const m = await ev.evaluate(new LookupEncoder(vectors));
    expect(m["euclidean_accuracy"]).toBe(1);
    expect(m["euclidean_ap"]).toBe(1);
    // Distances ascending: 0, √0.4 | √2, 2 → threshold between √0.4 and √2.
    expect(m["euclidean_accuracy_threshold"]).toBeCloseTo((Math.sqrt(0.4) + Math.SQRT2) / 2, 6);
    // Manhattan: 0, 0.2 + 0.6 = 0.8 | 2, 2.
    expect(m["manhattan_f1_threshold"]).toBeCloseTo((0.8 + 2) / 2, 6);
    expect(m["max_ap"]).toBe(1);
    expect(ev.primaryMetric).toBe("max_ap");
  });

  it("embeds each distinct sentence once", async () => {
    const model = new LookupEncoder(vectors);
    await new BinaryClassificationEvaluator(s1, s2, labels, { batchSize: 3 }).evaluate(model);
    expect(model.calls).toHaveLength(1);
    expect(model.calls[0]!.texts).toEqual(["a", "b", "c", "d", "e"]);
    expect(model.calls[0]!.opts).toEqual({ batchSize: 3 });
  });

  it("rejects empty data, labels other than 0/1 and mismatched lengths", () => {
    expect(() => new BinaryClassificationEvaluator([], [], [])).toThrow(SbertError);
    expect(() => new BinaryClassificationEvaluator(["a"], ["b"], [2])).toThrow(/0 or 1/);
    expect(() => new BinaryClassificationEvaluator(["a"], ["b", "c"], [1])).toThrow(/one per example/);
  });
});
