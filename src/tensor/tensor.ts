import { SbertError } from "../errors.js";
import { type GradNode, accumulateGrad, backward, needsGrad, record } from "./autograd.js";

/**
 * A float32 tensor: one `Float32Array` in row-major order plus a shape. This is the only numeric
 * type the architectures see; runtimes (ONNX Runtime, ...) convert at the backend boundary.
 *
 * Ops live in `ops/*.ts`, one differentiable function per file family, each computing its forward
 * pass here and (for training) a backward pass next to it. A tensor produced by an op may carry a
 * `node` (its parents and the closure that pushes the output gradient to them); inference never
 * sets it, so the forward code is the same for both.
 *
 * @example
 * const x = Tensor.from([[1, 2], [3, 4]]); // shape [2, 2]
 */
export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** Gradient of the loss with respect to this tensor, same shape; set by backward passes. */
  grad: Float32Array | undefined;
  /** True for trainable parameters and tensors computed from them while recording. */
  requiresGrad = false;
  /** How this tensor was computed (autograd graph), absent for leaves and inference. */
  node: GradNode | undefined;

  constructor(data: Float32Array, shape: readonly number[]) {
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new SbertError("SHAPE_MISMATCH", `Tensor: ${data.length} values cannot have shape [${shape.join(", ")}]`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  static zeros(shape: readonly number[]): Tensor {
    return new Tensor(new Float32Array(shapeSize(shape)), shape);
  }

  /** From nested arrays of equal lengths (tests and small constants). */
  static from(values: number | readonly unknown[]): Tensor {
    const shape: number[] = [];
    let probe: unknown = values;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = probe[0];
    }
    const flat = (Array.isArray(values) ? (values as unknown[]).flat(Infinity) : [values]) as number[];
    return new Tensor(Float32Array.from(flat), shape);
  }

  get size(): number {
    return this.data.length;
  }

  /** Size of dimension `i` (negative counts from the end). */
  dim(i: number): number {
    const d = this.shape[i < 0 ? this.shape.length + i : i];
    if (d === undefined) throw new SbertError("SHAPE_MISMATCH", `dimension ${i} out of range for shape [${this.shape.join(", ")}]`);
    return d;
  }

  /** Same data, new shape (no copy); the gradient flows back unchanged. */
  reshape(shape: readonly number[]): Tensor {
    const out = new Tensor(this.data, shape);
    return needsGrad(this) ? record(out, [this], (g) => accumulateGrad(this, g)) : out;
  }

  /** Same data, cut from the graph (as `torch.Tensor.detach`): no gradient flows through it. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /**
   * Back-propagates from this tensor (see `autograd.ts`): a 1-element loss without arguments, or
   * any tensor with an explicit upstream gradient of its size. Parameters accumulate into `.grad`.
   */
  backward(grad?: ArrayLike<number>): void {
    backward(this, grad);
  }

  toNested(): unknown {
    const build = (offset: number, depth: number): unknown => {
      const n = this.shape[depth] as number;
      if (depth === this.shape.length - 1) return Array.from(this.data.subarray(offset, offset + n));
      const stride = shapeSize(this.shape.slice(depth + 1));
      return Array.from({ length: n }, (_, i) => build(offset + i * stride, depth + 1));
    };
    return this.shape.length === 0 ? this.data[0] : build(0, 0);
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new SbertError("SHAPE_MISMATCH", `invalid dimension ${d} in shape [${shape.join(", ")}]`);
    n *= d;
  }
  return n;
}

/** Throws SHAPE_MISMATCH with a message naming the op unless `cond` holds. */
export function checkShape(cond: boolean, op: string, detail: string): asserts cond {
  if (!cond) throw new SbertError("SHAPE_MISMATCH", `${op}: ${detail}`);
}

/** True when both shapes have the same rank and sizes (O(rank)). */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `[2, 3]`, as the shape messages write it. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
