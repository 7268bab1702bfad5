import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { CrossEncoderRerankingEvaluator, rerankingScores } from "./cross-encoder-reranking.js";
import { LookupScorer } from "./testdata/fake-models.js";

const scores = { p1: 0.9, n1: 0.5, n2: 0.1, p2: 0.2, n3: 0.8, n4: 0.1, p9: 0.05 };
const log2of3 = Math.log2(3);

describe("rerankingScores", () => {
  it("computes MRR@k, NDCG@k and AP of one ranking", () => {
    // Ranked by score: n3, p2, n4 → first relevant at rank 2.
    const r = rerankingScores([1, 0, 0], [0.2, 0.8, 0.1], 10);
    expect(r.mrr).toBe(0.5);
    expect(r.ndcg).toBeCloseTo(1 / log2of3, 15);
    expect(r.ap).toBe(0.5);
    expect(rerankingScores([1, 0, 0], [0.2, 0.8, 0.1], 1).mrr).toBe(0); // outside the top 1
  });

  it("ranks tied scores in reverse input order for MRR (numpy argsort(...)[::-1])", () => {
    expect(rerankingScores([1, 0], [0.5, 0.5], 10).mrr).toBe(0.5);
    expect(rerankingScores([0, 1], [0.5, 0.5], 10).mrr).toBe(1);
  });
});

describe("CrossEncoderRerankingEvaluator", () => {
  it("averages MAP, MRR@10 and NDCG@10 over samples with negatives", async () => {
    const model = new LookupScorer(scores);
    const ev = new CrossEncoderRerankingEvaluator(
      [
        { query: "q", positive: ["p1"], negative: ["n1", "n2"] }, // perfect
        { query: "q", positive: "p2", negative: ["n3", "n4"] }, // positive second
      ],
      { name: "dev", batchSize: 8 },
    );
    const m = await ev.evaluate(model);
    expect(ev.primaryMetric).toBe("dev_ndcg@10");
    expect(Object.keys(m)).toEqual(["dev_map", "dev_mrr@10", "dev_ndcg@10"]);
    expect(m["dev_map"]).toBe(0.75);
    expect(m["dev_mrr@10"]).toBe(0.75);
    expect(m["dev_ndcg@10"]).toBeCloseTo((1 + 1 / log2of3) / 2, 15);
    expect(model.calls[0]).toEqual([["q", "p1"], ["q", "n1"], ["q", "n2"]]);
  });

  it("reports the first-stage order as base_* when samples carry documents", async () => {
    const model = new LookupScorer(scores);
    // Base order n1, p1, n2: relevant at rank 2 → MRR 1/2, AP 1/2, NDCG 1/log2(3). Reranked: p1 first.
    const m = await new CrossEncoderRerankingEvaluator([{ query: "q", positive: ["p1"], documents: ["n1", "p1", "n2"] }]).evaluate(model);
    expect(m).toMatchObject({ map: 1, "mrr@10": 1, "ndcg@10": 1, base_map: 0.5, "base_mrr@10": 0.5 });
    expect(m["base_ndcg@10"]).toBeCloseTo(1 / log2of3, 15);
    expect(model.calls[0]!.map(([, d]) => d)).toEqual(["p1", "n1", "n2"]);
  });

  it("appends positives the first stage missed, unless alwaysRerankPositives is false", async () => {
    const sample = { query: "q", positive: ["p1", "p9"], documents: ["n1", "p1"] };
    // Base: n1, p1, then the missed p9 → precision 1/2 at rank 2 and 2/3 at rank 3.
    const all = await new CrossEncoderRerankingEvaluator([sample]).evaluate(new LookupScorer(scores));
    expect(all["base_map"]).toBeCloseTo((1 / 2 + 2 / 3) / 2, 15);
    // Reranked p1 (0.9), n1 (0.5), p9 (0.05).
    expect(all["map"]).toBeCloseTo((1 + 2 / 3) / 2, 15);
    const model = new LookupScorer(scores);
    const only = await new CrossEncoderRerankingEvaluator([sample], { alwaysRerankPositives: false }).evaluate(model);
    expect(model.calls[0]!.map(([, d]) => d)).toEqual(["n1", "p1"]);
    expect(only["map"]).toBe(1);
  });

  it("counts a sample without any positive to rank as 0 without scoring it", async () => {
    const model = new LookupScorer(scores);
    const m = await new CrossEncoderRerankingEvaluator([{ query: "q", positive: [], negative: ["n1", "n2"] }, { query: "q", positive: ["p1"], negative: ["n1"] }]).evaluate(model);
    expect(model.calls).toHaveLength(1);
    expect(m["map"]).toBe(0.5);
  });

  it("rejects malformed samples, multi-label models and one-document lists", async () => {
    expect(() => new CrossEncoderRerankingEvaluator([])).toThrow(SbertError);
    expect(() => new CrossEncoderRerankingEvaluator([{ query: "q", positive: ["a"], negative: ["b"], documents: ["c"] }])).toThrow(/exactly one/);
    expect(() => new CrossEncoderRerankingEvaluator([{ query: "q", positive: ["a"] }])).toThrow(/exactly one/);
    expect(() => new CrossEncoderRerankingEvaluator([{ query: 1 as never, positive: ["a"], negative: [] }])).toThrow(/query/);
    const ev = new CrossEncoderRerankingEvaluator([{ query: "q", positive: ["p1"], negative: ["n1"] }]);
    await expect(ev.evaluate(new LookupScorer({}, 3))).rejects.toThrow(/one label/);
    await expect(new CrossEncoderRerankingEvaluator([{ query: "q", positive: ["p1"], negative: [] }]).evaluate(new LookupScorer(scores))).rejects.toThrow(/at least 2/);
  });
});
