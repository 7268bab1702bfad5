/**
 * Ranking metrics of scikit-learn, as the Python evaluators call them: `average_precision_score`
 * and `ndcg_score` for one query, both with scikit-learn's tie handling (tied scores form one
 * threshold / one block of averaged gain, so the order of tied items never matters).
 *
 * @example
 * averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.8333333333333333
 */
import { SbertError } from "../errors.js";
import { pairwiseSum } from "./stats.js";

/**
 * `sklearn.metrics.average_precision_score(yTrue, yScore)` for binary labels: the step-wise area
 * under the precision-recall curve, Σ (Rₙ − Rₙ₋₁) · Pₙ over the distinct score thresholds, highest
 * first. 0 when no label is positive (scikit-learn warns and returns 0 too).
 * Throws INVALID_INPUT for labels other than 0/1, NaN scores or no items.
 */
export function averagePrecision(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): number {
  const n = checkScored(yTrue, yScore, "averagePrecision");
  requireBinary(yTrue, "averagePrecision");
  // Descending scores; only the cumulative counts at the end of each run of equal scores are used.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => yScore[j]! - yScore[i]!);
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  for (let i = 0; i < n; i++) {
    tp += yTrue[order[i]!]!;
    if (i === n - 1 || yScore[order[i]!] !== yScore[order[i + 1]!]) {
      tps.push(tp);
      fps.push(1 + i - tp);
    }
  }
  const m = tps.length;
  const total = tps[m - 1]!;
  // precision_recall_curve, reversed so recall decreases, with (P=1, R=0) appended.
  const precision = (t: number): number => tps[t]! / (tps[t]! + fps[t]!);
  const recall = (t: number): number => (total === 0 ? 1 : tps[t]! / total);
  const terms = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const t = m - 1 - i;
    const nextRecall = t === 0 ? 0 : recall(t - 1);
    terms[i] = (nextRecall - recall(t)) * precision(t);
  }
  return Math.max(0, -pairwiseSum(terms));
}

/**
 * `sklearn.metrics.ndcg_score([yTrue], [yScore], k)` for one query: DCG with discount
 * 1 / log₂(rank + 1), positions from k on ignored, tied scores sharing their positions' discount
 * equally; divided by the DCG of the ideal order (0 when nothing is relevant).
 * Throws INVALID_INPUT for fewer than 2 items (scikit-learn refuses them), negative relevance or NaN scores.
 */
export function ndcgScore(yTrue: ArrayLike<number>, yScore: ArrayLike<number>, k?: number): number {
  const n = checkScored(yTrue, yScore, "ndcgScore");
  if (n < 2) throw new SbertError("INVALID_INPUT", `ndcgScore needs at least 2 documents to rank, got ${n}`);
  for (let i = 0; i < n; i++) {
    if (!(yTrue[i]! >= 0)) throw new SbertError("INVALID_INPUT", `ndcgScore: relevance must be ≥ 0, got ${yTrue[i]} at ${i}`);
  }
  if (k !== undefined && (!Number.isInteger(k) || k < 1)) throw new SbertError("INVALID_INPUT", `ndcgScore: k must be an integer ≥ 1, got ${k}`);
  const discount = new Float64Array(n);
  for (let i = 0; i < n && (k === undefined || i < k); i++) discount[i] = 1 / (Math.log(i + 2) / Math.log(2));

  // Ideal DCG: relevances sorted descending (ties cannot change it).
  const ideal = Array.from(yTrue).sort((a, b) => b - a);
  let idealGain = 0;
  for (let i = 0; i < n; i++) idealGain += discount[i]! * ideal[i]!;
  if (idealGain === 0) return 0;
  return tieAveragedDcg(yTrue, yScore, discount) / idealGain;
}

/** sklearn's `_tie_averaged_dcg`: each run of equal scores gets its mean gain times its summed discount. */
function tieAveragedDcg(yTrue: ArrayLike<number>, yScore: ArrayLike<number>, discount: Float64Array): number {
  const n = yTrue.length;
  const cumsum = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cumsum[i] = acc += discount[i]!;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => yScore[j]! - yScore[i]! || i - j);
  const terms: number[] = [];
  let prevEnd = -1;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && yScore[order[end + 1]!] === yScore[order[start]!]) end++;
    let gain = 0;
    for (let i = start; i <= end; i++) gain += yTrue[order[i]!]!;
    const discountSum = prevEnd < 0 ? cumsum[end]! : cumsum[end]! - cumsum[prevEnd]!;
    terms.push((gain / (end - start + 1)) * discountSum);
    prevEnd = end;
    start = end + 1;
  }
  return pairwiseSum(terms);
}

function checkScored(yTrue: ArrayLike<number>, yScore: ArrayLike<number>, what: string): number {
  if (yTrue.length !== yScore.length) {
    throw new SbertError("INVALID_INPUT", `${what}: ${yTrue.length} labels but ${yScore.length} scores; pass one score per label`);
  }
  if (yTrue.length === 0) throw new SbertError("INVALID_INPUT", `${what}: no items to score`);
  for (let i = 0; i < yScore.length; i++) {
    if (Number.isNaN(yScore[i])) throw new SbertError("INVALID_INPUT", `${what}: score ${i} is NaN`);
  }
  return yTrue.length;
}

/** Throws INVALID_INPUT unless every label is 0 or 1. */
export function requireBinary(labels: ArrayLike<number>, what: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new SbertError("INVALID_INPUT", `${what}: labels must be 0 or 1, got ${labels[i]} at index ${i}`);
    }
  }
}
