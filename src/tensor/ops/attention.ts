import { Tensor, checkShape } from "../tensor.js";

export interface AttentionShape {
  batch: number;
  seqLen: number;
  heads: number;
  /** 1 for tokens that may be attended to, 0 for padding; (batch · seqLen). */
  keyMask: ArrayLike<number>;
  /** Additive score bias shared across the batch, (heads, seqLen, seqLen) — MPNet's relative positions. */
  bias?: Tensor;
}

/**
 * Scaled dot-product multi-head attention (the fused core of a self-attention layer).
 * q, k, v: (batch · seqLen, heads · headDim) → (batch · seqLen, heads · headDim).
 * scores = q·kᵀ / sqrt(headDim) + bias; padded keys are left out of the softmax, which equals
 * Hugging Face's additive mask of float32 min (exp underflows to exactly 0).
 */
export function multiHeadAttention(q: Tensor, k: Tensor, v: Tensor, s: AttentionShape): Tensor {
  const { batch, seqLen: t, heads } = s;
  const width = q.dim(-1);
  checkShape(q.size === batch * t * width && k.size === q.size && v.size === q.size, "attention", "q, k, v must all be (batch · seqLen, hidden)");
  checkShape(width % heads === 0, "attention", `hidden ${width} is not divisible by ${heads} heads`);
  checkShape(s.keyMask.length === batch * t, "attention", `mask has ${s.keyMask.length} entries for ${batch} × ${t}`);
  checkShape(!s.bias || s.bias.size === heads * t * t, "attention", `bias must be (heads, seqLen, seqLen)`);
  const d = width / heads;
  const scale = 1 / Math.sqrt(d);
  const out = new Float32Array(q.size);
  const scores = new Float64Array(t);
  const acc = new Float64Array(d);
  const [qd, kd, vd] = [q.data, k.data, v.data];
  const bias = s.bias?.data;
  for (let b = 0; b < batch; b++) {
    const base = b * t;
    for (let h = 0; h < heads; h++) {
      const ho = h * d;
      for (let i = 0; i < t; i++) {
        const qo = (base + i) * width + ho;
        let max = -Infinity;
        for (let j = 0; j < t; j++) {
          if (!s.keyMask[base + j]) continue;
          const ko = (base + j) * width + ho;
          let dot = 0;
          for (let e = 0; e < d; e++) dot += (qd[qo + e] as number) * (kd[ko + e] as number);
          let sc = Math.fround(dot * scale);
          if (bias) sc += bias[(h * t + i) * t + j] as number;
          scores[j] = sc;
          if (sc > max) max = sc;
        }
        let sum = 0;
        for (let j = 0; j < t; j++) {
          if (!s.keyMask[base + j]) continue;
          const e = Math.exp((scores[j] as number) - max);
          scores[j] = e;
          sum += e;
        }
        acc.fill(0);
        for (let j = 0; j < t; j++) {
          if (!s.keyMask[base + j]) continue;
          const p = (scores[j] as number) / sum;
          const vo = (base + j) * width + ho;
          for (let e = 0; e < d; e++) acc[e] = (acc[e] as number) + p * (vd[vo + e] as number);
        }
        out.set(acc, qo);
      }
    }
  }
  return new Tensor(out, q.shape);
}
