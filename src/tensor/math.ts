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
