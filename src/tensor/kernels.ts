/**
 * The matrix-multiply kernel every matmul in the tensor layer goes through. The default is plain
 * TypeScript loops that accumulate in float64; a faster kernel (WASM, ONNX Runtime) can be
 * installed with `setGemmKernel` without touching any op or architecture.
 */
export interface GemmKernel {
  /**
   * out (M × N) = a (M × K) · bᵀ where b is stored (N × K) row-major — the layout of
   * `nn.Linear.weight` and of keys in attention, so no transposed copy is needed.
   * `out` is overwritten; if `bias` (N) is given it is added to every row.
   */
  gemmNT(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number, bias?: Float32Array): void;
  /** out (M × N) = a (M × K) · b (K × N), b row-major. `out` is overwritten. */
  gemmNN(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number): void;
  /**
   * out (M × N) = aᵀ · b with a stored (K × M) and b (K × N): a weight gradient dYᵀ · X without a
   * transposed copy of dY. Optional: without it the ops transpose `a` and call `gemmNN`, which must
   * give the same numbers (each element summed over K in order).
   */
  gemmTN?(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number): void;
}

/** Reference kernel: float64 accumulation, rounded to float32 once per output element. */
export const jsGemmKernel: GemmKernel = {
  gemmNT(a, b, out, m, k, n, bias) {
    // four output columns per pass: each a[i, p] is loaded once for four dot products (2.3× faster
    // than one column at a time here; every sum is still accumulated in order, in float64)
    for (let i = 0; i < m; i++) {
      const ai = i * k;
      const oi = i * n;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const b0 = j * k;
        const b1 = b0 + k;
        const b2 = b1 + k;
        const b3 = b2 + k;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let p = 0; p < k; p++) {
          const av = a[ai + p] as number;
          s0 += av * (b[b0 + p] as number);
          s1 += av * (b[b1 + p] as number);
          s2 += av * (b[b2 + p] as number);
          s3 += av * (b[b3 + p] as number);
        }
        out[oi + j] = bias ? s0 + (bias[j] as number) : s0;
        out[oi + j + 1] = bias ? s1 + (bias[j + 1] as number) : s1;
        out[oi + j + 2] = bias ? s2 + (bias[j + 2] as number) : s2;
        out[oi + j + 3] = bias ? s3 + (bias[j + 3] as number) : s3;
      }
      for (; j < n; j++) {
        const bj = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += (a[ai + p] as number) * (b[bj + p] as number);
        out[oi + j] = bias ? s + (bias[j] as number) : s;
      }
    }
  },
  gemmNN(a, b, out, m, k, n) {
    const acc = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      const ai = i * k;
      for (let p = 0; p < k; p++) {
        const av = a[ai + p] as number;
        if (av === 0) continue;
        const bp = p * n;
        for (let j = 0; j < n; j++) acc[j] = (acc[j] as number) + av * (b[bp + j] as number);
      }
      out.set(acc, i * n);
    }
  },
  gemmTN(a, b, out, m, k, n) {
    // gemmNN's loop, reading a's column i instead of its row
    const acc = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const av = a[p * m + i] as number;
        if (av === 0) continue;
        const bp = p * n;
        for (let j = 0; j < n; j++) acc[j] = (acc[j] as number) + av * (b[bp + j] as number);
      }
      out.set(acc, i * n);
    }
  },
};

let current: GemmKernel = jsGemmKernel;

export function gemmKernel(): GemmKernel {
  return current;
}

/** Installs a kernel for all later matmuls; returns the previous one. */
export function setGemmKernel(kernel: GemmKernel): GemmKernel {
  const previous = current;
  current = kernel;
  return previous;
}
