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
}

/** Reference kernel: float64 accumulation, rounded to float32 once per output element. */
export const jsGemmKernel: GemmKernel = {
  gemmNT(a, b, out, m, k, n, bias) {
    for (let i = 0; i < m; i++) {
      const ai = i * k;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += (a[ai + p] as number) * (b[bj + p] as number);
        out[i * n + j] = bias ? s + (bias[j] as number) : s;
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
