import { afterEach, describe, expect, it } from "vitest";
import { type AttentionDims, type AttentionDropout, jsAttentionBackward, jsAttentionForward } from "./attention-kernel.js";
import { loadFastOpKernels, setFastKernelThreads } from "./kernels-fast.js";
import { type OpKernels, jsOpKernels, setOpKernels } from "./op-kernels.js";
import { multiHeadAttention } from "./ops/attention.js";
import { Rng } from "./random.js";
import { Tensor } from "./tensor.js";
import { firstDifference } from "../../test/helpers/bits.js";
import { expectGradients, paramFactory } from "../../test/helpers/gradients.js";

/**
 * The native attention core (native/src/attention.c) against its TypeScript reference
 * (attention-kernel.ts). Tolerance: the port runs the same float64 sums in the same order, so
 * only exp (C library vs V8, a float64 ulp apart at worst) may differ; that moves a probability
 * by about 1e-16 relative, so every float32 output (probabilities, attention output) is within one
 * float32 ulp (≤ 1.2e-7 relative, or 1e-30 absolute near zero) and nearly all are bit-identical;
 * the gradients (float32, each from a float64 sum) are within 1e-6 of their largest magnitude (a one-ulp probability
 * difference is amplified by cancellation in P·(dP − Σ P dP) only). At least 99% of every output
 * must be bit-identical (in practice all were). The dropout mask and the generator's state must
 * be identical, and 1 vs 2 threads bit-identical.
 */
const native = loadFastOpKernels();

function rand(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
}

interface Case {
  name: string;
  dims: AttentionDims;
  /** padded tokens per batch row, at the end */
  pad: number[];
  bias?: "shared" | "perBatch";
  dropout?: number;
  /** a batch row with every key masked */
  emptyRow?: number;
}

function dims(over: Partial<AttentionDims>): AttentionDims {
  return { batch: 3, seqLen: 37, heads: 4, kvHeads: 4, headDim: 16, scale: 0.25, causal: false, window: Infinity, biasPerBatch: false, ...over };
}

const CASES: Case[] = [
  { name: "padding mask", dims: dims({}), pad: [0, 5, 36] },
  { name: "shared bias", dims: dims({}), pad: [0, 3, 9], bias: "shared" },
  { name: "per-batch bias", dims: dims({ biasPerBatch: true }), pad: [2, 0, 11], bias: "perBatch" },
  { name: "kvHeads 2 of 4 (GQA), causal", dims: dims({ kvHeads: 2, causal: true }), pad: [0, 4, 0] },
  { name: "sliding window 5, shared bias", dims: dims({ window: 5 }), pad: [1, 0, 7], bias: "shared" },
  { name: "causal + window + dropout 0.3", dims: dims({ causal: true, window: 8, kvHeads: 2 }), pad: [0, 6, 2], dropout: 0.3 },
  { name: "dropout 0.5, per-batch bias", dims: dims({ biasPerBatch: true }), pad: [3, 0, 0], bias: "perBatch", dropout: 0.5 },
  { name: "a fully masked batch row", dims: dims({ causal: true }), pad: [0, 0, 0], emptyRow: 1, bias: "shared" },
  { name: "one head, seqLen 1", dims: dims({ batch: 2, seqLen: 1, heads: 1, kvHeads: 1, headDim: 8 }), pad: [0, 0] },
];

interface Inputs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  g: Float32Array;
  keyMask: Uint8Array;
  bias: Float32Array | null;
}

function inputs(c: Case): Inputs {
  const { batch, seqLen: t, heads, kvHeads, headDim: d } = c.dims;
  const keyMask = new Uint8Array(batch * t);
  for (let b = 0; b < batch; b++) for (let j = 0; j < t; j++) keyMask[b * t + j] = j < t - (c.pad[b] ?? 0) && b !== c.emptyRow ? 1 : 0;
  const biasSize = c.bias === "perBatch" ? batch * heads * t * t : heads * t * t;
  return {
    q: rand(batch * t * heads * d, 1, 2),
    k: rand(batch * t * kvHeads * d, 2, 2),
    v: rand(batch * t * kvHeads * d, 3),
    g: rand(batch * t * heads * d, 4),
    keyMask,
    bias: c.bias ? rand(biasSize, 5, 1.5) : null,
  };
}

interface Result {
  out: Float32Array;
  probs: Float32Array;
  mask: Float32Array | null;
  rng: Rng | null;
  dq: Float32Array;
  dk: Float32Array;
  dv: Float32Array;
  dBias: Float64Array | null;
}

function run(ops: Pick<OpKernels, "attentionForward" | "attentionBackward">, c: Case, x: Inputs): Result {
  const { batch, seqLen: t, heads } = c.dims;
  const out = new Float32Array(x.q.length).fill(7);
  const probs = new Float32Array(batch * heads * t * t);
  const drop: AttentionDropout | null = c.dropout ? { p: c.dropout, rng: new Rng(99), mask: new Float32Array(probs.length) } : null;
  ops.attentionForward(x.q, x.k, x.v, x.keyMask, x.bias, c.dims, out, probs, drop);
  const [dq, dk, dv] = [new Float32Array(x.q.length).fill(3), new Float32Array(x.k.length).fill(3), new Float32Array(x.v.length).fill(3)];
  const dBias = x.bias ? new Float64Array(x.bias.length).fill(3) : null;
  ops.attentionBackward(x.q, x.k, x.v, x.keyMask, c.dims, probs, x.g, drop?.mask ?? null, dq, dk, dv, dBias);
  return { out, probs, mask: drop?.mask ?? null, rng: drop?.rng ?? null, dq, dk, dv, dBias };
}

const reference = { attentionForward: jsAttentionForward, attentionBackward: jsAttentionBackward };

/** Worst relative difference of float32 values (relative to max(|want|, 1e-30)) and the share bit-identical. */
function f32Close(want: Float32Array, got: Float32Array): { worst: number; identical: number } {
  let worst = 0;
  let identical = 0;
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [want[i] as number, got[i] as number];
    if (Object.is(a, b)) identical++;
    else worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(a), 1e-30));
  }
  return { worst, identical: identical / Math.max(1, want.length) };
}

/** Largest |want − got| relative to the largest |want|, and the share bit-identical. */
function gradClose(want: Float32Array | Float64Array, got: Float32Array | Float64Array): { worst: number; identical: number } {
  let worst = 0;
  let scale = 1e-30;
  let identical = 0;
  for (let i = 0; i < want.length; i++) {
    if (Object.is(want[i], got[i])) identical++;
    worst = Math.max(worst, Math.abs((want[i] as number) - (got[i] as number)));
    scale = Math.max(scale, Math.abs(want[i] as number));
  }
  return { worst: worst / scale, identical: identical / Math.max(1, want.length) };
}


describe.skipIf(!native)("native attention core", () => {
  const ops = native as OpKernels;
  afterEach(() => {
    setFastKernelThreads(1);
    setOpKernels(jsOpKernels);
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s: forward and backward match the TypeScript reference", (_name, c) => {
    const x = inputs(c);
    const want = run(reference, c, x);
    const got = run(ops, c, x);
    for (const [a, b] of [[want.out, got.out], [want.probs, got.probs]] as const) {
      const r = f32Close(a, b);
      expect(r.worst).toBeLessThanOrEqual(1.2e-7);
      expect(r.identical).toBeGreaterThanOrEqual(0.99);
    }
    if (c.dropout) {
      expect(firstDifference(want.mask as Float32Array, got.mask as Float32Array)).toBe(-1);
      expect((got.rng as Rng).state()).toEqual((want.rng as Rng).state());
      expect((want.mask as Float32Array).some((m) => m === 0)).toBe(true);
    }
    const grads = [[want.dq, got.dq], [want.dk, got.dk], [want.dv, got.dv], [want.dBias, got.dBias]] as const;
    for (const [a, b] of grads) {
      if (!a || !b) continue;
      const r = gradClose(a, b);
      expect(r.worst).toBeLessThanOrEqual(1e-6);
      expect(r.identical).toBeGreaterThanOrEqual(0.99);
    }
    expect(got.dBias === null).toBe(want.dBias === null);
    if (c.emptyRow !== undefined) {
      const { seqLen: t, heads, headDim: d } = c.dims;
      const row = got.out.subarray(c.emptyRow * t * heads * d, (c.emptyRow + 1) * t * heads * d);
      expect(row.every((o) => o === 0)).toBe(true);
    }
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s: 1 and 2 threads bit-identical", (_name, c) => {
    const x = inputs(c);
    setFastKernelThreads(1);
    const one = run(ops, c, x);
    setFastKernelThreads(2);
    const two = run(ops, c, x);
    expect(firstDifference(one.out, two.out)).toBe(-1);
    expect(firstDifference(one.probs, two.probs)).toBe(-1);
    if (one.mask && two.mask) expect(firstDifference(one.mask, two.mask)).toBe(-1);
    expect(firstDifference(one.dq, two.dq)).toBe(-1);
    expect(firstDifference(one.dk, two.dk)).toBe(-1);
    expect(firstDifference(one.dv, two.dv)).toBe(-1);
    if (one.dBias && two.dBias) expect(firstDifference(one.dBias, two.dBias)).toBe(-1);
  });

  it("refuses short arrays, bad sizes and wrong types instead of reading past them", () => {
    const c = CASES[1] as Case;
    const x = inputs(c);
    const { batch, seqLen: t, heads } = c.dims;
    const probs = new Float32Array(batch * heads * t * t);
    const out = new Float32Array(x.q.length);
    const fwd = (over: Partial<Inputs & { out: Float32Array; probs: Float32Array; dims: AttentionDims }>): void => {
      const a = { ...x, out, probs, dims: c.dims, ...over };
      ops.attentionForward(a.q, a.k, a.v, a.keyMask, a.bias, a.dims, a.out, a.probs, null);
    };
    expect(() => fwd({})).not.toThrow();
    expect(() => fwd({ q: x.q.subarray(1) })).toThrow(RangeError);
    expect(() => fwd({ v: x.v.subarray(1) })).toThrow(RangeError);
    expect(() => fwd({ keyMask: x.keyMask.subarray(1) })).toThrow(RangeError);
    expect(() => fwd({ bias: (x.bias as Float32Array).subarray(1) })).toThrow(RangeError);
    expect(() => fwd({ out: out.subarray(1) })).toThrow(RangeError);
    expect(() => fwd({ probs: probs.subarray(1) })).toThrow(RangeError);
    expect(() => fwd({ dims: { ...c.dims, biasPerBatch: true } })).toThrow(RangeError);
    expect(() => fwd({ dims: { ...c.dims, kvHeads: 3 } })).toThrow(RangeError);
    expect(() => fwd({ dims: { ...c.dims, seqLen: 2.5 } })).toThrow(RangeError);
    expect(() => fwd({ keyMask: Float32Array.from(x.keyMask) as unknown as Uint8Array })).toThrow(TypeError);
    const drop = { p: 1, rng: new Rng(1), mask: new Float32Array(probs.length) };
    expect(() => ops.attentionForward(x.q, x.k, x.v, x.keyMask, x.bias, c.dims, out, probs, drop)).toThrow(RangeError);
    const [dq, dk, dv] = [new Float32Array(x.q.length), new Float32Array(x.k.length), new Float32Array(x.v.length)];
    expect(() => ops.attentionBackward(x.q, x.k, x.v, x.keyMask, c.dims, probs, x.g.subarray(1), null, dq, dk, dv, null)).toThrow(RangeError);
    expect(() => ops.attentionBackward(x.q, x.k, x.v, x.keyMask, c.dims, probs, x.g, null, dq, dk.subarray(1), dv, null)).toThrow(RangeError);
    expect(() => ops.attentionBackward(x.q, x.k, x.v, x.keyMask, c.dims, probs, x.g, null, dq, dk, dv, new Float64Array(3))).toThrow(RangeError);
  });

  it("finite differences hold through multiHeadAttention with the native kernels installed", () => {
    setOpKernels(ops);
    const param = paramFactory(11);
    const check = expectGradients;
    const keyMask = [1, 1, 1, 0, 1, 1, 1, 1];
    const at = (x: readonly Tensor[], i: number): Tensor => x[i] as Tensor;
    check((x) => multiHeadAttention(at(x, 0), at(x, 1), at(x, 2), { batch: 2, seqLen: 4, heads: 2, keyMask, bias: at(x, 3) }), [param([8, 6]), param([8, 6]), param([8, 6]), param([2, 4, 4])]);
    check((x) => multiHeadAttention(at(x, 0), at(x, 1), at(x, 2), { batch: 2, seqLen: 4, heads: 2, keyMask, bias: at(x, 3), window: 1 }), [param([8, 6]), param([8, 6]), param([8, 6]), param([2, 2, 4, 4])]);
    check((x) => multiHeadAttention(at(x, 0), at(x, 1), at(x, 2), { batch: 2, seqLen: 4, heads: 4, keyMask, kvHeads: 2, causal: true, scale: 0.3 }), [param([8, 8]), param([8, 4]), param([8, 4])]);
  });
});
