/**
 * `BinaryClassificationEvaluator`: how well a similarity threshold separates similar (1) from
 * dissimilar (0) sentence pairs.
 */
import { SbertError } from "../errors.js";
import { type ShowProgressBar } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { DenseMatrix } from "../tensor/dense.js";
import { pairwiseSimilarityFunction, type SimilarityFunctionName } from "../util/index.js";
import { type BinaryScoreMetrics, binaryScoreMetrics } from "./classification-metrics.js";
import {
  type Evaluator,
  type SentenceEncoder,
  embedTexts,
  encodeOptions,
  maxOf,
  prefixNameToMetrics,
  prefixedKey,
  requireNonEmpty,
  requirePositiveInt,
  requireSameLength,
  requireSimilarityNames,
  similarityNamesFor,
  requireTexts,
} from "./evaluator.js";
import { requireBinary } from "./ranking-metrics.js";

export interface BinaryClassificationEvaluatorOptions {
  name?: string;
  /** Texts per encode batch (default 32, as Python). */
  batchSize?: number;
  /** Functions to compute; default: the model's `similarityFnName`. */
  similarityFnNames?: readonly SimilarityFunctionName[];
  truncateDim?: number;
  /** Draw a bar while embedding (texts, texts/s, ETA) on stderr (`true`) or on a given stream. */
  showProgressBar?: ShowProgressBar;
}

const KEYS = optionKeys<BinaryClassificationEvaluatorOptions>({ name: true, batchSize: true, similarityFnNames: true, truncateDim: true, showProgressBar: true });

/** The metric names reported per similarity function, in Python's order. */
export const BINARY_METRIC_NAMES = ["accuracy", "accuracy_threshold", "f1", "f1_threshold", "precision", "recall", "ap", "mcc"] as const;

/**
 * Pure core: for each similarity function, `<fn>_accuracy`, `<fn>_accuracy_threshold`, `<fn>_f1`,
 * `<fn>_f1_threshold`, `<fn>_precision`, `<fn>_recall`, `<fn>_ap`, `<fn>_mcc`, plus `max_<metric>`
 * over the functions when several are given.
 *
 * cosine and dot are similarities (predict 1 when score ≥ threshold); euclidean and manhattan are
 * scored as distances ‖a − b‖ (predict 1 when distance ≤ threshold, thresholds are positive
 * distances). This is the fixed Python behaviour (sentence-transformers PR #3886); releases from
 * v3.3.0 until that fix scored the negative distances with the distance direction, which inverted
 * these two functions' metrics.
 */
export function binaryClassificationMetrics(
  emb1: DenseMatrix,
  emb2: DenseMatrix,
  labels: ArrayLike<number>,
  similarityFnNames: readonly SimilarityFunctionName[],
): Record<string, number> {
  if (emb1.rows !== labels.length || emb2.rows !== labels.length) {
    throw new SbertError("INVALID_INPUT", `binaryClassificationMetrics: ${emb1.rows} and ${emb2.rows} embeddings for ${labels.length} labels`);
  }
  if (similarityFnNames.length === 0) throw new SbertError("INVALID_INPUT", "binaryClassificationMetrics: name at least one similarity function");
  requireBinary(labels, "labels");
  const perFn = new Map<SimilarityFunctionName, BinaryScoreMetrics>();
  for (const fn of similarityFnNames) {
    const sims = pairwiseSimilarityFunction(fn)(emb1, emb2);
    const isDistance = fn === "euclidean" || fn === "manhattan";
    perFn.set(fn, binaryScoreMetrics(isDistance ? sims.map((s) => -s) : sims, labels, !isDistance));
  }
  const metrics: Record<string, number> = {};
  for (const [fn, values] of perFn) for (const m of BINARY_METRIC_NAMES) metrics[`${fn}_${m}`] = values[m];
  if (perFn.size > 1) {
    for (const m of BINARY_METRIC_NAMES) metrics[`max_${m}`] = maxOf([...perFn.values()].map((v) => v[m]));
  }
  return metrics;
}

/**
 * Embeds each distinct sentence once and reports, per similarity function, the accuracy and F1 at
 * their best thresholds, precision and recall at the best-F1 threshold, average precision and
 * Matthews correlation. Primary metric: `<fn>_ap`, or `max_ap` with several functions.
 *
 * @example
 * const ev = new BinaryClassificationEvaluator(s1, s2, [1, 0, 1], { name: "mrpc" });
 * (await ev.evaluate(model))["mrpc_cosine_ap"];
 */
export class BinaryClassificationEvaluator implements Evaluator<SentenceEncoder> {
  readonly sentences1: readonly string[];
  readonly sentences2: readonly string[];
  readonly labels: readonly number[];
  readonly name: string;
  readonly batchSize: number;
  readonly similarityFnNames: readonly SimilarityFunctionName[];
  readonly truncateDim: number | undefined;
  readonly greaterIsBetter = true;
  primaryMetric: string;

  private readonly showProgressBar: ShowProgressBar | undefined;

  constructor(sentences1: readonly string[], sentences2: readonly string[], labels: ArrayLike<number>, opts: BinaryClassificationEvaluatorOptions = {}) {
    checkOptions(opts, KEYS, "BinaryClassificationEvaluator");
    this.showProgressBar = opts.showProgressBar;
    this.sentences1 = requireTexts(sentences1, "sentences1");
    this.sentences2 = requireTexts(sentences2, "sentences2");
    this.labels = Array.from(labels);
    requireSameLength({ sentences1: this.sentences1.length, sentences2: this.sentences2.length, labels: this.labels.length });
    requireNonEmpty(this.labels.length, "the dataset");
    requireBinary(this.labels, "labels");
    this.name = opts.name ?? "";
    this.batchSize = requirePositiveInt(opts.batchSize ?? 32, "batchSize");
    this.truncateDim = opts.truncateDim === undefined ? undefined : requirePositiveInt(opts.truncateDim, "truncateDim");
    this.similarityFnNames = requireSimilarityNames(opts.similarityFnNames ?? [], "similarityFnNames");
    this.primaryMetric = prefixedKey(primaryKey(this.similarityFnNames.length ? this.similarityFnNames : ["cosine"]), this.name);
  }

  async evaluate(model: SentenceEncoder): Promise<Record<string, number>> {
    const names = similarityNamesFor(this.similarityFnNames, model);
    const unique = [...new Set([...this.sentences1, ...this.sentences2])];
    const emb = await embedTexts((t, o) => model.encode(t, o), unique, encodeOptions(this.batchSize, this.truncateDim, this.showProgressBar));
    const row = new Map(unique.map((s, i) => [s, i]));
    const pick = (texts: readonly string[]): DenseMatrix => {
      const out = new Float32Array(texts.length * emb.cols);
      texts.forEach((t, i) => out.set(emb.row(row.get(t)!), i * emb.cols));
      return new DenseMatrix(out, texts.length, emb.cols);
    };
    const metrics = binaryClassificationMetrics(pick(this.sentences1), pick(this.sentences2), this.labels, names);
    this.primaryMetric = prefixedKey(primaryKey(names), this.name);
    return prefixNameToMetrics(metrics, this.name);
  }
}

function primaryKey(names: readonly SimilarityFunctionName[]): string {
  return names.length > 1 ? "max_ap" : `${names[0]}_ap`;
}
