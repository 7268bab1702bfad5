import { opKernels } from "../tensor/op-kernels.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * `torch.nn.utils.clip_grad_norm_`: the p-norm of all gradients together (the norm of the
 * per-parameter norms), and every gradient scaled by min(1, maxNorm / (total + 1e-6)).
 * Parameters without a gradient are skipped. Returns the total norm before clipping — NaN or
 * Infinity when a gradient is not finite (then the gradients become non-finite too, as in torch
 * with `error_if_nonfinite=False`; check the return value to stop a run).
 *
 * @example
 * const norm = clipGradNorm(params, 1.0); // grads now have a global L2 norm ≤ 1
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2): number {
  const grads: Float32Array[] = [];
  for (const p of params) if (p.grad) grads.push(p.grad);
  if (grads.length === 0) return 0;
  const norms = grads.map((g) => vectorNorm(g, normType));
  const total = vectorNorm(norms, normType);
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  if (coef !== 1) for (const g of grads) opKernels().scale(g, coef); // × 1 changes no value
  return total;
}

/** ‖x‖_p over all elements (p = Infinity: max |x|), accumulated in float64. */
export function vectorNorm(x: ArrayLike<number>, p = 2): number {
  if (p === 2 && x instanceof Float32Array) return opKernels().sumSquares(x) ** (1 / p);
  let s = 0;
  if (p === Infinity) {
    for (let i = 0; i < x.length; i++) s = Math.max(s, Math.abs(x[i] as number));
    return s;
  }
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i] as number) ** p;
  return s ** (1 / p);
}
