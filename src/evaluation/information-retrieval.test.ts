import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { DenseMatrix } from "../tensor/dense.js";
import { dotScore } from "../util/index.js";
import { InformationRetrievalEvaluator } from "./information-retrieval.js";
import { LookupEncoder } from "./testdata/fake-models.js";

// Query "qa" points at document A, "qb" at B; C is in between. q3 has no relevant document.
const vectors = { "qa": [1, 0], "qb": [0, 1], "q3": [1, 1], "doc A": [1, 0.1], "doc B": [0.1, 1], "doc C": [1, 1] };
const queries = { q1: "qa", q2: "qb", q3: "q3" };
const corpus = new Map([["A", "doc A"], ["B", "doc B"], ["C", "doc C"]]);
const relevant = { q1: ["A"], q2: new Set(["B", "C"]), q3: [] };

describe("InformationRetrievalEvaluator", () => {
  it("reports Python's metric keys with the model's function and NDCG@10 as primary", async () => {
    const ev = new InformationRetrievalEvaluator(queries, corpus, relevant, { name: "toy" });
    expect(ev.queryIds).toEqual(["q1", "q2"]); // q3 has no relevant document
    const m = await ev.evaluate(new LookupEncoder(vectors));
    expect(ev.primaryMetric).toBe("toy_cosine_ndcg@10");
    expect(Object.keys(m)).toEqual([
      ...[1, 3, 5, 10].map((k) => `toy_cosine_accuracy@${k}`),
      ...[1, 3, 5, 10].map((k) => `toy_cosine_precision@${k}`),
      ...[1, 3, 5, 10].map((k) => `toy_cosine_recall@${k}`),
      "toy_cosine_ndcg@10",
      "toy_cosine_mrr@10",
      "toy_cosine_map@100",
    ]);
    // q1 ranks A, C, B; q2 ranks B, C, A: both have a relevant document first.
    expect(m["toy_cosine_accuracy@1"]).toBe(1);
    expect(m["toy_cosine_mrr@10"]).toBe(1);
    expect(m["toy_cosine_precision@3"]).toBe((1 / 3 + 2 / 3) / 2);
    expect(m["toy_cosine_recall@1"]).toBe((1 + 1 / 2) / 2);
    expect(m["toy_cosine_ndcg@10"]).toBe(1);
    expect(m["toy_cosine_map@100"]).toBe(1);
  });

  it("uses encodeQuery / encodeDocument with the given prompts and embeds the corpus in chunks", async () => {
    const model = new LookupEncoder(vectors);
    const ev = new InformationRetrievalEvaluator(queries, corpus, relevant, { corpusChunkSize: 2, queryPromptName: "query", corpusPrompt: "", batchSize: 4 });
    const chunked = await ev.evaluate(model);
    expect(model.calls.map((c) => [c.kind, c.texts.length, c.opts])).toEqual([
      ["query", 2, { batchSize: 4, promptName: "query" }],
      ["document", 2, { batchSize: 4, prompt: "" }],
      ["document", 1, { batchSize: 4, prompt: "" }],
    ]);
    expect(chunked).toEqual(await new InformationRetrievalEvaluator(queries, corpus, relevant).evaluate(new LookupEncoder(vectors)));
  });

  it("takes custom score functions and custom cutoffs; the best function's NDCG is primary", async () => {
    const reversed = (a: DenseMatrix, b: DenseMatrix): DenseMatrix => {
      const s = dotScore(a, b);
      return new DenseMatrix(s.data.map((v) => -v), s.rows, s.cols);
    };
    const ev = new InformationRetrievalEvaluator(queries, corpus, relevant, { scoreFunctions: { worst: reversed, dot: dotScore }, ndcgAtK: [1, 2], mrrAtK: [1], accuracyAtK: [1], precisionRecallAtK: [1], mapAtK: [2] });
    const m = await ev.evaluate(new LookupEncoder(vectors));
    expect(Object.keys(m).sort()).toEqual(
      ["accuracy@1", "precision@1", "recall@1", "ndcg@1", "ndcg@2", "mrr@1", "map@2"].flatMap((k) => [`dot_${k}`, `worst_${k}`]).sort(),
    );
    expect(ev.primaryMetric).toBe("dot_ndcg@2");
    const main = new InformationRetrievalEvaluator(queries, corpus, relevant, { scoreFunctions: { worst: reversed, dot: dotScore }, mainScoreFunction: "cosine" });
    expect(main.primaryMetric).toBe("cosine_ndcg@10");
  });

  it("rejects an empty corpus, queries without relevant documents and bad options", () => {
    expect(() => new InformationRetrievalEvaluator(queries, {}, relevant)).toThrow(/corpus is empty/);
    expect(() => new InformationRetrievalEvaluator(queries, corpus, { q3: [] })).toThrow(/no query has a relevant/);
    expect(() => new InformationRetrievalEvaluator({}, corpus, relevant)).toThrow(SbertError);
    expect(() => new InformationRetrievalEvaluator(queries, corpus, { q1: "A" as never })).toThrow(/set or list/);
    expect(() => new InformationRetrievalEvaluator(queries, corpus, relevant, { corpusChunkSize: 0 })).toThrow(/corpusChunkSize/);
    expect(() => new InformationRetrievalEvaluator(queries, corpus, relevant, { mapAtK: [] })).toThrow(/mapAtK/);
    expect(() => new InformationRetrievalEvaluator(queries, corpus, relevant, { scoreFunctions: {} })).toThrow(/empty/);
  });
});
