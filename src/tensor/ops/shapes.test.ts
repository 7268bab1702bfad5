import { describe, expect, it } from "vitest";
import { SbertError } from "../../errors.js";
import { Tensor } from "../tensor.js";
import { multiHeadAttention } from "./attention.js";
import { add, broadcastShape, mul, sub } from "./elementwise.js";
import { layerNorm } from "./layer-norm.js";
import { linear, matmul } from "./linear.js";
import { mseLoss } from "./loss.js";
import { poolTokens } from "./pooling.js";
import { rowDot } from "./reduce.js";

/** Values 0.1, 0.2, ... in `shape` (distinct, so a wrong index shows). */
function ramp(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, (_, i) => 0.1 * (i + 1)), shape);
}

/** Runs `fn` and returns its SbertError (failing the test when it does not throw one). */
function shapeError(fn: () => unknown): SbertError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SbertError) return e;
    throw e;
  }
  throw new Error("expected a SHAPE_MISMATCH");
}

describe("elementwise ops check full shapes", () => {
  it.each([
    ["add", add],
    ["sub", sub],
    ["mul", mul],
  ] as const)("%s refuses equal-sized but different shapes, naming the op and both shapes", (name, op) => {
    const e = shapeError(() => op(ramp([2, 3]), ramp([3, 2])));
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain(name);
    expect(e.message).toContain("[2, 3]");
    expect(e.message).toContain("[3, 2]");
  });

  it("refuses size-1 stretching and a non-trailing match", () => {
    expect(shapeError(() => add(ramp([4, 1]), ramp([4, 3]))).code).toBe("SHAPE_MISMATCH");
    expect(shapeError(() => mul(ramp([2, 3, 4]), ramp([2, 3]))).code).toBe("SHAPE_MISMATCH");
    expect(shapeError(() => sub(ramp([6]), ramp([2, 3]))).code).toBe("SHAPE_MISMATCH");
  });

  it("broadcasts a trailing shape over the leading dimensions, as torch", () => {
    expect(broadcastShape("add", ramp([2, 3, 4]), ramp([3, 4]))).toEqual([2, 3, 4]);
    expect(broadcastShape("add", ramp([4]), ramp([2, 3, 4]))).toEqual([2, 3, 4]);
    expect(broadcastShape("add", ramp([]), ramp([2, 3]))).toEqual([2, 3]);
    // (2, 3) + (3): each row gets the bias
    const y = add(Tensor.from([[1, 2, 3], [4, 5, 6]]), Tensor.from([10, 20, 30]));
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data)).toEqual([11, 22, 33, 14, 25, 36]);
    const z = sub(Tensor.from([10, 20]), Tensor.from([[1, 2], [3, 4]]));
    expect(z.toNested()).toEqual([[9, 18], [7, 16]]);
    expect(mul(Tensor.from(2), Tensor.from([[1, 2]])).toNested()).toEqual([[2, 4]]);
  });

  it("an empty tensor broadcasts to an empty result", () => {
    const y = add(Tensor.zeros([0, 3]), ramp([3]));
    expect(y.shape).toEqual([0, 3]);
    expect(y.size).toBe(0);
  });

  it("equal shapes give the old results bit for bit", () => {
    const [a, b] = [ramp([2, 3]), ramp([2, 3])];
    const want = Array.from(a.data, (v, i) => Math.fround(v + (b.data[i] as number)));
    expect(Array.from(add(a, b).data)).toEqual(want);
  });
});

describe("two-input ops check full shapes", () => {
  it("rowDot and mseLoss need equal shapes, not just equal sizes", () => {
    expect(shapeError(() => rowDot(ramp([2, 3]), ramp([3, 2]))).code).toBe("SHAPE_MISMATCH");
    expect(shapeError(() => rowDot(ramp([2, 3, 4]), ramp([6, 4]))).code).toBe("SHAPE_MISMATCH");
    // torch broadcasts (4) against (4, 1) to (4, 4) (with a warning); the old check compared sizes only
    const e = shapeError(() => mseLoss(ramp([4]), ramp([4, 1])));
    expect(e.message).toMatch(/mseLoss.*\[4\].*\[4, 1\]/);
  });

  it("layerNorm needs gamma and beta of shape (C)", () => {
    expect(shapeError(() => layerNorm(ramp([2, 6]), ramp([2, 3]), ramp([6]), 1e-5)).message).toContain("layerNorm");
  });

  it("attention needs q, k, v of one shape holding batch × seqLen tokens", () => {
    const s = { batch: 2, seqLen: 3, heads: 2, keyMask: [1, 1, 1, 1, 1, 0] };
    expect(shapeError(() => multiHeadAttention(ramp([6, 4]), ramp([2, 3, 4]), ramp([6, 4]), s)).message).toContain("one shape");
    expect(shapeError(() => multiHeadAttention(ramp([3, 2, 4]), ramp([3, 2, 4]), ramp([3, 2, 4]), s)).code).toBe("SHAPE_MISMATCH");
    expect(shapeError(() => multiHeadAttention(ramp([6, 4]), ramp([6, 4]), ramp([6, 4]), { ...s, bias: ramp([2, 9]) })).message).toContain("bias");
  });

  it("poolTokens refuses (T, B, H) for batch B, seqLen T", () => {
    expect(shapeError(() => poolTokens(ramp([3, 2, 4]), [1, 1, 1, 1, 1, 1], "mean", 2, 3)).code).toBe("SHAPE_MISMATCH");
  });
});

describe("(B, T, H) activations: the same numbers as (B·T, H)", () => {
  const x3 = ramp([2, 3, 4]);
  const x2 = x3.reshape([6, 4]);

  it("linear and matmul keep the leading dimensions", () => {
    const w = ramp([5, 4]);
    const b = ramp([5]);
    const y3 = linear(x3, w, b);
    expect(y3.shape).toEqual([2, 3, 5]);
    expect(Array.from(y3.data)).toEqual(Array.from(linear(x2, w, b).data));
    const m = ramp([4, 5]);
    const z3 = matmul(x3, m);
    expect(z3.shape).toEqual([2, 3, 5]);
    expect(Array.from(z3.data)).toEqual(Array.from(matmul(x2, m).data));
    expect(shapeError(() => matmul(ramp([4]), m)).message).toContain("matmul");
  });

  it("layerNorm, attention and pooling", () => {
    const [g, beta] = [ramp([4]), ramp([4])];
    const n3 = layerNorm(x3, g, beta, 1e-5);
    expect(n3.shape).toEqual([2, 3, 4]);
    expect(Array.from(n3.data)).toEqual(Array.from(layerNorm(x2, g, beta, 1e-5).data));
    const s = { batch: 2, seqLen: 3, heads: 2, keyMask: [1, 1, 0, 1, 1, 1] };
    const a3 = multiHeadAttention(x3, x3, x3, s);
    expect(a3.shape).toEqual([2, 3, 4]);
    expect(Array.from(a3.data)).toEqual(Array.from(multiHeadAttention(x2, x2, x2, s).data));
    const p3 = poolTokens(x3, s.keyMask, "mean", 2, 3);
    expect(Array.from(p3.data)).toEqual(Array.from(poolTokens(x2, s.keyMask, "mean", 2, 3).data));
  });
});
