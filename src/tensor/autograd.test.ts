import { describe, expect, it } from "vitest";
import { dropGrad, enableGrad, isGradEnabled, noGrad, record, recycleGrad } from "./autograd.js";
import { embedding } from "./ops/embedding.js";
import { gradCheck } from "./gradcheck.js";
import { add, mul } from "./ops/elementwise.js";
import { linear } from "./ops/linear.js";
import { sum } from "./ops/reduce.js";
import { Tensor } from "./tensor.js";

/** The gradient of `t` as a plain array (fails the test when there is none). */
function gradOf(t: Tensor): number[] {
  expect(t.grad).toBeDefined();
  return Array.from(t.grad ?? []);
}

function param(values: number[][]): Tensor {
  const t = Tensor.from(values);
  t.requiresGrad = true;
  return t;
}

describe("autograd engine", () => {
  it("a weight used twice (siamese) receives the sum of both uses", () => {
    const w = param([[1, -2, 0.5], [0.25, 3, -1]]);
    const a = Tensor.from([[1, 2, 3]]);
    const b = Tensor.from([[-1, 0.5, 2], [4, 1, 0]]);
    sum(linear(a, w)).backward();
    const fromA = gradOf(w);
    w.grad = undefined;
    sum(linear(b, w)).backward();
    const fromB = gradOf(w);
    w.grad = undefined;
    // one graph using w for both inputs, as SoftmaxLoss encodes u and v with the same encoder
    add(sum(linear(a, w)), sum(linear(b, w))).backward();
    expect(gradOf(w)).toEqual(fromA.map((v, i) => Math.fround(v + (fromB[i] as number))));
  });

  it("gradients accumulate over backward calls until cleared (as PyTorch)", () => {
    const w = param([[2]]);
    sum(mul(w, w)).backward();
    sum(mul(w, w)).backward();
    expect(gradOf(w)).toEqual([8]);
  });

  it("a diamond graph propagates each path once", () => {
    const x = param([[3]]);
    const y = mul(x, x); // 9
    const z = add(y, y); // 2x²
    sum(mul(z, x)).backward(); // 2x³ → 6x² = 54
    expect(gradOf(x)).toEqual([54]);
  });

  it("inference records nothing: weights without requiresGrad, or inside noGrad", () => {
    const w = Tensor.from([[1, 2]]);
    const x = Tensor.from([[3, 4]]);
    expect(linear(x, w).node).toBeUndefined();
    const p = param([[1, 2]]);
    const y = noGrad(() => linear(x, p));
    expect(y.node).toBeUndefined();
    expect(y.requiresGrad).toBe(false);
    expect(linear(x, p).node).toBeDefined();
  });

  it("noGrad follows async code across awaits and enableGrad re-enables inside it", async () => {
    const p = param([[1]]);
    const seen = await noGrad(async () => {
      await new Promise((r) => setTimeout(r, 1));
      const inner = enableGrad(() => isGradEnabled());
      return [isGradEnabled(), mul(p, p).requiresGrad, inner];
    });
    expect(seen).toEqual([false, false, true]);
    expect(isGradEnabled()).toBe(true);
  });

  it("releases the graph after backward and keeps leaf gradients only", () => {
    const w = param([[1, 2]]);
    const hidden = mul(w, w);
    const loss = sum(hidden);
    loss.backward();
    expect(hidden.node).toBeUndefined();
    expect(hidden.grad).toBeUndefined();
    expect(w.grad).toBeDefined();
  });

  it("refuses backward without a seed on a non-scalar, and on a tensor that needs no grad", () => {
    const w = param([[1, 2]]);
    expect(() => mul(w, w).backward()).toThrowError(/1-element/);
    expect(() => Tensor.from([1]).backward()).toThrowError(/does not depend/);
    const y = mul(w, w);
    y.backward([1, 1]);
    expect(gradOf(w)).toEqual([2, 4]);
  });

  it("detach cuts the graph", () => {
    const w = param([[3]]);
    const d = mul(w, w).detach();
    expect(d.requiresGrad).toBe(false);
    expect(mul(d, w).node?.parents).toEqual([d, w]);
  });
});

describe("gradCheck", () => {
  it("catches a wrong backward", () => {
    const wrongSquare = (xs: readonly Tensor[]): Tensor => {
      const x = xs[0] as Tensor;
      const out = new Tensor(x.data.map((v) => v * v), x.shape);
      // d(x²)/dx is 2x; this claims x
      return record(out, [x], (g) => {
        x.grad = Float32Array.from(g, (v, i) => v * (x.data[i] as number));
      });
    };
    const r = gradCheck(wrongSquare, [param([[0.5, -1, 2]])], 3e-3);
    expect(r.maxAbsError).toBeGreaterThan(0.1);
  });
});

describe("recycled gradient buffers", () => {
  it("the next backward pass reuses the buffer and gets the same numbers as a fresh one", () => {
    const w = Tensor.from([[0.5, -1, 2], [1, 0.25, -0.5]]);
    const table = Tensor.from([[1, 2], [3, 4], [5, 6]]);
    w.requiresGrad = true;
    table.requiresGrad = true;
    const x = Tensor.from([[1, 2, 3], [-1, 0.5, 2]]);
    const run = () => sum(add(linear(x, w), embedding(table, [2, 0]))).backward();
    run();
    const [first, firstTable] = [w.grad as Float32Array, table.grad as Float32Array];
    const [want, wantTable] = [Array.from(first), Array.from(firstTable)];
    recycleGrad(w);
    recycleGrad(table);
    expect(w.grad).toBeUndefined();
    first.fill(99); // whatever the old contents: they are overwritten
    firstTable.fill(99);
    run();
    expect(w.grad).toBe(first);
    expect(table.grad).toBe(firstTable);
    expect(gradOf(w)).toEqual(want);
    expect(gradOf(table)).toEqual(wantTable);
    dropGrad(w);
    run();
    expect(w.grad).not.toBe(first);
    expect(gradOf(w)).toEqual(want);
  });
});
