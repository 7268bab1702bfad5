/**
 * Correlation statistics as the Python evaluators compute them (scipy.stats / numpy), in float64.
 *
 * Ties and degenerate inputs follow scipy: `rankdata` gives tied values their average rank,
 * `spearman` is the Pearson correlation of those ranks, and a constant input (every value equal)
 * gives NaN for both coefficients, as scipy does (it also warns). NaN inputs propagate to NaN.
 *
 * Rounding: `spearman` reproduces scipy bit for bit (ranks are half-integers, so numpy's sums are
 * exact and only the final scaling rounds). `pearson` follows scipy's formula step by step with
 * numpy's pairwise summation; scipy's BLAS dot products may sum in another order, so it agrees to a
 * few ulps rather than bit for bit.
 *
 * @example
 * spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]); // 0.8207826816681233 (scipy.stats.spearmanr)
 */
import { SbertError } from "../errors.js";

/**
 * `np.sum` of a float64 vector: numpy's pairwise summation (blocks of 128 with eight partial sums,
 * sequential below 8 values), so means match numpy to the last bit.
 */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => a[start + j]!);
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j]! += a[start + i + j]!;
    }
    let res = (r[0]! + r[1]! + (r[2]! + r[3]!)) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `np.mean` of a float64 vector (NaN for an empty one, as numpy). */
export function mean(a: ArrayLike<number>): number {
  return a.length === 0 ? NaN : pairwiseSum(a) / a.length;
}

/**
 * `scipy.stats.rankdata(x, method="average")`: 1-based ranks, ties share the mean of the ranks they
 * span (so [10, 20, 20, 30] → [1, 2.5, 2.5, 4]).
 */
export function rankdata(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => x[i]! - x[j]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]!] === x[order[i]!]) j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k]!] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * Pearson's r of two equally long vectors, as `scipy.stats.pearsonr(x, y).statistic`: NaN when
 * either input is constant; exactly ±1 for two points. Throws INVALID_INPUT for fewer than 2 values
 * (scipy raises too).
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = requirePaired(x, y, "pearson");
  if (n < 2) throw new SbertError("INVALID_INPUT", `pearson needs at least 2 values, got ${n}`);
  if (isConstant(x) || isConstant(y)) return NaN;
  const xm = centered(x);
  const ym = centered(y);
  const normX = scaledNorm(xm);
  const normY = scaledNorm(ym);
  const prod = new Float64Array(n);
  for (let i = 0; i < n; i++) prod[i] = (xm[i]! / normX) * (ym[i]! / normY);
  const r = Math.min(1, Math.max(-1, pairwiseSum(prod)));
  return n === 2 && !Number.isNaN(r) ? Math.round(r) : r;
}

/**
 * Spearman's rank correlation, as `scipy.stats.spearmanr(x, y).statistic`: Pearson's r of the
 * average ranks, computed the way `np.corrcoef` does. NaN for fewer than 2 values, a constant input
 * or any NaN (scipy's `nan_policy="propagate"`).
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = requirePaired(x, y, "spearman");
  if (n <= 1 || isConstant(x) || isConstant(y) || hasNaN(x) || hasNaN(y)) return NaN;
  const rx = rankdata(x);
  const ry = rankdata(y);
  const mx = mean(rx);
  const my = mean(ry);
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i]! - mx;
    const dy = ry[i]! - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  // np.cov scales by 1 / (n - 1); np.corrcoef then divides by each standard deviation in turn.
  const f = 1 / (n - 1);
  const r = (sxy * f) / Math.sqrt(syy * f) / Math.sqrt(sxx * f);
  return Math.min(1, Math.max(-1, r));
}

function requirePaired(x: ArrayLike<number>, y: ArrayLike<number>, what: string): number {
  if (x.length !== y.length) {
    throw new SbertError("INVALID_INPUT", `${what}: inputs differ in length (${x.length} vs ${y.length}); pass one value per pair`);
  }
  return x.length;
}

/** scipy's test: every value equals the first (so a vector holding NaN is never constant). */
function isConstant(x: ArrayLike<number>): boolean {
  for (let i = 1; i < x.length; i++) if (x[i] !== x[0]) return false;
  return true;
}

function hasNaN(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i])) return true;
  return false;
}

function centered(x: ArrayLike<number>): Float64Array {
  const m = mean(x);
  return Float64Array.from(x, (v) => v - m);
}

/** scipy's overflow-safe norm: max|v| · ‖v / max|v|‖₂. */
function scaledNorm(v: Float64Array): number {
  let vmax = 0;
  for (const e of v) vmax = Math.max(vmax, Math.abs(e));
  if (Number.isNaN(vmax)) return NaN;
  const sq = Float64Array.from(v, (e) => (e / vmax) * (e / vmax));
  return vmax * Math.sqrt(pairwiseSum(sq));
}
