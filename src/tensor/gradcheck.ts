import { noGrad } from "./autograd.js";
import { Rng } from "./random.js";
import type { Tensor } from "./tensor.js";

export interface GradCheckResult {
  /** Largest |numeric − analytic| over every checked element. */
  maxAbsError: number;
  /** Largest |analytic| seen (for reading the error in scale). */
  maxAbsGrad: number;
  /** Elements checked. */
  count: number;
}

/**
 * Compares the backward pass of `fn` with central finite differences, for tests.
 * The output is projected onto fixed random weights w (L = Σ w·fn(inputs), summed in float64),
 * the analytic gradient comes from `out.backward(w)`, and every element of every input with
 * `requiresGrad` is nudged by ±h. The nudged float32 value is what the op sees, so the actual step
 * (fround(x ± h) − x) is used as the divisor, not h.
 */
export function gradCheck(fn: (inputs: readonly Tensor[]) => Tensor, inputs: readonly Tensor[], h = 1e-2, seed = 1): GradCheckResult {
  for (const t of inputs) t.grad = undefined;
  const out = fn(inputs);
  const rng = new Rng(seed);
  const w = Float64Array.from({ length: out.size }, () => rng.uniform(-1, 1));
  out.backward(w);
  const project = (): number =>
    noGrad(() => {
      const y = fn(inputs);
      let s = 0;
      for (let i = 0; i < y.size; i++) s += (w[i] as number) * (y.data[i] as number);
      return s;
    });
  let maxAbsError = 0;
  let maxAbsGrad = 0;
  let count = 0;
  for (const t of inputs) {
    if (!t.requiresGrad) continue;
    const grad = t.grad ?? new Float32Array(t.size);
    for (let e = 0; e < t.size; e++) {
      const v = t.data[e] as number;
      t.data[e] = v + h;
      const up = (t.data[e] as number) - v;
      const fPlus = project();
      t.data[e] = v - h;
      const down = v - (t.data[e] as number);
      const fMinus = project();
      t.data[e] = v;
      const numeric = (fPlus - fMinus) / (up + down);
      const analytic = grad[e] as number;
      maxAbsError = Math.max(maxAbsError, Math.abs(numeric - analytic));
      maxAbsGrad = Math.max(maxAbsGrad, Math.abs(analytic));
      count++;
    }
  }
  return { maxAbsError, maxAbsGrad, count };
}
