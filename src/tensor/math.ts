/**
 * Scalar math the ops need and JavaScript lacks.
 */

/**
 * erf(x) via the Chebyshev fit of erfc from Numerical Recipes (§6.2), fractional error < 1.2e-7
 * everywhere — below float32 resolution, which is what the tensors store.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

/**
 * Softmax of `x[o, o + n)` into `out[o, o + n)`: exp(x − max) / Σ exp(x − max), everything in
 * float64 (round once when storing to float32). Entries marked in `excluded` take no part and are
 * left as they are in `out` (0 in a fresh array). Returns the log-sum-exp, max + log Σ exp(x − max).
 *
 * @example
 * const p = new Float64Array(3);
 * softmaxRow([1, 2, 3], 0, 3, p); // p ≈ [0.090, 0.245, 0.665]; returns ≈ 3.408
 */
export function softmaxRow(x: ArrayLike<number>, o: number, n: number, out: Float64Array, excluded?: ArrayLike<number | boolean>): number {
  let max = -Infinity;
  for (let j = o; j < o + n; j++) if (!excluded?.[j] && (x[j] as number) > max) max = x[j] as number;
  let z = 0;
  for (let j = o; j < o + n; j++) {
    if (excluded?.[j]) continue;
    const e = Math.exp((x[j] as number) - max);
    out[j] = e;
    z += e;
  }
  for (let j = o; j < o + n; j++) if (!excluded?.[j]) out[j] = (out[j] as number) / z;
  return max + Math.log(z);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** GELU, x/2 · (1 + erf(x/√2)) (torch's default `approximate="none"`), in float64. */
export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** d geluErf / dx = Φ(x) + x·φ(x). */
export function geluErfGrad(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / SQRT_2PI;
}

/** GELU's tanh form, x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))) (`approximate="tanh"`). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

/** d geluTanh / dx. */
export function geluTanhGrad(x: number): number {
  const t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
}
