import { describe, expect, it } from "vitest";
import { softmaxRow } from "../math.js";
import { type ActivationName, activationNameOf, parseActivationName, torchActivationClass } from "./elementwise.js";

const NAMES: ActivationName[] = ["identity", "gelu", "gelu_tanh", "relu", "tanh", "sigmoid", "silu", "quick_gelu"];

describe("the one activation table", () => {
  it("every stored class path reads back as its activation, except gelu_tanh (the path has no approximate='tanh')", () => {
    const back = NAMES.map((n) => parseActivationName(torchActivationClass(n)));
    expect(back).toEqual(["identity", "gelu", "gelu", "relu", "tanh", "sigmoid", "silu", "quick_gelu"]);
  });

  it("reads hidden_act names, class paths and Tanh(); unknown names are undefined / UNSUPPORTED_FORMAT", () => {
    expect(["gelu_new", "torch.nn.modules.activation.Tanh", "Tanh()", "swish", "torch.nn.modules.linear.Identity"].map(activationNameOf)).toEqual(["gelu_tanh", "tanh", "tanh", "silu", "identity"]);
    expect(activationNameOf("mish")).toBeUndefined();
    expect(() => parseActivationName("mish")).toThrow(expect.objectContaining({ code: "UNSUPPORTED_FORMAT" }));
  });
});

describe("softmaxRow", () => {
  it("sums to 1, is shift-invariant, leaves excluded entries out and returns the log-sum-exp", () => {
    const p = new Float64Array(4);
    const lse = softmaxRow([1, 2, 3, 1000], 0, 4, p, [0, 0, 0, 1]);
    expect(p[3]).toBe(0);
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 12);
    expect(lse).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 12);
    const q = new Float64Array(3);
    softmaxRow([101, 102, 103], 0, 3, q);
    q.forEach((v, i) => expect(v).toBeCloseTo(p[i]!, 12));
  });
});
