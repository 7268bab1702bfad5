import { describe, expect, it } from "vitest";
import { relativePositionBucket } from "../../architectures/mpnet.js";
import { erf } from "../math.js";
import { Tensor } from "../tensor.js";
import { multiHeadAttention } from "./attention.js";
import { activation, parseActivationName } from "./elementwise.js";
import { embedding } from "./embedding.js";
import { layerNorm } from "./layer-norm.js";
import { linear } from "./linear.js";

describe("erf", () => {
  it.each([
    [0, 0],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [-1.5, -0.9661051464753108],
    [3, 0.9999779095030014],
  ])("erf(%f) within 2e-7 of the true value", (x, want) => {
    expect(Math.abs(erf(x) - want)).toBeLessThanOrEqual(2e-7);
  });
});

describe("activations", () => {
  it("exact GELU and its tanh form agree with their definitions (within 1e-6)", () => {
    const x = Tensor.from([-2, -0.5, 0, 0.5, 2]);
    const exact = activation(x, "gelu");
    expect(Array.from(exact.data).map((v) => +v.toFixed(6))).toEqual([-0.045500, -0.154269, 0, 0.345731, 1.9545]);
    const approx = activation(x, "gelu_tanh");
    expect(Math.abs((approx.data[4] as number) - 1.954598)).toBeLessThanOrEqual(1e-6);
  });

  it("maps Python and Hugging Face names; unknown names are UNSUPPORTED_FORMAT", () => {
    expect(parseActivationName("torch.nn.modules.activation.Tanh")).toBe("tanh");
    expect(parseActivationName("torch.nn.modules.linear.Identity")).toBe("identity");
    expect(parseActivationName("gelu_new")).toBe("gelu_tanh");
    expect(() => parseActivationName("torch.nn.Mish")).toThrowError(/not supported/);
  });
});

describe("layerNorm / linear / embedding", () => {
  it("layerNorm normalizes with biased variance, then scales and shifts", () => {
    const y = layerNorm(Tensor.from([[1, 2, 3]]), Tensor.from([1, 1, 2]), Tensor.from([0, 0, 1]), 0);
    const s = Math.sqrt(2 / 3);
    expect(Array.from(y.data)).toEqual([-1 / s, 0, 2 / s + 1].map(Math.fround));
  });

  it("linear is x·Wᵀ + b and checks shapes", () => {
    const y = linear(Tensor.from([[1, 2]]), Tensor.from([[1, 0], [0, 1], [1, 1]]), Tensor.from([0, 0, 1]));
    expect(Array.from(y.data)).toEqual([1, 2, 4]);
    expect(() => linear(Tensor.from([[1, 2, 3]]), Tensor.from([[1, 0]]))).toThrowError(/linear/);
  });

  it("embedding refuses ids outside the table", () => {
    expect(() => embedding(Tensor.from([[1], [2]]), [2])).toThrowError(/outside the embedding table/);
    expect(Array.from(embedding(Tensor.from([[1], [2]]), [1, 0]).data)).toEqual([2, 1]);
  });
});

describe("multiHeadAttention", () => {
  it("leaves masked keys out, so padding does not change the real rows", () => {
    // batch 1, 3 positions (the last is padding), 1 head of width 2
    const q = Tensor.from([[1, 0], [0, 1], [5, 5]]);
    const k = Tensor.from([[1, 0], [0, 1], [9, 9]]);
    const v = Tensor.from([[1, 2], [3, 4], [100, 100]]);
    const out = multiHeadAttention(q, k, v, { batch: 1, seqLen: 3, heads: 1, keyMask: [1, 1, 0] });
    const w = Math.exp(1 / Math.SQRT2) / (Math.exp(1 / Math.SQRT2) + 1);
    expect(out.data[0]).toBeCloseTo(w * 1 + (1 - w) * 3, 6);
    expect(out.data[1]).toBeCloseTo(w * 2 + (1 - w) * 4, 6);
  });
});

describe("MPNet relative position buckets", () => {
  it.each([
    [0, 0],
    [-1, 1],
    [1, 17],
    [-7, 7],
    [-8, 8],
    [-16, 10],
    [16, 26],
    [-128, 15],
    [500, 31],
  ])("relative position %i → bucket %i", (rel, bucket) => {
    expect(relativePositionBucket(rel)).toBe(bucket);
  });
});
