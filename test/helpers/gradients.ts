import { expect } from "vitest";
import { gradCheck } from "../../src/tensor/gradcheck.js";
import { Rng } from "../../src/tensor/random.js";
import { Tensor } from "../../src/tensor/tensor.js";

/**
 * The error budget of the finite-difference gradient tests (src/tensor/ops/gradients.test.ts):
 * float32 outputs, central differences with h = 3e-3, max error ≤ 1e-3 · max(1, |grad|).
 */
export const GRAD_H = 3e-3;
export const GRAD_TOL = 1e-3;

/**
 * Uniform random tensors in [lo, hi) that require gradients (unless told not to), the n-th drawn
 * from seed `firstSeed + n`: each test file's values are fixed by its own first seed.
 */
export function paramFactory(firstSeed: number): (shape: number[], lo?: number, hi?: number, requiresGrad?: boolean) => Tensor {
  let seed = firstSeed;
  return (shape, lo = -1, hi = 1, requiresGrad = true) => {
    const rng = new Rng(seed++);
    const size = shape.reduce((a, b) => a * b, 1);
    const t = new Tensor(Float32Array.from({ length: size }, () => rng.uniform(lo, hi)), shape);
    t.requiresGrad = requiresGrad;
    return t;
  };
}

/** `fn`'s analytic gradients with respect to `inputs` agree with finite differences within the budget. */
export function expectGradients(fn: (x: readonly Tensor[]) => Tensor, inputs: Tensor[]): void {
  const r = gradCheck(fn, inputs, GRAD_H);
  expect(r.count).toBeGreaterThan(0);
  expect(r.maxAbsError).toBeLessThanOrEqual(GRAD_TOL * Math.max(1, r.maxAbsGrad));
}
