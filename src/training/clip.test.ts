import { describe, expect, it } from "vitest";
import { Tensor } from "../tensor/tensor.js";
import { clipGradNorm } from "./clip.js";
import { isNoDecayParameter, namedParameters, setRequiresGrad, weightDecayGroups, zeroGrad } from "./parameters.js";

function withGrad(grad: number[]): Tensor {
  const t = Tensor.zeros([grad.length]);
  t.grad = Float32Array.from(grad);
  return t;
}

describe("clipGradNorm (torch.nn.utils.clip_grad_norm_)", () => {
  it("returns the global L2 norm and scales by maxNorm / (norm + 1e-6) when above", () => {
    const a = withGrad([3, 0]);
    const b = withGrad([0, 4]);
    const none = Tensor.zeros([2]);
    expect(clipGradNorm([a, b, none], 1)).toBeCloseTo(5, 12);
    const c = 1 / (5 + 1e-6);
    expect(Array.from(a.grad ?? [])).toEqual([Math.fround(3 * c), 0]);
    expect(Array.from(b.grad ?? [])).toEqual([0, Math.fround(4 * c)]);
    expect(none.grad).toBeUndefined();
  });

  it("leaves gradients below the limit unchanged and supports the inf norm", () => {
    const a = withGrad([0.3, -0.4]);
    expect(clipGradNorm([a], 1)).toBeCloseTo(0.5, 7);
    expect(Array.from(a.grad ?? [])).toEqual([0.3, -0.4].map(Math.fround));
    const b = withGrad([2, -6]);
    expect(clipGradNorm([b], 3, Infinity)).toBe(6);
  });

  it("reports a non-finite norm (the caller stops the run)", () => {
    expect(clipGradNorm([withGrad([Number.NaN, 1])], 1)).toBeNaN();
  });
});

describe("parameters", () => {
  it("names, requiresGrad, zeroGrad", () => {
    const params = namedParameters(new Map([["w", Tensor.zeros([2])]]), "classifier.");
    expect(params.map((p) => p.name)).toEqual(["classifier.w"]);
    setRequiresGrad(params);
    expect(params[0]?.tensor.requiresGrad).toBe(true);
    (params[0] as { tensor: Tensor }).tensor.grad = new Float32Array(2);
    zeroGrad(params);
    expect(params[0]?.tensor.grad).toBeUndefined();
  });

  it.each([
    ["encoder.layer.0.attention.self.query.bias", true],
    ["embeddings.LayerNorm.weight", true],
    ["transformer.layer.0.sa_layer_norm.weight", true],
    ["transformer.layer.0.output_layer_norm.weight", true],
    ["layers.0.norm.weight", true],
    ["classifier.bias", true],
    ["encoder.layer.0.attention.self.query.weight", false],
    ["embeddings.word_embeddings.weight", false],
    ["linear.weight", false],
    ["classifier.weight", false],
  ])("no weight decay for %s: %s (HF trainer rule)", (name, noDecay) => {
    expect(isNoDecayParameter(name)).toBe(noDecay);
  });

  it("weightDecayGroups refuses a name listed twice", () => {
    const t = Tensor.zeros([1]);
    expect(() => weightDecayGroups([{ name: "a", tensor: t }, { name: "a", tensor: t }], 0.01)).toThrowError(/twice/);
  });
});
