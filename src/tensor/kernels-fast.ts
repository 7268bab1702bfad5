/**
 * The native GEMM kernel: a C addon (native/, built by `npm install` through node-gyp) with
 * AVX-512, AVX2+FMA and portable micro-kernels chosen at run time from the CPU's features, so one
 * build runs on any x86-64 (and other) machine (an x86 CPU without AVX2 + FMA keeps the JavaScript
 * kernel: its portable path would be slower). It accumulates in float32, as BLAS does: every
 * output element is one fused-multiply-add chain over k in order, the same on every code path and
 * for any batch size or thread count, so a row computed alone equals the same row inside a batch.
 *
 * The same addon holds the row-wise kernels of op-kernels.ts (GELU, LayerNorm, AdamW, norms,
 * dropout masks, ...), ports of their TypeScript references with the same numbers; `useFastKernel`
 * installs both. Threads come from one persistent pool (native/src/pool.c).
 *
 * Environment: `SBERT_KERNEL=js` never loads it (the JavaScript kernels stay, nothing is logged);
 * `SBERT_GEMM_THREADS=N` splits each large product and row-wise kernel over N threads (default 1;
 * the result does not depend on N); `SBERT_GEMM_ISA=avx2|generic` picks a slower micro-kernel (for tests).
 * Loading it also tunes glibc's heap to keep freed memory for reuse (blocks up to 32 MiB come from
 * the heap, up to 1 GiB of free heap is kept instead of being returned to the kernel): every op
 * output is a fresh array, and without this each training step faults in hundreds of MB of new
 * pages (native/src/heap.c has the measurement). `SBERT_HEAP_TUNE=0` keeps glibc's defaults.
 *
 * @example
 * if (useFastKernel()) console.log(fastKernelInfo()); // { isa: "avx512", threads: 1, ... }
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { AttentionDims } from "./attention-kernel.js";
import { type GemmKernel, gemmKernel, jsGemmKernel, setGemmKernel } from "./kernels.js";
import { type OpKernels, jsOpKernels, opKernels, setOpKernels } from "./op-kernels.js";

/** The addon: the GEMM and, with the same argument order, every kernel of `OpKernels`. */
interface NativeGemmAddon extends Omit<OpKernels, "dropoutMask" | "attentionForward"> {
  /** OpKernels.dropoutMask with the generator's live state words (advanced in place). */
  dropoutMask(state: Uint32Array, mask: Float32Array, p: number, keep: number): void;
  /** OpKernels.attentionForward with the dropout as its mask, the generator's live state words and p. */
  attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, keyMask: Uint8Array, bias: Float32Array | null, dims: AttentionDims, out: Float32Array, probs: Float32Array | null, dropMask: Float32Array | null, rngState: Uint32Array | null, p: number): void;
  gemmNT(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number, bias?: Float32Array): void;
  gemmNN(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number): void;
  gemmTN(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number): void;
  info(): { isa: string; mr: number; nr: number; threads: number };
  setThreads(threads: number): number;
  fmaPeak(seconds: number): number;
  keepFreedMemory(mmapThresholdBytes: number, trimThresholdBytes: number): boolean;
}

export interface FastKernelInfo {
  /** Micro-kernel in use: "avx512", "avx2" or "generic". */
  isa: string;
  /** Threads each large product is split over. */
  threads: number;
  /** Absolute path of the loaded addon. */
  path: string;
}

/** Where `npm install` leaves the addon; the same relative path from src/tensor and dist/tensor. */
export const FAST_KERNEL_PATH = fileURLToPath(new URL("../../native/build/Release/sbert_gemm.node", import.meta.url));

let loaded: { addon: NativeGemmAddon; kernel: GemmKernel; ops: OpKernels } | null | undefined;
let warned = false;

function warnOnce(reason: string): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    `native GEMM kernel unavailable (${reason}); using the JavaScript kernel. ` +
      "Build it with `npm run build:native` (needs a C compiler and Python), or set SBERT_KERNEL=js to silence this.",
    { code: "SBERT_FAST_KERNEL_UNAVAILABLE" },
  );
}

/** Compares the addon with the JavaScript kernel on small products; a broken build is not used. */
function selfCheck(addon: NativeGemmAddon): boolean {
  const [m, k, n] = [5, 37, 19];
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: n * k }, (_, i) => Math.cos(i));
  const bias = Float32Array.from({ length: n }, (_, i) => i / 7);
  const close = (want: Float32Array, got: Float32Array): boolean =>
    want.every((v, i) => Math.abs(v - (got[i] as number)) <= 1e-5 * Math.max(1, Math.abs(v)));
  const [want, got] = [new Float32Array(m * n), new Float32Array(m * n)];
  jsGemmKernel.gemmNT(a, b, want, m, k, n, bias);
  addon.gemmNT(a, b, got, m, k, n, bias);
  if (!close(want, got)) return false;
  jsGemmKernel.gemmNN(a, b, want, m, k, n);
  addon.gemmNN(a, b, got, m, k, n);
  if (!close(want, got)) return false;
  // a read as (k × m): the same data, another product
  jsGemmKernel.gemmTN?.(a, b, want, m, k, n);
  addon.gemmTN(a, b, got, m, k, n);
  return close(want, got);
}

function load(): { addon: NativeGemmAddon; kernel: GemmKernel; ops: OpKernels } | null {
  if (process.env.SBERT_KERNEL === "js") return null;
  if (!existsSync(FAST_KERNEL_PATH)) {
    warnOnce("native/build/Release/sbert_gemm.node was not built");
    return null;
  }
  try {
    const addon = createRequire(import.meta.url)(FAST_KERNEL_PATH) as NativeGemmAddon;
    if (addon.info().isa === "generic" && (process.arch === "x64" || process.arch === "ia32") && !process.env.SBERT_GEMM_ISA) {
      // an x86 CPU without AVX2 + FMA: the portable micro-kernel's fmaf is a library call there
      warnOnce("this CPU has no AVX2 + FMA");
      return null;
    }
    const threads = Number(process.env.SBERT_GEMM_THREADS ?? "1");
    if (Number.isInteger(threads) && threads >= 1 && threads <= 64) addon.setThreads(threads);
    if (!selfCheck(addon)) {
      warnOnce("its self-check disagreed with the JavaScript kernel");
      return null;
    }
    if (process.env.SBERT_HEAP_TUNE !== "0") addon.keepFreedMemory(32 << 20, 1 << 30);
    const kernel: GemmKernel = {
      gemmNT: (a, b, out, m, k, n, bias) => addon.gemmNT(a, b, out, m, k, n, bias),
      gemmNN: (a, b, out, m, k, n) => addon.gemmNN(a, b, out, m, k, n),
      gemmTN: (a, b, out, m, k, n) => addon.gemmTN(a, b, out, m, k, n),
    };
    if (typeof addon.adamw !== "function" || typeof addon.attentionForward !== "function") {
      warnOnce("the addon is an older build without the row-wise kernels; rebuild it with `npm run build:native`");
      return null;
    }
    const ops: OpKernels = {
      geluForward: (x, out, tanhForm) => addon.geluForward(x, out, tanhForm),
      geluBackward: (x, g, dx, tanhForm) => addon.geluBackward(x, g, dx, tanhForm),
      layerNormForward: (x, gamma, beta, out, rows, c, eps) => addon.layerNormForward(x, gamma, beta, out, rows, c, eps),
      layerNormBackward: (x, gamma, dy, dx, dg, db, rows, c, eps) => addon.layerNormBackward(x, gamma, dy, dx, dg, db, rows, c, eps),
      embeddingScatterAdd: (dst, g, ids, c) => addon.embeddingScatterAdd(dst, g, ids, c),
      adamw: (w, g, m, v, b1, b2, stepSize, bc2Sqrt, decay, eps) => addon.adamw(w, g, m, v, b1, b2, stepSize, bc2Sqrt, decay, eps),
      sumSquares: (x) => addon.sumSquares(x),
      scale: (x, s) => addon.scale(x, s),
      softmaxCrossEntropy: (x, n, c, labels, excluded, probs) => addon.softmaxCrossEntropy(x, n, c, labels, excluded, probs),
      addInto: (dst, src) => addon.addInto(dst, src),
      add: (a, b, out) => addon.add(a, b, out),
      mul: (a, b, out) => addon.mul(a, b, out),
      transpose: (data, rows, cols, out) => addon.transpose(data, rows, cols, out),
      columnSums: (g, rows, cols, out) => addon.columnSums(g, rows, cols, out),
      dropoutMask: (rng, mask, p, keep) => addon.dropoutMask(rng.liveState, mask, p, keep),
      attentionForward: (q, k, v, keyMask, bias, dims, out, probs, drop) =>
        addon.attentionForward(q, k, v, keyMask, bias, dims, out, probs, drop?.mask ?? null, drop?.rng.liveState ?? null, drop?.p ?? 0),
      attentionBackward: (q, k, v, keyMask, dims, probs, g, mask, dq, dk, dv, dBias) => addon.attentionBackward(q, k, v, keyMask, dims, probs, g, mask, dq, dk, dv, dBias),
    };
    return { addon, kernel, ops };
  } catch (err) {
    warnOnce(err instanceof Error ? err.message : String(err));
    return null;
  }
}

/**
 * The native kernel, loaded on first call (undefined when it is not built, fails to load or fails
 * its self-check — logged once per process — or when SBERT_KERNEL=js).
 */
export function loadFastKernel(): GemmKernel | undefined {
  if (loaded === undefined) loaded = load();
  return loaded?.kernel;
}

/**
 * The native row-wise kernels (op-kernels.ts: GELU, LayerNorm, scatter-add, AdamW, norms), loaded
 * with the GEMM; undefined when the addon is not loaded.
 */
export function loadFastOpKernels(): OpKernels | undefined {
  loadFastKernel();
  return loaded?.ops;
}

/**
 * Installs the native kernel with `setGemmKernel` (and its row-wise kernels with `setOpKernels`)
 * when it loads and the current kernel is the default JavaScript one (a kernel installed by the
 * user is left in place). Returns whether the native GEMM is the active kernel afterwards;
 * calling it again is cheap.
 */
export function useFastKernel(): boolean {
  const kernel = loadFastKernel();
  if (!kernel) return false;
  if (loaded && opKernels() === jsOpKernels) setOpKernels(loaded.ops);
  const current = gemmKernel();
  if (current === kernel) return true;
  if (current !== jsGemmKernel) return false;
  setGemmKernel(kernel);
  return true;
}

/** What the loaded native kernel runs, or undefined when it is not loaded. */
export function fastKernelInfo(): FastKernelInfo | undefined {
  if (!loadFastKernel() || !loaded) return undefined;
  const { isa, threads } = loaded.addon.info();
  return { isa, threads, path: FAST_KERNEL_PATH };
}

/**
 * One core's fp32 FMA rate in GFLOP/s, measured by the addon with its micro-kernel's instructions
 * (AVX-512 or AVX2 FMA, 12 independent accumulators, about `seconds`): the peak benchmarks compare
 * against. Undefined without the native kernel or on its generic (non-x86) path.
 */
export function measuredFmaPeak(seconds = 0.3): number | undefined {
  if (!loadFastKernel() || !loaded) return undefined;
  const gflops = loaded.addon.fmaPeak(seconds);
  return gflops > 0 ? gflops : undefined;
}

/**
 * Splits each large product and row-wise kernel over `threads` threads of the native kernel's
 * persistent pool (1–64; default 1, or SBERT_GEMM_THREADS). Results are identical for any count.
 * Returns false when it is not loaded.
 */
export function setFastKernelThreads(threads: number): boolean {
  if (!loadFastKernel() || !loaded) return false;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new RangeError(`threads must be an integer in 1..64, got ${threads}`);
  loaded.addon.setThreads(threads);
  return true;
}
