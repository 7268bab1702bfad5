import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { DenseMatrix } from "../tensor/dense.js";
import { EmbeddingSimilarityEvaluator, embeddingSimilarityMetrics } from "./embedding-similarity.js";
import { pearson } from "./stats.js";
import { LookupEncoder } from "./testdata/fake-models.js";

// cos(a, b) = 1, cos(a, c) = √½, cos(a, d) = 0; euclidean sims −0, −0.765, −√2.
const vectors = { a: [1, 0], b: [1, 0], c: [1, 1], d: [0, 1] };
const s1 = ["a", "a", "a"];
const s2 = ["b", "c", "d"];
const gold = [1, 0.5, 0];

describe("embeddingSimilarityMetrics", () => {
  it("correlates each similarity function with the gold scores", () => {
    const m = embeddingSimilarityMetrics(DenseMatrix.fromRows([[1, 0], [1, 0], [1, 0]]), DenseMatrix.fromRows([[1, 0], [1, 1], [0, 1]]), gold, ["cosine", "euclidean"]);
    // Both similarity orders equal the gold order → Spearman 1.
    expect(m["spearman_cosine"]).toBe(1);
    expect(m["spearman_euclidean"]).toBe(1);
    expect(m["pearson_cosine"]).toBe(pearson(gold, Float32Array.of(1, Math.SQRT1_2, 0)));
    expect(m["pearson_max"]).toBe(Math.max(m["pearson_cosine"]!, m["pearson_euclidean"]!));
    expect(Object.keys(m)).toEqual(["pearson_cosine", "spearman_cosine", "pearson_euclidean", "spearman_euclidean", "pearson_max", "spearman_max"]);
  });

  it("gives NaN (scipy's value) when every similarity is equal", () => {
    const same = DenseMatrix.fromRows([[1, 0], [1, 0], [1, 0]]);
    const m = embeddingSimilarityMetrics(same, same, gold, ["cosine"]);
    expect(m["spearman_cosine"]).toBeNaN();
    expect(m["pearson_cosine"]).toBeNaN();
  });
});

describe("EmbeddingSimilarityEvaluator", () => {
  it("reports name-prefixed Python keys with spearman of the model's function as primary", async () => {
    const model = new LookupEncoder(vectors);
    const ev = new EmbeddingSimilarityEvaluator(s1, s2, gold, { name: "sts-dev" });
    expect(ev.primaryMetric).toBe("sts-dev_spearman_cosine");
    const m = await ev.evaluate(model);
    expect(Object.keys(m)).toEqual(["sts-dev_pearson_cosine", "sts-dev_spearman_cosine"]);
    expect(m[ev.primaryMetric]).toBe(1);
    expect(model.calls.map((c) => c.opts)).toEqual([{ batchSize: 16 }, { batchSize: 16 }]);
  });

  it("follows the model's similarity function when none is named", async () => {
    const ev = new EmbeddingSimilarityEvaluator(s1, s2, gold);
    const m = await ev.evaluate(new LookupEncoder(vectors, "dot"));
    expect(Object.keys(m)).toEqual(["pearson_dot", "spearman_dot"]);
    expect(ev.primaryMetric).toBe("spearman_dot");
  });

  it("uses spearman_max with several functions and spearman_<main> with a main one", async () => {
    const several = new EmbeddingSimilarityEvaluator(s1, s2, gold, { similarityFnNames: ["cosine", "manhattan"] });
    expect(several.primaryMetric).toBe("spearman_max");
    expect(Object.keys(await several.evaluate(new LookupEncoder(vectors)))).toContain("spearman_manhattan");
    const main = new EmbeddingSimilarityEvaluator(s1, s2, gold, { mainSimilarity: "euclidean", name: "x" });
    expect(Object.keys(await main.evaluate(new LookupEncoder(vectors)))).toEqual(["x_pearson_euclidean", "x_spearman_euclidean"]);
    expect(main.primaryMetric).toBe("x_spearman_euclidean");
  });

  it("passes batchSize and truncateDim to encode", async () => {
    const model = new LookupEncoder(vectors);
    await new EmbeddingSimilarityEvaluator(s1, s2, gold, { batchSize: 2, truncateDim: 1 }).evaluate(model);
    expect(model.calls[0]!.opts).toEqual({ batchSize: 2, truncateDim: 1 });
  });

  it("rejects empty or single-pair data, mismatched lengths, bad scores and unknown functions", () => {
    const invalid = (f: () => unknown): void => {
      expect(f).toThrow(SbertError);
      try {
        f();
      } catch (e) {
        expect((e as SbertError).code).toBe("INVALID_INPUT");
      }
    };
    invalid(() => new EmbeddingSimilarityEvaluator([], [], []));
    invalid(() => new EmbeddingSimilarityEvaluator(["a"], ["b"], [1]));
    invalid(() => new EmbeddingSimilarityEvaluator(["a", "b"], ["c"], [1, 0]));
    invalid(() => new EmbeddingSimilarityEvaluator(["a", "b"], ["c", "d"], [1, NaN]));
    invalid(() => new EmbeddingSimilarityEvaluator(s1, s2, gold, { similarityFnNames: ["cos_sim" as never] }));
    invalid(() => new EmbeddingSimilarityEvaluator(s1, s2, gold, { mainSimilarity: "dot", similarityFnNames: ["cosine"] }));
    invalid(() => new EmbeddingSimilarityEvaluator(s1, s2, gold, { batchSize: 0 }));
  });

  it("refuses a model that does not return float32 embeddings", async () => {
    const bad = { similarityFnName: "cosine", encode: () => Promise.resolve([[1, 0]]) };
    await expect(new EmbeddingSimilarityEvaluator(s1, s2, gold).evaluate(bad)).rejects.toThrow(/float32/);
  });
});
