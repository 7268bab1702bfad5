import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { DenseMatrix } from "../tensor/dense.js";
import { TripletEvaluator, tripletAccuracy } from "./triplet.js";
import { LookupEncoder } from "./testdata/fake-models.js";

// Anchor a = [1, 0]. Triplets: (a, near, far) correct; (a, mid, near) wrong; (a, near, mid) correct.
const vectors = { a: [1, 0], near: [1, 0.1], mid: [1, 1], far: [-1, 0] };
const anchors = ["a", "a", "a"];
const positives = ["near", "mid", "near"];
const negatives = ["far", "near", "mid"];

describe("tripletAccuracy", () => {
  it("is the float32 share of triplets whose positive beats the negative by the margin", () => {
    const m = (rows: number[][]): DenseMatrix => DenseMatrix.fromRows(rows);
    const a = m([[1, 0], [1, 0], [1, 0]]);
    const p = m([[1, 0.1], [1, 1], [1, 0.1]]);
    const n = m([[-1, 0], [1, 0.1], [1, 1]]);
    // 2 of 3 correct; Python's float32 mean gives 0.6666666865348816.
    expect(tripletAccuracy(a, p, n, "cosine")).toBe(0.6666666865348816);
    expect(tripletAccuracy(a, p, n, "euclidean")).toBe(0.6666666865348816);
    // cos(a, near) − cos(a, mid) ≈ 0.288; a margin of 0.5 leaves only the (near, far) triplet.
    expect(tripletAccuracy(a, p, n, "cosine", 0.5)).toBe(Math.fround(1 / 3));
  });

  it("requires strictly greater similarity (a tie is wrong)", () => {
    const x = DenseMatrix.fromRows([[1, 0]]);
    expect(tripletAccuracy(x, x, x, "dot")).toBe(0);
  });
});

describe("TripletEvaluator", () => {
  it("reports <fn>_accuracy for the model's function as primary", async () => {
    const ev = new TripletEvaluator(anchors, positives, negatives, { name: "nli" });
    const m = await ev.evaluate(new LookupEncoder(vectors));
    expect(m).toEqual({ nli_cosine_accuracy: 0.6666666865348816 });
    expect(ev.primaryMetric).toBe("nli_cosine_accuracy");
  });

  it("adds max_accuracy with several functions and honours per-function margins", async () => {
    const ev = new TripletEvaluator(anchors, positives, negatives, { similarityFnNames: ["cosine", "dot"], margin: { dot: 100 } });
    const m = await ev.evaluate(new LookupEncoder(vectors));
    expect(m).toEqual({ cosine_accuracy: 0.6666666865348816, dot_accuracy: 0, max_accuracy: 0.6666666865348816 });
    expect(ev.primaryMetric).toBe("max_accuracy");
    const main = new TripletEvaluator(anchors, positives, negatives, { mainSimilarityFunction: "manhattan" });
    expect(Object.keys(await main.evaluate(new LookupEncoder(vectors)))).toEqual(["manhattan_accuracy"]);
    expect(main.primaryMetric).toBe("manhattan_accuracy");
  });

  it("rejects empty data, mismatched lengths and bad margins", () => {
    expect(() => new TripletEvaluator([], [], [])).toThrow(SbertError);
    expect(() => new TripletEvaluator(["a"], ["b"], [])).toThrow(/one per example/);
    expect(() => new TripletEvaluator(anchors, positives, negatives, { margin: { cos: 1 } as never })).toThrow(/unknown similarity/);
    expect(() => new TripletEvaluator(anchors, positives, negatives, { margin: NaN })).toThrow(/finite/);
  });
});
