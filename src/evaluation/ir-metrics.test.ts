import { describe, expect, it } from "vitest";
import { DenseMatrix } from "../tensor/dense.js";
import { TopKCollector, comparePyStr, irMetrics, type IrCutoffs } from "./ir-metrics.js";
import { oracle } from "./testdata/oracle.js";

const ALL_K: IrCutoffs = { accuracyAtK: [1, 3], precisionRecallAtK: [1, 3, 10], mrrAtK: [10], ndcgAtK: [10], mapAtK: [100] };

describe("irMetrics", () => {
  it("computes hand-checked values for one query", () => {
    // Relevant {d1, d3}; ranking d2, d1, d4, d3 → hits at ranks 2 and 4.
    const m = irMetrics([["d2", "d1", "d4", "d3"]], [new Set(["d1", "d3"])], ALL_K);
    expect(m["accuracy@1"]).toBe(0);
    expect(m["accuracy@3"]).toBe(1);
    expect(m["precision@3"]).toBe(1 / 3);
    expect(m["precision@10"]).toBe(2 / 10); // divided by k even though only 4 were retrieved
    expect(m["recall@3"]).toBe(1 / 2);
    expect(m["mrr@10"]).toBe(1 / 2);
    expect(m["ndcg@10"]).toBeCloseTo((1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3)), 15);
    expect(m["map@100"]).toBe((1 / 2 + 2 / 4) / 2);
    expect(Object.keys(m)).toEqual(["accuracy@1", "accuracy@3", "precision@1", "precision@3", "precision@10", "recall@1", "recall@3", "recall@10", "ndcg@10", "mrr@10", "map@100"]);
  });

  it("counts relevant ids outside the corpus in recall, the ideal DCG and MAP's min(k, |relevant|)", () => {
    const m = irMetrics([["d1", "d2"]], [new Set(["d1", "zz"])], { ...ALL_K, mapAtK: [1, 100] });
    expect(m["recall@3"]).toBe(1 / 2);
    expect(m["ndcg@10"]).toBe(1 / (1 + 1 / Math.log2(3)));
    expect(m["map@1"]).toBe(1); // 1 / min(1, 2)
    expect(m["map@100"]).toBe(1 / 2); // 1 / min(100, 2)
  });

  it("averages over queries and drops repeated k values", () => {
    const m = irMetrics([["a"], ["x"]], [new Set(["a"]), new Set(["b"])], { ...ALL_K, accuracyAtK: [1, 1] });
    expect(m["accuracy@1"]).toBe(0.5);
    expect(m["mrr@10"]).toBe(0.5);
  });

  it("rejects no queries, a query without relevant ids and bad cutoffs", () => {
    expect(() => irMetrics([], [])).toThrow(/at least one/);
    expect(() => irMetrics([["a"]], [new Set()])).toThrow(/no relevant/);
    expect(() => irMetrics([["a"]], [new Set(["a"])], { ...ALL_K, ndcgAtK: [] })).toThrow(/at least one k/);
    expect(() => irMetrics([["a"]], [new Set(["a"])], { ...ALL_K, mrrAtK: [0] })).toThrow(/integer ≥ 1/);
  });
});

describe("TopKCollector", () => {
  it("orders by score, then by corpus id, whatever the chunk size", () => {
    const ids = ["c", "a", "b", "d"];
    const scores = DenseMatrix.fromRows([[0.5, 0.5, 0.9, 0.5]]);
    for (const chunk of [1, 2, 3, 4]) {
      const top = new TopKCollector(1, 3, ids);
      for (let s = 0; s < ids.length; s += chunk) {
        const cols = Math.min(chunk, ids.length - s);
        const part = new DenseMatrix(scores.data.slice(s, s + cols), 1, cols);
        top.add(part, s);
      }
      expect(top.hits()[0]!.map((h) => h.corpusId)).toEqual(["b", "a", "c"]);
    }
  });

  it("reproduces Python's (-score, corpus_id) ranking on tied random scores for every chunk size", () => {
    for (const c of oracle.ir) {
      const maxK = Math.max(...Object.values(c.cutoffs).flat());
      const nc = c.corpus_ids.length;
      for (const chunk of [1, 7, nc]) {
        const top = new TopKCollector(c.scores.length, maxK, c.corpus_ids);
        for (let s = 0; s < nc; s += chunk) top.add(DenseMatrix.fromRows(c.scores.map((r) => r.slice(s, s + chunk))), s);
        expect(top.hits().map((h) => h.map((x) => x.corpusId))).toEqual(c.rankings);
      }
      const cut: IrCutoffs = { accuracyAtK: c.cutoffs.accuracy, precisionRecallAtK: c.cutoffs.pr, mrrAtK: c.cutoffs.mrr, ndcgAtK: c.cutoffs.ndcg, mapAtK: c.cutoffs.map };
      const m = irMetrics(c.rankings, c.relevant.map((r) => new Set(r)), cut);
      expect(Object.keys(m).sort()).toEqual(Object.keys(c.metrics).sort());
      for (const [k, v] of Object.entries(c.metrics)) expect(Math.abs(m[k]! - v), k).toBeLessThan(1e-15);
    }
  });
});

describe("comparePyStr", () => {
  it("orders by code point like Python, not by UTF-16 unit", () => {
    expect(comparePyStr("a", "b")).toBeLessThan(0);
    expect(comparePyStr("ab", "a")).toBeGreaterThan(0);
    expect(comparePyStr("10", "9")).toBeLessThan(0); // strings, not numbers
    // U+1F600 > U+FFFD in Python, although its first UTF-16 unit (0xD83D) is smaller.
    expect(comparePyStr("\u{1F600}", "\uFFFD")).toBeGreaterThan(0);
    expect("\u{1F600}" < "\uFFFD").toBe(true);
  });
});
