import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FAST_KERNEL_PATH, fastKernelInfo, loadFastKernel, measuredFmaPeak, setFastKernelThreads, useFastKernel } from "./kernels-fast.js";
import { gemmKernel, jsGemmKernel, setGemmKernel } from "./kernels.js";
import { linear } from "./ops/linear.js";
import { Tensor } from "./tensor.js";

// Without a built addon (no C compiler at install time) the library runs the JavaScript kernel;
// SBERT_REQUIRE_NATIVE=1 turns that into a failure, for CI that must exercise the native kernel.
const fast = loadFastKernel();
const requireNative = process.env.SBERT_REQUIRE_NATIVE === "1" && process.env.SBERT_KERNEL !== "js";

function rand(n: number, seed: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
}

/**
 * Checks `out` against a float64 product within the worst-case bound of float32 recursive
 * summation: |error| ≤ k · 2⁻²⁴ · Σ_p |a_ip · b_pj| per element (plus one rounding for the bias).
 */
function expectProduct(out: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, bT: boolean, bias?: Float32Array): void {
  let worst = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const t = (a[i * k + p] as number) * (bT ? (b[j * k + p] as number) : (b[p * n + j] as number));
        s += t;
        abs += Math.abs(t);
      }
      if (bias) s += bias[j] as number;
      const bound = (k + 1) * 2 ** -24 * (abs + Math.abs(s)) + 1e-30;
      worst = Math.max(worst, Math.abs((out[i * n + j] as number) - s) / bound);
    }
  expect(worst).toBeLessThanOrEqual(1);
}

describe("native GEMM kernel", () => {
  it("loads wherever it was built (SBERT_REQUIRE_NATIVE=1 demands it)", () => {
    if (requireNative) expect(fast, `no usable addon at ${FAST_KERNEL_PATH}`).toBeDefined();
    expect(fast === undefined || typeof fast.gemmNT === "function").toBe(true);
  });

  describe.skipIf(!fast)("with the addon", () => {
    const kernel = fast ?? jsGemmKernel;
    afterEach(() => {
      setGemmKernel(jsGemmKernel);
      setFastKernelThreads(1);
    });

    it("reports its micro-kernel", () => {
      expect(["avx512", "avx2", "generic"]).toContain(fastKernelInfo()?.isa);
    });

    // tile edges (12 × 32, 6 × 16, 4 × 16), several k blocks (384), degenerate sizes
    it.each([
      [1, 1, 1],
      [3, 5, 7],
      [12, 32, 32],
      [13, 33, 17],
      [25, 100, 65],
      [37, 400, 70],
      [7, 1000, 3],
      [64, 800, 129],
    ])("gemmNT and gemmNN %i×%i·(%i) match the float64 product within float32 rounding", (m, k, n) => {
      const a = rand(m * k, 1);
      const b = rand(n * k, 2);
      const bias = rand(n, 3);
      const out = new Float32Array(m * n).fill(Number.NaN);
      kernel.gemmNT(a, b, out, m, k, n);
      expectProduct(out, a, b, m, k, n, true);
      kernel.gemmNT(a, b, out, m, k, n, bias);
      expectProduct(out, a, b, m, k, n, true, bias);
      out.fill(Number.NaN);
      kernel.gemmNN(a, b, out, m, k, n);
      expectProduct(out, a, b, m, k, n, false);
      // TN reads a stored (k × m): bit-identical to NN on the transposed copy, at 1 and 2 threads
      const aT = new Float32Array(m * k);
      for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) aT[p * m + i] = a[i * k + p] as number;
      for (const t of [1, 2]) {
        setFastKernelThreads(t);
        const tn = new Float32Array(m * n).fill(Number.NaN);
        kernel.gemmTN?.(aT, b, tn, m, k, n);
        expect(Buffer.from(tn.buffer).equals(Buffer.from(out.buffer))).toBe(true);
      }
      const [jsNN, jsTN] = [new Float32Array(m * n), new Float32Array(m * n)];
      jsGemmKernel.gemmNN(a, b, jsNN, m, k, n);
      jsGemmKernel.gemmTN?.(aT, b, jsTN, m, k, n);
      expect(Buffer.from(jsTN.buffer).equals(Buffer.from(jsNN.buffer))).toBe(true);
    });

    it("k = 0 gives the bias (or zeros); m = 0 or n = 0 writes nothing", () => {
      const out = new Float32Array(6).fill(Number.NaN);
      kernel.gemmNT(new Float32Array(0), new Float32Array(0), out, 2, 0, 3, Float32Array.from([1, 2, 3]));
      expect(Array.from(out)).toEqual([1, 2, 3, 1, 2, 3]);
      kernel.gemmNN(new Float32Array(0), new Float32Array(0), out, 2, 0, 3);
      expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
      const untouched = Float32Array.from([5]);
      kernel.gemmNT(new Float32Array(0), rand(4, 1), untouched, 0, 4, 1);
      expect(untouched[0]).toBe(5);
    });

    it("reads and writes Float32Array views at their offsets", () => {
      const [m, k, n] = [5, 9, 6];
      const a = rand(m * k, 4);
      const b = rand(n * k, 5);
      const bufA = new Float32Array(m * k + 3);
      bufA.set(a, 3);
      const bufOut = new Float32Array(m * n + 2).fill(-1);
      kernel.gemmNT(bufA.subarray(3), b, bufOut.subarray(1, 1 + m * n), m, k, n);
      const want = new Float32Array(m * n);
      kernel.gemmNT(a, b, want, m, k, n);
      expect(bufOut[0]).toBe(-1);
      expect(bufOut[m * n + 1]).toBe(-1);
      expect(Array.from(bufOut.subarray(1, 1 + m * n))).toEqual(Array.from(want));
    });

    it("throws instead of reading past a short array or taking a wrong type", () => {
      const out = new Float32Array(4);
      expect(() => kernel.gemmNT(new Float32Array(3), new Float32Array(4), out, 2, 2, 2)).toThrow(RangeError);
      expect(() => kernel.gemmNN(new Float32Array(4), new Float32Array(4), new Float32Array(3), 2, 2, 2)).toThrow(RangeError);
      expect(() => kernel.gemmTN?.(new Float32Array(3), new Float32Array(4), out, 2, 2, 2)).toThrow(RangeError);
      expect(() => kernel.gemmNT(new Float32Array(4), new Float32Array(4), out, 2, 2, 2, new Float32Array(1))).toThrow(RangeError);
      const f64 = new Float64Array(4) as unknown as Float32Array;
      expect(() => kernel.gemmNT(f64, new Float32Array(4), out, 2, 2, 2)).toThrow(TypeError);
      expect(() => kernel.gemmNT(new Float32Array(4), new Float32Array(4), out, 2, 2.5, 2)).toThrow(RangeError);
    });

    it("a row computed alone is bit-identical to the same row inside a batch", () => {
      const [m, k, n] = [29, 777, 45];
      const a = rand(m * k, 6);
      const b = rand(n * k, 7);
      const bias = rand(n, 8);
      const all = new Float32Array(m * n);
      kernel.gemmNT(a, b, all, m, k, n, bias);
      for (const i of [0, 11, 12, 28]) {
        const one = new Float32Array(n);
        kernel.gemmNT(a.subarray(i * k, (i + 1) * k), b, one, 1, k, n, bias);
        expect(Array.from(one)).toEqual(Array.from(all.subarray(i * n, (i + 1) * n)));
      }
    });

    it("gives bit-identical results for any thread count", () => {
      const [m, k, n] = [130, 500, 300];
      const a = rand(m * k, 9);
      const b = rand(n * k, 10);
      const one = new Float32Array(m * n);
      kernel.gemmNT(a, b, one, m, k, n);
      for (const t of [2, 3]) {
        setFastKernelThreads(t);
        const many = new Float32Array(m * n);
        kernel.gemmNT(a, b, many, m, k, n);
        expect(Buffer.from(many.buffer).equals(Buffer.from(one.buffer))).toBe(true);
      }
    });

    it("gives bit-identical results with the AVX-512, AVX2 and generic micro-kernels", () => {
      // each ISA is picked when the addon loads, so each runs in its own process
      const script = `
        const g = require(${JSON.stringify(FAST_KERNEL_PATH)});
        let x = 1; const r = (n) => Float32Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
        const [m, k, n] = [27, 450, 41]; const a = r(m * k), b = r(n * k), bias = r(n);
        const o1 = new Float32Array(m * n), o2 = new Float32Array(m * n);
        g.gemmNT(a, b, o1, m, k, n, bias); g.gemmNN(a, b, o2, m, k, n);
        process.stdout.write(g.info().isa + " " + Buffer.from(o1.buffer).toString("base64") + Buffer.from(o2.buffer).toString("base64"));`;
      const run = (isa: string): [string, string] => {
        const [name = "", bits = ""] = execFileSync(process.execPath, ["-e", script], { env: { ...process.env, SBERT_GEMM_ISA: isa }, encoding: "utf8" }).split(" ");
        return [name, bits];
      };
      const results = ["avx512", "avx2", "generic"].map(run);
      expect(results[2]?.[0]).toBe("generic");
      for (const [, bits] of results) expect(bits).toBe(results[0]?.[1]);
    });

    it("useFastKernel installs it for every op, and leaves a user's own kernel in place", () => {
      expect(useFastKernel()).toBe(true);
      expect(gemmKernel()).toBe(fast);
      const x = new Tensor(rand(3 * 8, 11), [3, 8]);
      const w = new Tensor(rand(4 * 8, 12), [4, 8]);
      const viaFast = linear(x, w).data;
      setGemmKernel(jsGemmKernel);
      const viaJs = linear(x, w).data;
      for (let i = 0; i < viaJs.length; i++) expect(viaFast[i]).toBeCloseTo(viaJs[i] as number, 5);
      const own = { gemmNT: jsGemmKernel.gemmNT, gemmNN: jsGemmKernel.gemmNN };
      setGemmKernel(own);
      expect(useFastKernel()).toBe(false);
      expect(gemmKernel()).toBe(own);
    });
  });

  it("SBERT_KERNEL=js keeps the JavaScript kernel without loading the addon", async () => {
    vi.resetModules();
    vi.stubEnv("SBERT_KERNEL", "js");
    try {
      const fresh = await import("./kernels-fast.js");
      const kernels = await import("./kernels.js");
      expect(fresh.loadFastKernel()).toBeUndefined();
      expect(fresh.useFastKernel()).toBe(false);
      expect(kernels.gemmKernel()).toBe(kernels.jsGemmKernel);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

describe("measuredFmaPeak (what the benchmarks' % of peak divides by)", () => {
  it("is a positive GFLOP/s figure with the addon's AVX kernels, undefined without them; a bad duration is a RangeError", () => {
    const info = useFastKernel() ? fastKernelInfo() : undefined;
    const peak = measuredFmaPeak(0.02);
    if (info === undefined || info.isa === "generic") expect(peak).toBeUndefined();
    else expect(peak).toBeGreaterThan(1);
    if (info !== undefined) expect(() => measuredFmaPeak(-1)).toThrow(RangeError);
  });
});
