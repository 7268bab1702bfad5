import { AsyncLocalStorage } from "node:async_hooks";
import { SbertError } from "../errors.js";
import { keepBuffer, releaseBuffer, scratch32 } from "./arena.js";
import { opKernels } from "./op-kernels.js";

/**
 * Reverse-mode automatic differentiation over `Tensor`s, in the style of micrograd / tinygrad:
 * every op that sees an input with `requiresGrad` (while grad mode is on) records a `GradNode` on
 * its output — the parents and a closure that pushes `out.grad` into them, written next to the
 * op's forward pass. `backward(loss)` walks that graph once in reverse topological order.
 *
 * Inference pays nothing: loaded weights have `requiresGrad = false`, so no op records anything.
 *
 * @example
 * const w = Tensor.from([[1, 2]]); w.requiresGrad = true;
 * const loss = sum(linear(x, w));
 * loss.backward(); // w.grad now holds dloss/dw
 */

/**
 * What autograd reads and writes on a tensor; `Tensor` (tensor.ts) is one. Structural, so that
 * tensor.ts imports this file and not the other way round.
 */
export interface GradTensor {
  readonly shape: readonly number[];
  readonly size: number;
  grad: Float32Array | undefined;
  requiresGrad: boolean;
  node: GradNode | undefined;
}

/** A recorded op application: parents and the function that propagates `out.grad` into them. */
export interface GradNode {
  readonly parents: readonly GradTensor[];
  readonly backward: (out: GradTensor) => void;
}

const gradMode = new AsyncLocalStorage<boolean>();

/** True unless inside `noGrad` (and not re-enabled by a nested `enableGrad`). */
export function isGradEnabled(): boolean {
  return gradMode.getStore() ?? true;
}

/**
 * Runs `fn` without recording any graph, as `torch.no_grad()`. Works for async functions too:
 * the mode follows the async context, so concurrent work elsewhere is not affected.
 */
export function noGrad<T>(fn: () => T): T {
  return gradMode.run(false, fn);
}

/** Runs `fn` with graph recording on (inside a `noGrad` region), as `torch.enable_grad()`. */
export function enableGrad<T>(fn: () => T): T {
  return gradMode.run(true, fn);
}

/** True when an op over `inputs` must record its graph node (inference stops at the first test). */
export function needsGrad(...inputs: readonly (GradTensor | undefined)[]): boolean {
  for (const t of inputs) if (t?.requiresGrad) return isGradEnabled();
  return false;
}

/**
 * Marks `out` as computed from `parents`; `backward` receives `out.grad` (same size as `out`) and
 * must add each parent's share with `accumulateGrad`. Returns `out`.
 */
export function record<T extends GradTensor>(out: T, parents: readonly GradTensor[], backward: (grad: Float32Array) => void): T {
  out.requiresGrad = true;
  out.node = { parents, backward: (o) => backward(o.grad as Float32Array) };
  return out;
}

/**
 * Adds `g` into `t.grad` (allocating it on first use); does nothing when `t` does not require grad.
 * `owned`: `g` was freshly allocated for `t` and may be adopted without a copy.
 */
export function accumulateGrad(t: GradTensor, g: ArrayLike<number>, owned = false): void {
  if (!t.requiresGrad) return;
  if (g.length !== t.size) {
    throw new SbertError("SHAPE_MISMATCH", `gradient of ${g.length} values for a tensor of shape [${t.shape.join(", ")}]`);
  }
  if (t.grad === undefined) {
    const spare = takeSpareGrad(t);
    if (spare) {
      spare.set(g);
      t.grad = spare;
    } else if (owned && g instanceof Float32Array) {
      t.grad = g;
      if (!t.node) keepBuffer(g); // a leaf's (parameter's) gradient outlives the step's arena
    } else {
      const copy = t.node ? scratch32(g.length) : new Float32Array(g.length);
      copy.set(g);
      t.grad = copy;
    }
    return;
  }
  const dst = t.grad;
  if (g instanceof Float32Array) opKernels().addInto(dst, g);
  else for (let i = 0; i < dst.length; i++) dst[i] = (dst[i] as number) + (g[i] as number);
}

/**
 * `t.grad`, allocated as zeros on first use, for backward passes that add into it in place (a
 * scatter-add into a large embedding table must not allocate a dense table-sized gradient per
 * call). Undefined when `t` does not require grad.
 */
export function gradBuffer(t: GradTensor): Float32Array | undefined {
  if (!t.requiresGrad) return undefined;
  t.grad ??= takeSpareGrad(t)?.fill(0) ?? new Float32Array(t.size);
  return t.grad;
}

/**
 * Gradient buffers put aside by `recycleGrad`, per tensor. A training loop drops every parameter's
 * gradient after each step and the next backward pass needs the same sizes again: reusing them
 * saves allocating (and the kernel zero-filling and faulting in) the whole model's gradients — 90
 * MB for MiniLM-L6 — per step. Weak: a tensor that is gone takes its spare with it.
 */
const spareGrads = new WeakMap<GradTensor, Float32Array>();

function takeSpareGrad(t: GradTensor): Float32Array | undefined {
  const spare = spareGrads.get(t);
  if (spare === undefined) return undefined;
  spareGrads.delete(t);
  return spare.length === t.size ? spare : undefined;
}

/**
 * Drops `t.grad` (as setting it to undefined does: the tensor has no gradient afterwards) but keeps
 * its buffer for the next gradient of `t`, which will overwrite it: a caller must not hold on to
 * the old `t.grad` array.
 */
export function recycleGrad(t: GradTensor): void {
  if (t.grad !== undefined) spareGrads.set(t, t.grad);
  t.grad = undefined;
}

/** Drops `t.grad` and any buffer `recycleGrad` kept for it (frees the memory). */
export function dropGrad(t: GradTensor): void {
  spareGrads.delete(t);
  t.grad = undefined;
}

/**
 * A buffer to write `t`'s whole first gradient into (contents unspecified: the caller overwrites
 * every element, then assigns it to `t.grad`), when `t` requires grad, has no gradient yet and a
 * recycled buffer is there; else undefined (then allocate and `accumulateGrad` as usual).
 */
export function spareGradFor(t: GradTensor): Float32Array | undefined {
  return t.requiresGrad && t.grad === undefined ? takeSpareGrad(t) : undefined;
}

/**
 * Back-propagates from `root`: leaves (parameters) accumulate into `.grad`; intermediate tensors
 * get their gradient only while the pass runs, and the graph is released afterwards (as PyTorch
 * without `retain_graph`). Without `seed`, `root` must hold one value (a loss) and is seeded with 1.
 */
export function backward(root: GradTensor, seed?: ArrayLike<number>): void {
  if (!root.requiresGrad) {
    throw new SbertError(
      "INVALID_OPERATION",
      "backward: this tensor does not depend on any parameter with requiresGrad = true (or was computed inside noGrad)",
    );
  }
  if (seed === undefined && root.size !== 1) {
    throw new SbertError("INVALID_OPERATION", `backward without a gradient needs a 1-element tensor (a loss), got shape [${root.shape.join(", ")}]`);
  }
  const order = topologicalOrder(root);
  accumulateGrad(root, seed ?? [1]);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i] as GradTensor;
    const node = t.node;
    if (!node) continue; // a leaf keeps its gradient
    if (t.grad !== undefined) {
      node.backward(t);
      releaseBuffer(t.grad); // parents copy or add it, never keep it (see accumulateGrad)
    }
    t.grad = undefined;
    t.node = undefined;
  }
}

/** Post-order of the graph above `root` (every parent before its consumers), iteratively. */
function topologicalOrder(root: GradTensor): GradTensor[] {
  const order: GradTensor[] = [];
  const visited = new Set<GradTensor>();
  const stack: Array<[GradTensor, boolean]> = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop() as [GradTensor, boolean];
    if (expanded) {
      order.push(t);
      continue;
    }
    if (visited.has(t)) continue;
    visited.add(t);
    stack.push([t, true]);
    for (const p of t.node?.parents ?? []) if (p.requiresGrad && !visited.has(p)) stack.push([p, false]);
  }
  return order;
}
