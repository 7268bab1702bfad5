import { afterEach, describe, expect, it } from "vitest";
import { loadFastOpKernels, setFastKernelThreads } from "./kernels-fast.js";
import { type OpKernels, jsOpKernels, setOpKernels } from "./op-kernels.js";
import { activation } from "./ops/elementwise.js";
import { embedding } from "./ops/embedding.js";
import { layerNorm } from "./ops/layer-norm.js";
import { Rng } from "./random.js";
import { Tensor } from "./tensor.js";
import { firstDifference } from "../../test/helpers/bits.js";
import { expectGradients, paramFactory } from "../../test/helpers/gradients.js";

/**
 * The native row-wise kernels (native/src/ops.c) against their TypeScript references
 * (op-kernels.ts). Tolerance: LayerNorm, AdamW, the scatter-add, the sum of squares and the
 * scaling do only + − · / √ in float64, the same operations in the same order, so they must be
 * bit-identical; GELU calls exp / tanh, which the C library and V8 may round differently by one
 * float64 ulp (2⁻⁵²), so a float32 result may move by one float32 ulp (≤ 1.2e-7 relative) —
 * and in practice every value agreed (the test also requires ≥ 99.9% of them bit-identical).
 * Cross-entropy's forward also calls exp / log: within 1e-12 relative (float64) of the reference.
 * Sizes cross the kernels' chunk (16384 elements, 16 rows, 64 columns) and threading (65536)
 * boundaries, and every native result is compared at 1 and 2 threads.
 */
const native = loadFastOpKernels();

function rand(n: number, seed: number, scale = 3): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
}

function ulpClose(want: Float32Array, got: Float32Array): { identical: number; worst: number } {
  let identical = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [want[i] as number, got[i] as number];
    if (Object.is(a, b)) identical++;
    worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(a), 1e-30));
  }
  return { identical: identical / Math.max(1, want.length), worst };
}


describe.skipIf(!native)("native row-wise kernels", () => {
  const ops = native as OpKernels;
  afterEach(() => {
    setFastKernelThreads(1);
    setOpKernels(jsOpKernels);
  });

  for (const threads of [1, 2]) {
    describe(`${threads} thread(s)`, () => {
      it.each([
        [false, 5],
        [false, 16384 * 5 + 3],
        [true, 7],
        [true, 16384 * 5 + 3],
      ])("GELU (tanh form %s), %i values: forward and backward match the reference", (tanhForm, n) => {
        setFastKernelThreads(threads);
        const x = rand(n, n, 6);
        x[0] = 0;
        const g = rand(n, n + 1, 1);
        const [want, got] = [new Float32Array(n), new Float32Array(n)];
        jsOpKernels.geluForward(x, want, tanhForm);
        ops.geluForward(x, got, tanhForm);
        let r = ulpClose(want, got);
        expect(r.worst).toBeLessThanOrEqual(1.2e-7);
        expect(r.identical).toBeGreaterThanOrEqual(0.999);
        jsOpKernels.geluBackward(x, g, want, tanhForm);
        ops.geluBackward(x, g, got, tanhForm);
        r = ulpClose(want, got);
        expect(r.worst).toBeLessThanOrEqual(1.2e-7);
        expect(r.identical).toBeGreaterThanOrEqual(0.999);
      });

      it.each([
        [1, 6],
        [37, 384],
        [300, 384],
        [5, 70],
      ])("LayerNorm %i × %i: forward, dx, dgamma, dbeta bit-identical", (rows, c) => {
        setFastKernelThreads(threads);
        const x = rand(rows * c, rows + c);
        const gamma = rand(c, 3, 1.5);
        const beta = rand(c, 4, 0.5);
        const dy = rand(rows * c, 5, 1);
        const [want, got] = [new Float32Array(rows * c), new Float32Array(rows * c)];
        jsOpKernels.layerNormForward(x, gamma, beta, want, rows, c, 1e-12);
        ops.layerNormForward(x, gamma, beta, got, rows, c, 1e-12);
        expect(firstDifference(got, want)).toBe(-1);
        const [dgW, dbW, dgG, dbG] = [new Float64Array(c), new Float64Array(c), new Float64Array(c).fill(9), new Float64Array(c).fill(9)];
        jsOpKernels.layerNormBackward(x, gamma, dy, want, dgW, dbW, rows, c, 1e-12);
        ops.layerNormBackward(x, gamma, dy, got, dgG, dbG, rows, c, 1e-12);
        expect(firstDifference(got, want)).toBe(-1);
        expect(firstDifference(dgG, dgW)).toBe(-1);
        expect(firstDifference(dbG, dbW)).toBe(-1);
        ops.layerNormBackward(x, gamma, dy, null, dgG, dbG, rows, c, 1e-12); // no dx wanted
        expect(firstDifference(dgG, dgW)).toBe(-1);
      });

      it("AdamW: three steps over 100003 values bit-identical (weights and both moments)", () => {
        setFastKernelThreads(threads);
        const n = 100_003;
        const [wA, mA, vA] = [rand(n, 1), new Float32Array(n), new Float32Array(n)];
        const [wB, mB, vB] = [wA.slice(), new Float32Array(n), new Float32Array(n)];
        for (let step = 1; step <= 3; step++) {
          const g = rand(n, 10 + step, 0.1);
          const args = [0.9, 0.999, 2e-3 / (1 - 0.9 ** step), Math.sqrt(1 - 0.999 ** step), 1 - 2e-3 * 0.01, 1e-8] as const;
          jsOpKernels.adamw(wA, g, mA, vA, ...args);
          ops.adamw(wB, g, mB, vB, ...args);
        }
        expect(firstDifference(wB, wA)).toBe(-1);
        expect(firstDifference(mB, mA)).toBe(-1);
        expect(firstDifference(vB, vA)).toBe(-1);
      });

      it("softmax + cross-entropy forward (with and without excluded logits) matches the reference", () => {
        for (const [n, c] of [[16, 3], [16, 16], [64, 129]] as const) {
          const x = rand(n * c, n + c, 8);
          const labels = Int32Array.from({ length: n }, (_, r) => (r * 7) % c);
          const excluded = Uint8Array.from({ length: n * c }, (_, i) => (i % c === (Math.floor(i / c) + 1) % c && c > 2 ? 1 : 0));
          for (const mask of [null, excluded]) {
            const [pA, pB] = [new Float64Array(n * c), new Float64Array(n * c)];
            const tA = jsOpKernels.softmaxCrossEntropy(x, n, c, labels, mask, pA);
            const tB = ops.softmaxCrossEntropy(x, n, c, labels, mask, pB);
            // exp / log from the C library and V8 may differ by a float64 ulp
            expect(Math.abs(tA - tB)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(tA)));
            let worst = 0;
            for (let i = 0; i < pA.length; i++) worst = Math.max(worst, Math.abs((pA[i] as number) - (pB[i] as number)));
            expect(worst).toBeLessThanOrEqual(1e-15);
          }
        }
        expect(() => ops.softmaxCrossEntropy(new Float32Array(6), 2, 3, Int32Array.of(0, 3), null, new Float64Array(6))).toThrow(RangeError);
      });

      it("gradient accumulation, transpose and bias column sums bit-identical", () => {
        setFastKernelThreads(threads);
        const n = 70_001;
        const src = rand(n, 8);
        const [a, b] = [rand(n, 9), new Float32Array(n)];
        b.set(a);
        jsOpKernels.addInto(a, src);
        ops.addInto(b, src);
        expect(firstDifference(a, b)).toBe(-1);
        for (const op of ["add", "mul"] as const) {
          const [want, got] = [new Float32Array(n), new Float32Array(n)];
          jsOpKernels[op](a, src, want);
          ops[op](a, src, got);
          expect(firstDifference(want, got)).toBe(-1);
          ops[op](got, src, got); // out may be an input
          jsOpKernels[op](want, src, want);
          expect(firstDifference(want, got)).toBe(-1);
        }
        for (const [rows, cols] of [[1, 1], [37, 70], [640, 384]] as const) {
          const x = rand(rows * cols, rows);
          const [tA, tB] = [new Float32Array(rows * cols), new Float32Array(rows * cols)];
          jsOpKernels.transpose(x, rows, cols, tA);
          ops.transpose(x, rows, cols, tB);
          expect(firstDifference(tA, tB)).toBe(-1);
          const [sA, sB] = [new Float64Array(cols), new Float64Array(cols).fill(7)];
          jsOpKernels.columnSums(x, rows, cols, sA);
          ops.columnSums(x, rows, cols, sB);
          expect(firstDifference(sA, sB)).toBe(-1);
        }
      });

      it("GELU's erf form is bit-identical to the reference at the edges (fdlibm's exp, 8 lanes and the scalar tail)", () => {
        setFastKernelThreads(threads);
        const edges = [0, -0, 1e-30, -1e-30, 0.3465735, 0.34657362, 1.0397205, 1.0397206, -5.5, -9, -26.7, -37.7, -38.7, 38, 1e30, -1e30, Infinity, -Infinity, NaN];
        const x = Float32Array.from({ length: 8 * 5 + 3 }, (_, i) => edges[i % edges.length] as number);
        const g = rand(x.length, 9, 1);
        const [want, got] = [new Float32Array(x.length), new Float32Array(x.length)];
        jsOpKernels.geluForward(x, want, false);
        ops.geluForward(x, got, false);
        expect(firstDifference(got, want)).toBe(-1);
        jsOpKernels.geluBackward(x, g, want, false);
        ops.geluBackward(x, g, got, false);
        expect(firstDifference(got, want)).toBe(-1);
      });

      it("sum of squares and scaling bit-identical; scatter-add in id order", () => {
        setFastKernelThreads(threads);
        const x = rand(70_001, 2);
        expect(ops.sumSquares(x)).toBe(jsOpKernels.sumSquares(x));
        // the stated order: x[i] into lane i mod 8, lanes summed as ((0+1)+(2+3))+((4+5)+(6+7))
        const y = Float32Array.from([1e8, 1, -3, 2.5, 1e-3, 7, 1e4, 0.1, 3e7, 0.7, 11, 13, 1e-8]);
        const lane = Array.from({ length: 8 }, (_, l) => [...y].filter((_, i) => i % 8 === l).reduce((a, v) => a + v * v, 0));
        const tree = ((lane[0]! + lane[1]!) + (lane[2]! + lane[3]!)) + ((lane[4]! + lane[5]!) + (lane[6]! + lane[7]!));
        expect(ops.sumSquares(y)).toBe(tree);
        expect(jsOpKernels.sumSquares(y)).toBe(tree);
        expect(ops.sumSquares(new Float32Array(0))).toBe(0);
        const [a, b] = [x.slice(), x.slice()];
        jsOpKernels.scale(a, 0.3713);
        ops.scale(b, 0.3713);
        expect(firstDifference(b, a)).toBe(-1);
        const c = 5;
        const ids = Int32Array.of(3, 0, 3, 9, 3);
        const g = rand(ids.length * c, 3);
        const [dA, dB] = [rand(10 * c, 4), new Float32Array(10 * c)];
        dB.set(dA);
        jsOpKernels.embeddingScatterAdd(dA, g, ids, c);
        ops.embeddingScatterAdd(dB, g, ids, c);
        expect(firstDifference(dB, dA)).toBe(-1);
      });
    });
  }

  it.each([1, 2, 3])("dropout masks: the same draws from the seeded Rng, which ends in the same state (%i threads: chunks of 2^14 draws reached by jumps)", (threads) => {
    setFastKernelThreads(threads);
    for (const [n, p] of [[1, 0.1], [1000, 0.1], [70_001, 0.5], [16384 * 4, 0.1], [16384 * 9 + 5, 0.3]] as const) {
      const [a, b] = [new Rng(n), new Rng(n)];
      const [want, got] = [new Float32Array(n), new Float32Array(n)];
      jsOpKernels.dropoutMask(a, want, p, 1 / (1 - p));
      ops.dropoutMask(b, got, p, 1 / (1 - p));
      expect(firstDifference(want, got)).toBe(-1);
      expect(b.state()).toEqual(a.state());
      expect(b.nextUint32()).toBe(a.nextUint32());
    }
  });

  it("refuses short arrays, wrong types and ids outside the table instead of writing past them", () => {
    expect(() => ops.geluForward(new Float32Array(4), new Float32Array(3), false)).toThrow(RangeError);
    expect(() => ops.layerNormForward(new Float32Array(5), new Float32Array(3), new Float32Array(3), new Float32Array(6), 2, 3, 1e-5)).toThrow(RangeError);
    expect(() => ops.embeddingScatterAdd(new Float32Array(6), new Float32Array(3), Int32Array.of(2), 3)).toThrow(RangeError);
    expect(() => ops.embeddingScatterAdd(new Float32Array(6), new Float32Array(3), Int32Array.of(-1), 3)).toThrow(RangeError);
    expect(() => ops.adamw(new Float32Array(3), new Float32Array(2), new Float32Array(3), new Float32Array(3), 0.9, 0.999, 1, 1, 1, 1e-8)).toThrow(RangeError);
    expect(() => ops.sumSquares(new Float64Array(2) as unknown as Float32Array)).toThrow(TypeError);
    expect(() => ops.addInto(new Float32Array(3), new Float32Array(2))).toThrow(RangeError);
    expect(() => ops.mul(new Float32Array(3), new Float32Array(3), new Float32Array(2))).toThrow(RangeError);
    expect(() => ops.transpose(new Float32Array(6), 2, 3, new Float32Array(5))).toThrow(RangeError);
    expect(() => ops.columnSums(new Float32Array(6), 2, 3, new Float64Array(2))).toThrow(RangeError);
  });

  it("finite differences still hold with the native kernels installed (GELU, LayerNorm, embedding)", () => {
    setOpKernels(ops);
    const param = paramFactory(3);
    const check = expectGradients;
    check((x) => activation(x[0] as Tensor, "gelu"), [param([4, 5], -3, 3)]);
    check((x) => activation(x[0] as Tensor, "gelu_tanh"), [param([4, 5], -3, 3)]);
    check((x) => layerNorm(x[0] as Tensor, x[1] as Tensor, x[2] as Tensor, 1e-12), [param([4, 6], -2, 2), param([6], 0.5, 1.5), param([6])]);
    check((x) => embedding(x[0] as Tensor, [2, 0, 2, 1]), [param([3, 5])]);
  });
});
