import { describe, expect, it } from "vitest";
import { type GemmKernel, gemmKernel, jsGemmKernel, setGemmKernel } from "./kernels.js";

/** Naive reference: one float64 dot product per output. */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, bT: boolean): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (a[i * k + p] as number) * (bT ? (b[j * k + p] as number) : (b[p * n + j] as number));
      out[i * n + j] = s;
    }
  return out;
}

function rand(n: number, seed: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
}

describe("jsGemmKernel", () => {
  it.each([
    [1, 1, 1],
    [3, 5, 7],
    [4, 8, 4],
    [17, 33, 9],
  ])("gemmNT %i×%i·(%i×k)ᵀ equals the naive product exactly, with and without bias", (m, k, n) => {
    const a = rand(m * k, 1);
    const b = rand(n * k, 2);
    const bias = rand(n, 3);
    const out = new Float32Array(m * n);
    jsGemmKernel.gemmNT(a, b, out, m, k, n);
    expect(Array.from(out)).toEqual(Array.from(reference(a, b, m, k, n, true)));
    jsGemmKernel.gemmNT(a, b, out, m, k, n, bias);
    const ref = reference(a, b, m, k, n, true);
    // bias is added to the float64 sum before the single float32 rounding
    expect(maxDiff(out, ref.map((v, i) => v + (bias[i % n] as number)))).toBeLessThanOrEqual(1e-6);
  });

  it("gemmNN equals the naive product (within 1e-6)", () => {
    const [m, k, n] = [6, 11, 5];
    const a = rand(m * k, 4);
    const b = rand(k * n, 5);
    const out = new Float32Array(m * n);
    jsGemmKernel.gemmNN(a, b, out, m, k, n);
    expect(maxDiff(out, reference(a, b, m, k, n, false))).toBeLessThanOrEqual(1e-6);
  });

  it("setGemmKernel swaps the kernel and returns the previous one", () => {
    const fake: GemmKernel = { gemmNT: (_a, _b, out) => out.fill(7), gemmNN: (_a, _b, out) => out.fill(7) };
    const prev = setGemmKernel(fake);
    expect(gemmKernel()).toBe(fake);
    expect(setGemmKernel(prev)).toBe(fake);
    expect(gemmKernel()).toBe(jsGemmKernel);
  });
});

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
