/**
 * `CrossEncoderClassificationEvaluator`: accuracy of a cross-encoder's predicted classes against gold
 * labels, binary (one output) or multi-class (several outputs).
 */
import { SbertError } from "../errors.js";
import { type ShowProgressBar } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { DenseMatrix } from "../tensor/dense.js";
import { f1Scores, findBestAccAndThreshold, findBestF1AndThreshold } from "./classification-metrics.js";
import { type Evaluator, type PairScorer, prefixNameToMetrics, prefixedKey, requireNonEmpty, requirePositiveInt, requireSameLength } from "./evaluator.js";
import { averagePrecision, requireBinary } from "./ranking-metrics.js";

export interface CrossEncoderClassificationEvaluatorOptions {
  name?: string;
  /** Pairs per predict batch (default 32). */
  batchSize?: number;
  /** Draw a bar while predicting (pairs, pairs/s, ETA) on stderr (`true`) or on a given stream. */
  showProgressBar?: ShowProgressBar;
}

const KEYS = optionKeys<CrossEncoderClassificationEvaluatorOptions>({ name: true, batchSize: true, showProgressBar: true });

/**
 * Pure core for a one-output model: `accuracy`, `accuracy_threshold`, `f1`, `f1_threshold`,
 * `precision`, `recall` (threshold searches of BinaryClassificationEvaluator, higher score = class 1)
 * and `average_precision`.
 */
export function binaryClassificationScores(scores: ArrayLike<number>, labels: ArrayLike<number>): Record<string, number> {
  requireBinary(labels, "labels");
  const acc = findBestAccAndThreshold(scores, labels, true);
  const f1 = findBestF1AndThreshold(scores, labels, true);
  return {
    accuracy: acc.accuracy,
    accuracy_threshold: acc.threshold,
    f1: f1.f1,
    f1_threshold: f1.threshold,
    precision: f1.precision,
    recall: f1.recall,
    average_precision: averagePrecision(labels, scores),
  };
}

/**
 * Pure core for a several-output model: the predicted class is the arg-max of each row (the first on
 * ties); reports scikit-learn's `f1_macro`, `f1_micro` (= accuracy) and `f1_weighted`.
 */
export function multiClassScores(scores: DenseMatrix, labels: ArrayLike<number>): Record<string, number> {
  if (scores.rows !== labels.length) throw new SbertError("INVALID_INPUT", `multiClassScores: ${scores.rows} score rows for ${labels.length} labels`);
  const predicted = Array.from({ length: scores.rows }, (_, r) => {
    let best = 0;
    for (let c = 1; c < scores.cols; c++) if (scores.get(r, c) > scores.get(r, best)) best = c;
    return best;
  });
  const f1 = f1Scores(labels, predicted);
  return { f1_macro: f1.macro, f1_micro: f1.micro, f1_weighted: f1.weighted };
}

/**
 * Scores every pair with `predict` (the model's default activation) and reports the binary metrics
 * for a one-label model (primary `average_precision`) or the F1 scores for a multi-label one
 * (primary `f1_macro`). Labels: 0/1 for one label, class indices 0..numLabels-1 otherwise.
 *
 * @example
 * const ev = new CrossEncoderClassificationEvaluator([["a", "b"], ["c", "d"]], [1, 0], { name: "dev" });
 * (await ev.evaluate(ce))["dev_average_precision"];
 */
export class CrossEncoderClassificationEvaluator implements Evaluator<PairScorer> {
  readonly sentencePairs: readonly (readonly [string, string])[];
  readonly labels: readonly number[];
  readonly name: string;
  readonly batchSize: number;
  readonly greaterIsBetter = true;
  primaryMetric: string;

  private readonly showProgressBar: ShowProgressBar | undefined;

  constructor(sentencePairs: readonly (readonly [string, string])[], labels: ArrayLike<number>, opts: CrossEncoderClassificationEvaluatorOptions = {}) {
    checkOptions(opts, KEYS, "CrossEncoderClassificationEvaluator");
    this.showProgressBar = opts.showProgressBar;
    if (!Array.isArray(sentencePairs)) throw new SbertError("INVALID_INPUT", "sentencePairs must be a list of [text, text] pairs");
    sentencePairs.forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string" || typeof p[1] !== "string") {
        throw new SbertError("INVALID_INPUT", `sentencePairs[${i}] must be a [text, text] pair`);
      }
    });
    this.labels = Array.from(labels);
    requireSameLength({ sentencePairs: sentencePairs.length, labels: this.labels.length });
    requireNonEmpty(this.labels.length, "the dataset");
    this.labels.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0) throw new SbertError("INVALID_INPUT", `labels[${i}] must be a class index ≥ 0, got ${l}`);
    });
    this.sentencePairs = sentencePairs;
    this.name = opts.name ?? "";
    this.batchSize = requirePositiveInt(opts.batchSize ?? 32, "batchSize");
    this.primaryMetric = prefixedKey(this.labels.every((l) => l <= 1) ? "average_precision" : "f1_macro", this.name);
  }

  async evaluate(model: PairScorer): Promise<Record<string, number>> {
    const pred = await model.predict(this.sentencePairs, { batchSize: this.batchSize, ...(this.showProgressBar === undefined ? {} : { showProgressBar: this.showProgressBar }) });
    let metrics: Record<string, number>;
    if (model.numLabels === 1) {
      if (!(pred instanceof Float32Array)) throw new SbertError("INVALID_OPERATION", "a one-label cross-encoder must predict one score per pair");
      metrics = binaryClassificationScores(pred, this.labels);
      this.primaryMetric = prefixedKey("average_precision", this.name);
    } else {
      if (!(pred instanceof DenseMatrix) || pred.cols !== model.numLabels) throw new SbertError("INVALID_OPERATION", "a multi-label cross-encoder must predict a (pairs × labels) matrix");
      const bad = this.labels.findIndex((l) => l >= model.numLabels);
      if (bad >= 0) throw new SbertError("INVALID_INPUT", `labels[${bad}] = ${this.labels[bad]} is not a class of this ${model.numLabels}-label model`);
      metrics = multiClassScores(pred, this.labels);
      this.primaryMetric = prefixedKey("f1_macro", this.name);
    }
    return prefixNameToMetrics(metrics, this.name);
  }
}
