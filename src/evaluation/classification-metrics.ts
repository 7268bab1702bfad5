/**
 * Threshold search and classification scores of the Python evaluators:
 * `BinaryClassificationEvaluator.find_best_acc_and_threshold` / `find_best_f1_and_threshold`,
 * and scikit-learn's `matthews_corrcoef` and `f1_score`.
 *
 * The threshold search sorts the pairs by score (best first, ties kept in input order, like
 * Python's stable `sorted(..., reverse=True)`), walks the cut down the list and keeps the first cut
 * that beats the best so far; the threshold is the midpoint of the scores on either side of that
 * cut. As in Python the cut after the last pair is never tried. Float32Array scores give float32
 * midpoints (numpy float32 arithmetic), other arrays float64.
 *
 * @example
 * findBestAccAndThreshold([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0], true); // { accuracy: 1, threshold: 0.55 }
 */
import { SbertError } from "../errors.js";
import { averagePrecision, requireBinary } from "./ranking-metrics.js";
import { pairwiseSum } from "./stats.js";

export interface AccuracyThreshold {
  accuracy: number;
  /** Scores on the "similar" side of this value are predicted 1 (≥ for similarities, ≤ for distances). */
  threshold: number;
}

export interface F1Threshold {
  f1: number;
  precision: number;
  recall: number;
  threshold: number;
}

/**
 * Best accuracy over all cuts of the sorted scores (0 and threshold -1 when there is no cut, i.e.
 * fewer than 2 pairs). `highScoreMoreSimilar` false treats scores as distances (ascending).
 */
export function findBestAccAndThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, highScoreMoreSimilar: boolean): AccuracyThreshold {
  const rows = sortedRows(scores, labels, highScoreMoreSimilar, "findBestAccAndThreshold");
  const n = rows.length;
  let maxAcc = 0;
  let bestThreshold = -1;
  let positiveSoFar = 0;
  let remainingNegatives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 0) remainingNegatives++;
  for (let i = 0; i < n - 1; i++) {
    if (labels[rows[i]!] === 1) positiveSoFar++;
    else remainingNegatives--;
    const acc = (positiveSoFar + remainingNegatives) / n;
    if (acc > maxAcc) {
      maxAcc = acc;
      bestThreshold = midpoint(scores, rows[i]!, rows[i + 1]!);
    }
  }
  return { accuracy: maxAcc, threshold: bestThreshold };
}

/** Best F1 over all cuts (all zeros when no cut has a positive above it). */
export function findBestF1AndThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, highScoreMoreSimilar: boolean): F1Threshold {
  const rows = sortedRows(scores, labels, highScoreMoreSimilar, "findBestF1AndThreshold");
  let best: F1Threshold = { f1: 0, precision: 0, recall: 0, threshold: 0 };
  let totalPositives = 0;
  for (let i = 0; i < rows.length; i++) totalPositives += labels[i]!;
  let nExtract = 0;
  let nCorrect = 0;
  for (let i = 0; i < rows.length - 1; i++) {
    nExtract++;
    if (labels[rows[i]!] === 1) nCorrect++;
    if (nCorrect > 0) {
      const precision = nCorrect / nExtract;
      const recall = nCorrect / totalPositives;
      const f1 = (2 * precision * recall) / (precision + recall);
      if (f1 > best.f1) best = { f1, precision, recall, threshold: midpoint(scores, rows[i]!, rows[i + 1]!) };
    }
  }
  return best;
}

/** `sklearn.metrics.matthews_corrcoef` for 0/1 labels and predictions (0 when undefined). */
export function matthewsCorrcoef(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  if (yTrue.length !== yPred.length) throw new SbertError("INVALID_INPUT", `matthewsCorrcoef: ${yTrue.length} labels but ${yPred.length} predictions`);
  requireBinary(yTrue, "matthewsCorrcoef");
  requireBinary(yPred, "matthewsCorrcoef");
  const n = yTrue.length;
  let t1 = 0;
  let p1 = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    t1 += yTrue[i]!;
    p1 += yPred[i]!;
    if (yTrue[i] === yPred[i]) correct++;
  }
  const t0 = n - t1;
  const p0 = n - p1;
  const covTP = correct * n - (t0 * p0 + t1 * p1);
  const covPP = n * n - (p0 * p0 + p1 * p1);
  const covTT = n * n - (t0 * t0 + t1 * t1);
  const denom = covPP * covTT;
  return denom === 0 ? 0 : covTP / Math.sqrt(denom);
}

export interface F1Scores {
  macro: number;
  micro: number;
  weighted: number;
}

/**
 * `sklearn.metrics.f1_score(yTrue, yPred, average=...)` for "macro", "micro" and "weighted", over
 * the labels that occur in either list (micro F1 equals accuracy here).
 */
export function f1Scores(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): F1Scores {
  const n = yTrue.length;
  if (n !== yPred.length) throw new SbertError("INVALID_INPUT", `f1Scores: ${n} labels but ${yPred.length} predictions`);
  if (n === 0) throw new SbertError("INVALID_INPUT", "f1Scores: no labels");
  const labels = [...new Set([...Array.from(yTrue), ...Array.from(yPred)])].sort((a, b) => a - b);
  const index = new Map(labels.map((l, i) => [l, i]));
  const tp = new Float64Array(labels.length);
  const trueSum = new Float64Array(labels.length);
  const predSum = new Float64Array(labels.length);
  for (let i = 0; i < n; i++) {
    const t = index.get(yTrue[i]!)!;
    const p = index.get(yPred[i]!)!;
    trueSum[t]!++;
    predSum[p]!++;
    if (t === p) tp[t]!++;
  }
  const f = tp.map((v, i) => (2 * v) / (trueSum[i]! + predSum[i]!));
  const tpAll = tp.reduce((a, b) => a + b, 0);
  const weightedSum = pairwiseSum(f.map((v, i) => v * trueSum[i]!));
  return {
    macro: pairwiseSum(f) / f.length,
    micro: (2 * tpAll) / (2 * n),
    weighted: weightedSum / pairwiseSum(trueSum),
  };
}

/** Everything a binary classifier's scores give, as BinaryClassificationEvaluator reports per similarity function. */
export interface BinaryScoreMetrics {
  accuracy: number;
  accuracy_threshold: number;
  f1: number;
  f1_threshold: number;
  precision: number;
  recall: number;
  ap: number;
  mcc: number;
}

/**
 * The metrics of one score column against 0/1 labels: best-threshold accuracy and F1 (with the
 * precision and recall of the best F1), average precision, and MCC of the predictions at the F1
 * threshold. `greaterIsBetter` false for distances.
 */
export function binaryScoreMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, greaterIsBetter: boolean): BinaryScoreMetrics {
  const { accuracy, threshold: accuracyThreshold } = findBestAccAndThreshold(scores, labels, greaterIsBetter);
  const { f1, precision, recall, threshold: f1Threshold } = findBestF1AndThreshold(scores, labels, greaterIsBetter);
  const signed = greaterIsBetter ? scores : Array.from(scores, (s) => -s);
  const ap = averagePrecision(labels, signed);
  const predicted = Array.from(scores, (s) => ((greaterIsBetter ? s >= f1Threshold : s <= f1Threshold) ? 1 : 0));
  const mcc = matthewsCorrcoef(labels, predicted);
  return { accuracy, accuracy_threshold: accuracyThreshold, f1, f1_threshold: f1Threshold, precision, recall, ap, mcc };
}

function sortedRows(scores: ArrayLike<number>, labels: ArrayLike<number>, descending: boolean, what: string): number[] {
  if (scores.length !== labels.length) {
    throw new SbertError("INVALID_INPUT", `${what}: ${scores.length} scores but ${labels.length} labels; pass one label per score`);
  }
  requireBinary(labels, what);
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new SbertError("INVALID_INPUT", `${what}: score ${i} is NaN`);
  }
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  return idx.sort(descending ? (i, j) => scores[j]! - scores[i]! : (i, j) => scores[i]! - scores[j]!);
}

/** (a + b) / 2 in the scores' own precision, like numpy on float32 arrays. */
function midpoint(scores: ArrayLike<number>, i: number, j: number): number {
  const a = scores[i]!;
  const b = scores[j]!;
  return scores instanceof Float32Array ? Math.fround(Math.fround(a + b) / 2) : (a + b) / 2;
}
