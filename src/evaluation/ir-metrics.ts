/**
 * The retrieval half of `InformationRetrievalEvaluator`, without a model: collecting each query's
 * best corpus entries chunk by chunk, and scoring rankings against relevance judgements with
 * Python's definitions of Accuracy@k, Precision@k, Recall@k, NDCG@k, MRR@k and MAP@k.
 */
import { SbertError } from "../errors.js";
import type { DenseMatrix } from "../tensor/dense.js";
import { pairwiseSum } from "./stats.js";

/** One retrieved corpus entry. */
export interface IrHit {
  corpusId: string;
  score: number;
}

/** The k values per metric (Python's defaults: MRR [10], NDCG [10], Accuracy [1, 3, 5, 10], Precision/Recall [1, 3, 5, 10], MAP [100]). */
export interface IrCutoffs {
  accuracyAtK: readonly number[];
  precisionRecallAtK: readonly number[];
  mrrAtK: readonly number[];
  ndcgAtK: readonly number[];
  mapAtK: readonly number[];
}

export const DEFAULT_IR_CUTOFFS: IrCutoffs = {
  accuracyAtK: [1, 3, 5, 10],
  precisionRecallAtK: [1, 3, 5, 10],
  mrrAtK: [10],
  ndcgAtK: [10],
  mapAtK: [100],
};

/**
 * Python's `str` order (by code point), which differs from JavaScript's `<` (by UTF-16 unit) only
 * for characters above U+FFFF against U+E000–U+FFFF.
 */
export function comparePyStr(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Ranking order of the evaluator: higher score first, then the smaller corpus id. */
function before(a: IrHit, b: IrHit): boolean {
  return a.score !== b.score ? a.score > b.score : comparePyStr(a.corpusId, b.corpusId) < 0;
}

/**
 * Keeps, per query, the `maxK` best corpus entries seen so far under the total order
 * (-score, corpus id). This is what Python's chunked `torch.topk` plus its re-selection of
 * boundary ties computes, so the result does not depend on the chunk size.
 *
 * @example
 * const top = new TopKCollector(2, 10, corpusIds);
 * top.add(cosSim(queries, corpusChunk), chunkStart); // for every chunk
 * top.hits()[0]; // [{ corpusId: "d3", score: 0.91 }, ...] best first
 */
export class TopKCollector {
  private readonly lists: IrHit[][];

  constructor(
    numQueries: number,
    readonly maxK: number,
    private readonly corpusIds: readonly string[],
  ) {
    this.lists = Array.from({ length: numQueries }, () => []);
  }

  /** Adds the scores (queries × chunk rows) of corpus rows [corpusStart, corpusStart + cols). */
  add(scores: DenseMatrix, corpusStart: number): void {
    if (scores.rows !== this.lists.length || corpusStart + scores.cols > this.corpusIds.length) {
      throw new SbertError("INVALID_INPUT", `TopKCollector.add: got ${scores.rows} × ${scores.cols} scores at ${corpusStart} for ${this.lists.length} queries and ${this.corpusIds.length} corpus entries`);
    }
    for (let q = 0; q < scores.rows; q++) {
      const list = this.lists[q]!;
      for (let j = 0; j < scores.cols; j++) {
        const hit: IrHit = { corpusId: this.corpusIds[corpusStart + j]!, score: scores.data[q * scores.cols + j]! };
        if (list.length === this.maxK && !before(hit, list[list.length - 1]!)) continue;
        let lo = 0;
        let hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (before(list[mid]!, hit)) lo = mid + 1;
          else hi = mid;
        }
        list.splice(lo, 0, hit);
        if (list.length > this.maxK) list.pop();
      }
    }
  }

  /** Each query's hits, best first. */
  hits(): IrHit[][] {
    return this.lists.map((l) => l.slice());
  }
}

/**
 * Python's `compute_metrics` for rankings (corpus ids, best first) against each query's relevant
 * ids. Keys in Python's order: `accuracy@k`, `precision@k`, `recall@k`, `ndcg@k`, `mrr@k`, `map@k`.
 *
 * - Accuracy@k: share of queries with a relevant id in the top k.
 * - Precision@k: relevant hits in the top k / k (k, even when fewer were retrieved).
 * - Recall@k: relevant hits in the top k / number of relevant ids.
 * - MRR@k: mean of 1 / rank of the first relevant hit in the top k (0 if none).
 * - NDCG@k: Σ rel_i / log₂(i + 2) over the top k, divided by the ideal DCG of
 *   min(k, |relevant|) relevant hits (binary relevance; relevant ids outside the corpus still count).
 * - MAP@k: Σ precision@rank over relevant hits in the top k, divided by min(k, |relevant|).
 *
 * Means are numpy's (pairwise sums); MRR and Accuracy sum in query order, as Python.
 */
export function irMetrics(rankings: readonly (readonly string[])[], relevantDocs: readonly ReadonlySet<string>[], cutoffs: IrCutoffs = DEFAULT_IR_CUTOFFS): Record<string, number> {
  const nq = rankings.length;
  if (nq === 0 || nq !== relevantDocs.length) {
    throw new SbertError("INVALID_INPUT", `irMetrics: ${nq} rankings for ${relevantDocs.length} relevance sets; pass one of each per query, at least one`);
  }
  const ks = normalizeCutoffs(cutoffs);
  const hits = new Map(ks.accuracyAtK.map((k) => [k, 0]));
  const precisions = new Map(ks.precisionRecallAtK.map((k) => [k, new Float64Array(nq)]));
  const recalls = new Map(ks.precisionRecallAtK.map((k) => [k, new Float64Array(nq)]));
  const mrr = new Map(ks.mrrAtK.map((k) => [k, 0]));
  const ndcg = new Map(ks.ndcgAtK.map((k) => [k, new Float64Array(nq)]));
  const aveP = new Map(ks.mapAtK.map((k) => [k, new Float64Array(nq)]));

  rankings.forEach((ranking, q) => {
    const relevant = relevantDocs[q]!;
    if (relevant.size === 0) throw new SbertError("INVALID_INPUT", `irMetrics: query ${q} has no relevant documents`);
    const isRel = ranking.map((id) => (relevant.has(id) ? 1 : 0));
    for (const k of ks.accuracyAtK) if (isRel.slice(0, k).includes(1)) hits.set(k, hits.get(k)! + 1);
    for (const k of ks.precisionRecallAtK) {
      const correct = countOnes(isRel, k);
      precisions.get(k)![q] = correct / k;
      recalls.get(k)![q] = correct / relevant.size;
    }
    for (const k of ks.mrrAtK) {
      const rank = isRel.slice(0, k).indexOf(1);
      if (rank >= 0) mrr.set(k, mrr.get(k)! + 1 / (rank + 1));
    }
    for (const k of ks.ndcgAtK) ndcg.get(k)![q] = dcgAtK(isRel, k) / dcgAtK(new Array<number>(relevant.size).fill(1), k);
    for (const k of ks.mapAtK) {
      let correct = 0;
      let sum = 0;
      isRel.slice(0, k).forEach((r, rank) => {
        if (r) sum += ++correct / (rank + 1);
      });
      aveP.get(k)![q] = sum / Math.min(k, relevant.size);
    }
  });

  const out: Record<string, number> = {};
  for (const [k, v] of hits) out[`accuracy@${k}`] = v / nq;
  for (const [k, v] of precisions) out[`precision@${k}`] = pairwiseSum(v) / nq;
  for (const [k, v] of recalls) out[`recall@${k}`] = pairwiseSum(v) / nq;
  for (const [k, v] of ndcg) out[`ndcg@${k}`] = pairwiseSum(v) / nq;
  for (const [k, v] of mrr) out[`mrr@${k}`] = v / nq;
  for (const [k, v] of aveP) out[`map@${k}`] = pairwiseSum(v) / nq;
  return out;
}

/** Every list non-empty, integers ≥ 1, duplicates dropped (Python would count a repeated k twice). */
export function normalizeCutoffs(c: IrCutoffs): IrCutoffs {
  const one = (ks: readonly number[], what: string): number[] => {
    if (!Array.isArray(ks) || ks.length === 0) throw new SbertError("INVALID_INPUT", `${what} must list at least one k`);
    for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new SbertError("INVALID_INPUT", `${what}: k must be an integer ≥ 1, got ${k}`);
    return [...new Set(ks)];
  };
  return {
    accuracyAtK: one(c.accuracyAtK, "accuracyAtK"),
    precisionRecallAtK: one(c.precisionRecallAtK, "precisionRecallAtK"),
    mrrAtK: one(c.mrrAtK, "mrrAtK"),
    ndcgAtK: one(c.ndcgAtK, "ndcgAtK"),
    mapAtK: one(c.mapAtK, "mapAtK"),
  };
}

/** Python's `compute_dcg_at_k`: Σ_{i < min(len, k)} rel_i / log₂(i + 2), summed in order. */
function dcgAtK(relevances: readonly number[], k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(relevances.length, k); i++) dcg += relevances[i]! / Math.log2(i + 2);
  return dcg;
}

function countOnes(isRel: readonly number[], k: number): number {
  let c = 0;
  for (let i = 0; i < Math.min(k, isRel.length); i++) c += isRel[i]!;
  return c;
}
