/**
 * `CrossEncoderRerankingEvaluator`: scores each query's candidate documents with a cross-encoder and
 * reports MAP, MRR@k and NDCG@k of the resulting ranking.
 */
import { SbertError } from "../errors.js";
import { type ShowProgressBar, startProgress } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { type Evaluator, type PairScorer, prefixNameToMetrics, prefixedKey, requireNonEmpty, requirePositiveInt } from "./evaluator.js";
import { averagePrecision, ndcgScore } from "./ranking-metrics.js";
import { mean } from "./stats.js";

/**
 * One query with its candidates: `positive` plus either `negative` (irrelevant documents) or
 * `documents` (a first-stage ranking, best first, that may include the positives).
 */
export interface RerankingSample {
  query: string;
  positive: string | readonly string[];
  negative?: readonly string[];
  documents?: readonly string[];
}

export interface CrossEncoderRerankingEvaluatorOptions {
  name?: string;
  /** Cut-off of MRR and NDCG (default 10). */
  atK?: number;
  /**
   * With `documents`: rank every positive even if the first stage missed it (default true); false
   * ranks only `documents`. Samples with `negative` always rank all positives.
   */
  alwaysRerankPositives?: boolean;
  /** Pairs per predict batch (default 64). */
  batchSize?: number;
  /** Draw a bar over the samples (samples/s, ETA) on stderr (`true`) or on a given stream. */
  showProgressBar?: ShowProgressBar;
}

const KEYS = optionKeys<CrossEncoderRerankingEvaluatorOptions>({ name: true, atK: true, alwaysRerankPositives: true, batchSize: true, showProgressBar: true });

/** MRR@k, NDCG@k and AP of one query's scores, as Python's `compute_metrics`. */
export interface RerankingScores {
  mrr: number;
  ndcg: number;
  ap: number;
}

/**
 * Pure core for one query: `isRelevant` (0/1) and the predicted scores of the same documents.
 * MRR@k: 1 / rank of the first relevant document among the top k (0 if none), ranking by score,
 * descending, with tied scores in reverse input order (numpy's `argsort(...)[::-1]` where numpy's
 * sort is stable; its SIMD sorts may order ties differently). NDCG@k: scikit-learn's `ndcg_score`
 * (tie-averaged). AP: scikit-learn's `average_precision_score`.
 */
export function rerankingScores(isRelevant: readonly number[], predScores: ArrayLike<number>, atK: number): RerankingScores {
  if (isRelevant.length !== predScores.length) throw new SbertError("INVALID_INPUT", `rerankingScores: ${isRelevant.length} labels but ${predScores.length} scores`);
  const ranking = Array.from({ length: predScores.length }, (_, i) => i)
    .sort((i, j) => predScores[i]! - predScores[j]! || i - j)
    .reverse();
  const first = ranking.slice(0, atK).findIndex((i) => isRelevant[i] === 1);
  return { mrr: first < 0 ? 0 : 1 / (first + 1), ndcg: ndcgScore(isRelevant, predScores, atK), ap: averagePrecision(isRelevant, predScores) };
}

/**
 * Reports `map`, `mrr@<k>`, `ndcg@<k>` (means over queries; a query without any relevant document
 * to rank counts as 0), plus `base_map`, `base_mrr@<k>`, `base_ndcg@<k>` of the given first-stage
 * order when the samples carry `documents` (Python decides this from the last sample). Primary
 * metric: `ndcg@<k>`. Needs a one-label cross-encoder; every ranked list needs ≥ 2 documents
 * (scikit-learn's NDCG refuses one).
 *
 * @example
 * const ev = new CrossEncoderRerankingEvaluator([{ query: "q", positive: ["a"], negative: ["b", "c"] }], { name: "dev" });
 * (await ev.evaluate(crossEncoder))["dev_ndcg@10"];
 */
export class CrossEncoderRerankingEvaluator implements Evaluator<PairScorer> {
  readonly samples: readonly RerankingSample[];
  readonly name: string;
  readonly atK: number;
  readonly alwaysRerankPositives: boolean;
  readonly batchSize: number;
  readonly greaterIsBetter = true;
  readonly primaryMetric: string;

  private readonly showProgressBar: ShowProgressBar | undefined;

  constructor(samples: readonly RerankingSample[], opts: CrossEncoderRerankingEvaluatorOptions = {}) {
    checkOptions(opts, KEYS, "CrossEncoderRerankingEvaluator");
    this.showProgressBar = opts.showProgressBar;
    if (!Array.isArray(samples)) throw new SbertError("INVALID_INPUT", "samples must be a list of { query, positive, negative | documents }");
    requireNonEmpty(samples.length, "samples");
    samples.forEach(checkSample);
    this.samples = samples;
    this.name = opts.name ?? "";
    this.atK = requirePositiveInt(opts.atK ?? 10, "atK");
    this.alwaysRerankPositives = opts.alwaysRerankPositives ?? true;
    this.batchSize = requirePositiveInt(opts.batchSize ?? 64, "batchSize");
    this.primaryMetric = prefixedKey(`ndcg@${this.atK}`, this.name);
  }

  async evaluate(model: PairScorer): Promise<Record<string, number>> {
    if (model.numLabels !== 1) throw new SbertError("INVALID_OPERATION", `reranking needs a cross-encoder with one label; this one has ${model.numLabels}`);
    const all: RerankingScores[] = [];
    const base: RerankingScores[] = [];
    const zero: RerankingScores = { mrr: 0, ndcg: 0, ap: 0 };
    const progress = startProgress(this.showProgressBar, "reranking", this.samples.length, "samples");
    for (const sample of this.samples) {
      progress?.tick();
      const positive = typeof sample.positive === "string" ? [sample.positive] : sample.positive;
      const documents = sample.documents;
      let docs: readonly string[];
      let isRelevant: number[];
      if (documents) {
        const baseRelevant: number[] = documents.map((d) => (positive.includes(d) ? 1 : 0));
        const found = sum(baseRelevant);
        if (found === 0) base.push(zero);
        else {
          baseRelevant.push(...new Array<number>(Math.max(0, positive.length - found)).fill(1));
          base.push(rerankingScores(baseRelevant, baseRelevant.map((_, i) => baseRelevant.length - i), this.atK));
        }
        if (this.alwaysRerankPositives) {
          docs = [...positive, ...documents.filter((d) => !positive.includes(d))];
          isRelevant = docs.map((_, i) => (i < positive.length ? 1 : 0));
        } else {
          docs = documents;
          isRelevant = baseRelevant.slice(0, documents.length);
        }
      } else {
        docs = [...positive, ...sample.negative!];
        isRelevant = docs.map((_, i) => (i < positive.length ? 1 : 0));
      }
      if (sum(isRelevant) === 0) {
        all.push(zero);
        continue;
      }
      const pred = await model.predict(docs.map((d) => [sample.query, d] as const), { batchSize: this.batchSize });
      if (!(pred instanceof Float32Array) || pred.length !== docs.length) throw new SbertError("INVALID_OPERATION", "predict returned no score per document");
      all.push(rerankingScores(isRelevant, pred, this.atK));
    }
    progress?.finish();
    const metrics: Record<string, number> = summarize(all, "", this.atK);
    if (this.samples[this.samples.length - 1]!.documents) Object.assign(metrics, summarize(base, "base_", this.atK));
    return prefixNameToMetrics(metrics, this.name);
  }
}

function summarize(scores: readonly RerankingScores[], prefix: string, atK: number): Record<string, number> {
  return {
    [`${prefix}map`]: mean(scores.map((s) => s.ap)),
    [`${prefix}mrr@${atK}`]: mean(scores.map((s) => s.mrr)),
    [`${prefix}ndcg@${atK}`]: mean(scores.map((s) => s.ndcg)),
  };
}

function sum(a: readonly number[]): number {
  return a.reduce((x, y) => x + y, 0);
}

function checkSample(s: RerankingSample, i: number): void {
  const texts = (v: unknown): boolean => Array.isArray(v) && v.every((t) => typeof t === "string");
  if (s === null || typeof s !== "object" || typeof s.query !== "string") throw new SbertError("INVALID_INPUT", `samples[${i}] needs a string "query"`);
  if (typeof s.positive !== "string" && !texts(s.positive)) throw new SbertError("INVALID_INPUT", `samples[${i}] needs "positive": a text or a list of texts`);
  if ((s.negative === undefined) === (s.documents === undefined)) throw new SbertError("INVALID_INPUT", `samples[${i}] needs exactly one of "negative" and "documents"`);
  const list = s.negative ?? s.documents;
  if (!texts(list)) throw new SbertError("INVALID_INPUT", `samples[${i}]: "${s.negative ? "negative" : "documents"}" must be a list of texts`);
  if (s.documents !== undefined && s.documents.length === 0) throw new SbertError("INVALID_INPUT", `samples[${i}]: "documents" is empty`);
}
