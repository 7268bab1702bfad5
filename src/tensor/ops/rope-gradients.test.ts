import { describe, expect, it } from "vitest";
import { Tensor } from "../tensor.js";
import { expectGradients, paramFactory } from "../../../test/helpers/gradients.js";
import { multiHeadAttention } from "./attention.js";
import { layerNorm } from "./layer-norm.js";
import { rmsNorm } from "./rms-norm.js";
import { ropeTables, rotary } from "./rotary.js";
import { splitLast } from "./split.js";

/**
 * Finite-difference checks of the decoder ops' backward (RMSNorm, RoPE, split, grouped / causal /
 * windowed attention, LayerNorm without bias), with the error budget of gradients.test.ts:
 * central differences, h = 3e-3, TOL = 1e-3 · max(1, |grad|).
 */

const param = paramFactory(101);

const check = expectGradients;

const t = (xs: readonly Tensor[], i: number): Tensor => xs[i] as Tensor;

describe("rmsNorm", () => {
  it("forward: x / sqrt(mean(x²) + eps) · (offset + w), per group of w.size values", () => {
    const y = rmsNorm(Tensor.from([[3, 4, 1, 1]]), Tensor.from([0.5, 2]), 0, 1);
    const r1 = 1 / Math.sqrt(12.5);
    expect(Array.from(y.data)).toEqual([3 * r1 * 1.5, 4 * r1 * 3, 1.5, 3].map(Math.fround));
    const y0 = rmsNorm(Tensor.from([[3, 4]]), Tensor.from([0.5, 2]), 0, 0);
    expect(Array.from(y0.data)).toEqual([3 * r1 * 0.5, 4 * r1 * 2].map(Math.fround));
  });

  it.each([0, 1] as const)("backward, offset %d, whole rows and per-head groups", (offset) => {
    check((x) => rmsNorm(t(x, 0), t(x, 1), 1e-6, offset), [param([2, 3, 6], -2, 2), param([6])]);
    check((x) => rmsNorm(t(x, 0), t(x, 1), 1e-6, offset), [param([2, 3, 8], -2, 2), param([4])]);
  });

  it("refuses a weight that does not divide the last axis", () => {
    expect(() => rmsNorm(Tensor.zeros([2, 5]), Tensor.zeros([2]), 1e-6, 0)).toThrow(/rmsNorm/);
  });
});

describe("rotary", () => {
  it("position 0 is the identity; a later position rotates each (i, i + d/2) pair by its angle", () => {
    const x = param([1, 2, 4]);
    const y = rotary(x, { heads: 1, headDim: 4, theta: 10000 });
    expect(Array.from(y.data.subarray(0, 4))).toEqual(Array.from(x.data.subarray(0, 4)));
    const { cos, sin } = ropeTables(2, 4, 10000);
    const [c, s] = [cos[2] as number, sin[2] as number]; // position 1, frequency 0 (angle 1)
    expect(c).toBeCloseTo(Math.cos(1), 6);
    const [x0, x2] = [x.data[4] as number, x.data[6] as number];
    expect(y.data[4]).toBeCloseTo(x0 * c - x2 * s, 6);
    expect(y.data[6]).toBeCloseTo(x2 * c + x0 * s, 6);
  });

  it("backward, 2 heads", () => {
    check((x) => rotary(t(x, 0), { heads: 2, headDim: 4, theta: 100 }), [param([2, 5, 8])]);
  });
});

describe("splitLast", () => {
  it("equal chunks of the last axis, each with its own gradient", () => {
    const parts = splitLast(Tensor.from([[[1, 2, 3, 4, 5, 6]]]), 3);
    expect(parts.map((p) => Array.from(p.data))).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(parts[0]?.shape).toEqual([1, 1, 2]);
    check((x) => splitLast(t(x, 0), 2)[1] as Tensor, [param([2, 3, 4])]);
    expect(() => splitLast(Tensor.zeros([2, 5]), 2)).toThrow(/split/);
  });
});

describe("attention: scale, grouped kv heads, causal and window rules", () => {
  // row 0 left-padded (two pads): under the causal rule its first two queries see no key
  const mask = [0, 0, 1, 1, 1, 1, 1, 1, 1, 0];
  const shape = { batch: 2, seqLen: 5, heads: 4, keyMask: mask };

  it("backward with kvHeads 2, scale, causal (fully masked query rows included)", () => {
    check((x) => multiHeadAttention(t(x, 0), t(x, 1), t(x, 2), { ...shape, kvHeads: 2, scale: 0.3, causal: true }), [param([2, 5, 8]), param([2, 5, 4]), param([2, 5, 4])]);
  });

  it("backward with one kv head and a window", () => {
    check((x) => multiHeadAttention(t(x, 0), t(x, 1), t(x, 2), { ...shape, kvHeads: 1, window: 1 }), [param([2, 5, 8]), param([2, 5, 2]), param([2, 5, 2])]);
  });

  it("a query that sees no key gets zeros; grouped heads equal repeated kv heads", () => {
    const [q, k, v] = [param([2, 5, 8]), param([2, 5, 4]), param([2, 5, 4])];
    const y = multiHeadAttention(q, k, v, { ...shape, kvHeads: 2, causal: true });
    expect(Array.from(y.data.subarray(0, 16)).every((e) => e === 0)).toBe(true);
    // repeat_kv: query heads 0, 1 read kv head 0; heads 2, 3 read kv head 1
    const repeat = (x: Tensor): Tensor => {
      const out = new Float32Array(2 * 5 * 8);
      for (let r = 0; r < 10; r++) for (let h = 0; h < 4; h++) out.set(x.data.subarray(r * 4 + (h >> 1) * 2, r * 4 + (h >> 1) * 2 + 2), r * 8 + h * 2);
      return new Tensor(out, [2, 5, 8]);
    };
    const full = multiHeadAttention(q, repeat(k), repeat(v), { ...shape, causal: true });
    expect(Array.from(full.data)).toEqual(Array.from(y.data));
  });

  it("refuses kv heads that do not divide the query heads, and k of the wrong width", () => {
    expect(() => multiHeadAttention(param([2, 5, 8]), param([2, 5, 6]), param([2, 5, 6]), { ...shape, kvHeads: 3 })).toThrow(/key\/value heads/);
    expect(() => multiHeadAttention(param([2, 5, 8]), param([2, 5, 8]), param([2, 5, 8]), { ...shape, kvHeads: 2 })).toThrow(/k and v must have one shape/);
  });
});

describe("layerNorm without bias", () => {
  it("equals layerNorm with a zero bias, and its backward holds", () => {
    const [x, g] = [param([3, 6], -2, 2), param([6], 0.5, 1.5)];
    expect(Array.from(layerNorm(x, g, undefined, 1e-5).data)).toEqual(Array.from(layerNorm(x, g, Tensor.zeros([6]), 1e-5).data));
    check((xs) => layerNorm(t(xs, 0), t(xs, 1), undefined, 1e-5), [param([2, 3, 6], -2, 2), param([6], 0.5, 1.5)]);
  });
});
