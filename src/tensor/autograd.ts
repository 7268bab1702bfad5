import { AsyncLocalStorage } from "node:async_hooks";
import { SbertError } from "../errors.js";

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
    t.grad = owned && g instanceof Float32Array ? g : Float32Array.from(g);
    return;
  }
  const dst = t.grad;
  for (let i = 0; i < dst.length; i++) dst[i] = (dst[i] as number) + (g[i] as number);
}

/**
 * `t.grad`, allocated as zeros on first use, for backward passes that add into it in place (a
 * scatter-add into a large embedding table must not allocate a dense table-sized gradient per
 * call). Undefined when `t` does not require grad.
 */
export function gradBuffer(t: GradTensor): Float32Array | undefined {
  if (!t.requiresGrad) return undefined;
  t.grad ??= new Float32Array(t.size);
  return t.grad;
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
    if (t.grad !== undefined) node.backward(t);
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
