import { describe, expect, it } from "vitest";
import { Tensor } from "../../tensor/tensor.js";
import { weightDecayGroups } from "../parameters.js";
import { AdamW } from "./adamw.js";

function param(values: number[], grad?: number[]): Tensor {
  const t = Tensor.from(values);
  t.requiresGrad = true;
  if (grad) t.grad = Float32Array.from(grad);
  return t;
}

/** torch.optim.AdamW's update written out in float64, for a parameter seen at every step. */
function reference(p0: number, grads: number[], lr: number, wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number {
  let [p, m, v] = [p0, 0, 0];
  grads.forEach((g, i) => {
    const t = i + 1;
    p *= 1 - lr * wd;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    p -= ((lr / (1 - b1 ** t)) * m) / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps);
  });
  return p;
}

describe("AdamW", () => {
  it("follows torch's update (bias correction, decoupled decay) over several steps", () => {
    const grads = [[0.5, -2, 1e-3], [0.25, -1, -4e-3], [-0.1, 3, 2e-3]];
    const p = param([1, -0.5, 0.25]);
    const opt = new AdamW([p], { lr: 1e-2, weightDecay: 0.1 });
    for (const g of grads) {
      p.grad = Float32Array.from(g);
      opt.step();
    }
    const want = [0, 1, 2].map((i) => reference([1, -0.5, 0.25][i] as number, grads.map((g) => g[i] as number), 1e-2, 0.1));
    p.data.forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 6));
  });

  it("first step moves each weight by about lr · sign(grad) (m̂/sqrt(v̂) = ±1)", () => {
    const p = param([0, 0], [3, -1e-4]);
    new AdamW([p], { lr: 0.1, weightDecay: 0 }).step();
    expect(p.data[0]).toBeCloseTo(-0.1, 6);
    expect(p.data[1]).toBeCloseTo(0.1 * (1e-4 / (1e-4 + 1e-8)), 6);
  });

  it("skips parameters without a gradient (no decay, no step), as torch", () => {
    const used = param([1], [1]);
    const unused = param([1]);
    new AdamW([used, unused], { lr: 0.1, weightDecay: 0.5 }).step();
    expect(unused.data[0]).toBe(1);
    expect(used.data[0]).not.toBe(1);
  });

  it("groups: biases and LayerNorm weights are not decayed unless decayAll", () => {
    const w = param([1], [0]);
    const b = param([1], [0]);
    const ln = param([1], [0]);
    const named = [
      { name: "encoder.layer.0.output.dense.weight", tensor: w },
      { name: "encoder.layer.0.output.dense.bias", tensor: b },
      { name: "encoder.layer.0.output.LayerNorm.weight", tensor: ln },
    ];
    new AdamW(weightDecayGroups(named, 0.1), { lr: 0.5 }).step();
    // zero gradient: only the decay moves a weight, p · (1 − lr · wd)
    expect([w.data[0], b.data[0], ln.data[0]]).toEqual([Math.fround(0.95), 1, 1]);
    const all = named.map((n) => ({ ...n, tensor: param([1], [0]) }));
    new AdamW(weightDecayGroups(all, 0.1, { decayAll: true }), { lr: 0.5 }).step();
    expect(all.map((n) => n.tensor.data[0])).toEqual([0.95, 0.95, 0.95].map(Math.fround));
  });

  it("state round-trips through stateDict, so a resumed run continues identically", () => {
    const grads = [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.05]];
    const a = param([0.5, -0.5]);
    const optA = new AdamW([a], { lr: 1e-2 });
    const b = param([0.5, -0.5]);
    let optB = new AdamW([b], { lr: 1e-2 });
    grads.forEach((g, i) => {
      a.grad = Float32Array.from(g);
      optA.step();
      b.grad = Float32Array.from(g);
      optB.step();
      if (i < 2) {
        const saved = optB.stateDict();
        expect(saved.params[0]?.expAvg).toBeInstanceOf(Float32Array);
        // a copy: later steps do not change it, and plain arrays (older callers) load the same
        const asArrays = { lrs: saved.lrs, params: saved.params.map((p) => p && { step: p.step, expAvg: Array.from(p.expAvg), expAvgSq: Array.from(p.expAvgSq) }) };
        optB = new AdamW([b], { lr: 1e-2 });
        optB.loadStateDict(i % 2 === 0 ? saved : asArrays);
      }
    });
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it("rejects bad hyperparameters and a parameter in two groups", () => {
    expect(() => new AdamW([], { lr: -1 })).toThrowError(/learning rate/);
    expect(() => new AdamW([], { lr: 1, betas: [1, 0.9] })).toThrowError(/betas/);
    const p = param([1]);
    expect(() => new AdamW([{ params: [p], weightDecay: 0, names: [] }, { params: [p], weightDecay: 0, names: [] }], { lr: 1 })).toThrowError(/more than one/);
  });
});
