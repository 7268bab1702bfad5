/**
 * The scaled dot-product attention core, forward and backward, as the reference kernels of
 * `OpKernels.attentionForward` / `attentionBackward` (op-kernels.ts); ops/attention.ts holds the
 * op, its shape checks and the derivatives. float64 arithmetic, rounded to float32 where it
 * stores; the native port (native/src/attention.c) keeps every sum in this order.
 *
 * Layout: q (batch · seqLen, heads · headDim), k and v (batch · seqLen, kvHeads · headDim); query
 * head h reads kv head ⌊h / (heads / kvHeads)⌋. probs and the dropout mask: (batch, heads, seqLen,
 * seqLen); bias: (heads, seqLen, seqLen), or (batch, heads, seqLen, seqLen) with `biasPerBatch`.
 *
 * @example
 * jsAttentionForward(q, k, v, keyMask, null, { batch: 2, seqLen: 8, heads: 4, kvHeads: 4, headDim: 16,
 *   scale: 0.25, causal: false, window: Infinity, biasPerBatch: false }, out, null, null);
 */
import type { Rng } from "./random.js";

/** Sizes and visibility rules of one attention call (already validated by the op). */
export interface AttentionDims {
  batch: number;
  seqLen: number;
  heads: number;
  /** Key / value heads (heads for plain multi-head attention); divides heads. */
  kvHeads: number;
  headDim: number;
  /** Score multiplier. */
  scale: number;
  /** Key j visible from query i only if j ≤ i. */
  causal: boolean;
  /** Key j visible from query i only if |i − j| ≤ window (Infinity: no window). */
  window: number;
  /** The bias holds one (heads, seqLen, seqLen) block per batch row. */
  biasPerBatch: boolean;
}

/**
 * Dropout on the probabilities: one `rng.nextFloat()` per visible (b, h, i, j) in that order;
 * mask entry 0 (dropped) or 1 / (1 − p) (kept), visible entries only (the rest are left as they are).
 */
export interface AttentionDropout {
  p: number;
  rng: Rng;
  mask: Float32Array;
}

/** Whether query i of batch row `base / seqLen` may attend key j (keyMask: 1 = a real token). */
function visible(keyMask: Uint8Array, d: AttentionDims, base: number, i: number, j: number): boolean {
  if (!keyMask[base + j]) return false;
  if (d.causal && j > i) return false;
  return Math.abs(i - j) <= d.window;
}

/**
 * out = softmax(q·kᵀ · scale + bias over the visible keys) · v per (batch row, head, query); a
 * query with no visible key gets zeros. `probs` (when given) receives the probabilities before
 * dropout, and `drop.mask` the dropout mask.
 */
export function jsAttentionForward(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  keyMask: Uint8Array,
  bias: Float32Array | null,
  dims: AttentionDims,
  out: Float32Array,
  probs: Float32Array | null,
  drop: AttentionDropout | null,
): void {
  const { batch, seqLen: t, heads, headDim: d, scale } = dims;
  const width = heads * d;
  const kvWidth = dims.kvHeads * d;
  const group = heads / dims.kvHeads;
  const scores = new Float64Array(t);
  const acc = new Float64Array(d);
  for (let b = 0; b < batch; b++) {
    const base = b * t;
    for (let h = 0; h < heads; h++) {
      const ho = h * d;
      const kvo = Math.floor(h / group) * d;
      const bo = ((dims.biasPerBatch ? b * heads : 0) + h) * t * t;
      for (let i = 0; i < t; i++) {
        const qo = (base + i) * width + ho;
        let max = -Infinity;
        for (let j = 0; j < t; j++) {
          if (!visible(keyMask, dims, base, i, j)) continue;
          const ko = (base + j) * kvWidth + kvo;
          let dot = 0;
          for (let e = 0; e < d; e++) dot += (q[qo + e] as number) * (k[ko + e] as number);
          let sc = Math.fround(dot * scale);
          if (bias) sc += bias[bo + i * t + j] as number;
          scores[j] = sc;
          if (sc > max) max = sc;
        }
        let sum = 0;
        for (let j = 0; j < t; j++) {
          if (!visible(keyMask, dims, base, i, j)) continue;
          const e = Math.exp((scores[j] as number) - max);
          scores[j] = e;
          sum += e;
        }
        acc.fill(0);
        const po = ((b * heads + h) * t + i) * t;
        for (let j = 0; j < t; j++) {
          if (!visible(keyMask, dims, base, i, j)) continue;
          let p = (scores[j] as number) / sum;
          if (probs) probs[po + j] = p;
          if (drop) {
            const m = drop.rng.nextFloat() < drop.p ? 0 : 1 / (1 - drop.p);
            drop.mask[po + j] = m;
            p *= m;
          }
          const vo = (base + j) * kvWidth + kvo;
          for (let e = 0; e < d; e++) acc[e] = (acc[e] as number) + p * (v[vo + e] as number);
        }
        out.set(acc, qo);
      }
    }
  }
}

/**
 * The gradients of `jsAttentionForward` from its output gradient g and kept `probs` (and dropout
 * `mask`): dq, dk, dv (float32: the float64 sums rounded once) and (when given) dBias (float64) are overwritten. A shared bias's gradient
 * is summed over the batch rows in order.
 */
export function jsAttentionBackward(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  keyMask: Uint8Array,
  dims: AttentionDims,
  probs: Float32Array,
  g: Float32Array,
  mask: Float32Array | null,
  dq32: Float32Array,
  dk32: Float32Array,
  dv32: Float32Array,
  dBias: Float64Array | null,
): void {
  const { batch, seqLen: t, heads, headDim: d, scale } = dims;
  const width = heads * d;
  const kvWidth = dims.kvHeads * d;
  const group = heads / dims.kvHeads;
  // float64 sums, each rounded once into the float32 outputs at the end
  const [dq, dk, dv] = [new Float64Array(dq32.length), new Float64Array(dk32.length), new Float64Array(dv32.length)];
  dBias?.fill(0);
  const dS = new Float64Array(t);
  for (let b = 0; b < batch; b++) {
    const base = b * t;
    for (let h = 0; h < heads; h++) {
      const ho = h * d;
      const kvo = Math.floor(h / group) * d;
      const bo = ((dims.biasPerBatch ? b * heads : 0) + h) * t * t;
      for (let i = 0; i < t; i++) {
        const qo = (base + i) * width + ho;
        const po = ((b * heads + h) * t + i) * t;
        let sumPdP = 0;
        for (let j = 0; j < t; j++) {
          if (!visible(keyMask, dims, base, i, j)) continue;
          const p = probs[po + j] as number;
          const m = mask ? (mask[po + j] as number) : 1;
          const pm = p * m;
          const vo = (base + j) * kvWidth + kvo;
          let dP = 0;
          for (let e = 0; e < d; e++) {
            const go = g[qo + e] as number;
            dP += go * (v[vo + e] as number);
            dv[vo + e] = (dv[vo + e] as number) + pm * go;
          }
          dP *= m;
          dS[j] = dP;
          sumPdP += p * dP;
        }
        for (let j = 0; j < t; j++) {
          if (!visible(keyMask, dims, base, i, j)) continue;
          const ds = (probs[po + j] as number) * ((dS[j] as number) - sumPdP);
          if (dBias) dBias[bo + i * t + j] = (dBias[bo + i * t + j] as number) + ds;
          const ko = (base + j) * kvWidth + kvo;
          const c = ds * scale;
          for (let e = 0; e < d; e++) {
            dq[qo + e] = (dq[qo + e] as number) + c * (k[ko + e] as number);
            dk[ko + e] = (dk[ko + e] as number) + c * (q[qo + e] as number);
          }
        }
      }
    }
  }
  dq32.set(dq);
  dk32.set(dk);
  dv32.set(dv);
}
