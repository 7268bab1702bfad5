/**
 * The attention core (OpKernels.attentionForward / attentionBackward): the TypeScript reference
 * (src/tensor/attention-kernel.ts) against the native port (native/src/attention.c), both measured
 * in this run, on one thread unless --threads is given. Shapes: MiniLM-L6's attention (12 heads × 32
 * columns, hidden 384) at batch 32 × 32 and 16 × 128 tokens, the probabilities kept for the
 * backward pass as in training; batch row b has (b mod 4) · 5% of its tokens padded.
 *
 *   npx tsx bench/attention.ts [--threads N]
 */
import { type AttentionDims, jsAttentionBackward, jsAttentionForward } from "../src/tensor/attention-kernel.js";
import { loadFastOpKernels, setFastKernelThreads } from "../src/tensor/kernels-fast.js";
import type { OpKernels } from "../src/tensor/op-kernels.js";
import { rng } from "./lib/random.js";

const i = process.argv.indexOf("--threads");
const THREADS = i >= 0 ? Number(process.argv[i + 1]) : 1;
const native = loadFastOpKernels();
if (!native) throw new Error("the native addon is not built: npm run build:native");
setFastKernelThreads(THREADS);

type Kernels = Pick<OpKernels, "attentionForward" | "attentionBackward">;
const reference: Kernels = { attentionForward: jsAttentionForward, attentionBackward: jsAttentionBackward };

/** Best milliseconds per call over at least 3 calls and 0.5 s, after one warm-up. */
function best(call: () => void): number {
  call();
  let ms = Infinity;
  const start = performance.now();
  for (let rep = 0; rep < 3 || performance.now() - start < 500; rep++) {
    const t0 = performance.now();
    call();
    ms = Math.min(ms, performance.now() - t0);
  }
  return ms;
}

function measure(kernels: Kernels, dims: AttentionDims): { fwd: number; bwd: number } {
  const { batch, seqLen: t, heads, kvHeads, headDim: d } = dims;
  const r = rng(1);
  const f32 = (n: number): Float32Array => Float32Array.from({ length: n }, () => r() * 2 - 1);
  const [q, k, v, g] = [f32(batch * t * heads * d), f32(batch * t * kvHeads * d), f32(batch * t * kvHeads * d), f32(batch * t * heads * d)];
  const keyMask = Uint8Array.from({ length: batch * t }, (_, j) => (j % t < t - Math.floor((Math.floor(j / t) % 4) * 0.05 * t) ? 1 : 0));
  const out = new Float32Array(q.length);
  const probs = new Float32Array(batch * heads * t * t);
  const [dq, dk, dv] = [new Float32Array(q.length), new Float32Array(k.length), new Float32Array(v.length)];
  const fwd = best(() => kernels.attentionForward(q, k, v, keyMask, null, dims, out, probs, null));
  const bwd = best(() => kernels.attentionBackward(q, k, v, keyMask, dims, probs, g, null, dq, dk, dv, null));
  return { fwd, bwd };
}

const base = { heads: 12, kvHeads: 12, headDim: 32, scale: 1 / Math.sqrt(32), causal: false, window: Infinity, biasPerBatch: false };
console.log(`attention core, ms per call, ${THREADS} thread(s): TypeScript reference vs native`);
for (const [batch, seqLen] of [[32, 32], [16, 128]] as const) {
  const dims: AttentionDims = { ...base, batch, seqLen };
  const ts = measure(reference, dims);
  const c = measure(native, dims);
  const line = (name: string, a: number, b: number): string => `${name} ${a.toFixed(2)} ms → ${b.toFixed(2)} ms (${(a / b).toFixed(1)}×)`;
  console.log(`  batch ${batch} × ${seqLen} tokens, 12 heads × 32: ${line("forward", ts.fwd, c.fwd)}; ${line("backward", ts.bwd, c.bwd)}`);
}
