import { SbertError } from "../../errors.js";
import { accumulateGrad, needsGrad, record } from "../autograd.js";
import type { Rng } from "../random.js";
import { Tensor, checkShape, sameShape, shapeText } from "../tensor.js";

export interface AttentionShape {
  batch: number;
  seqLen: number;
  heads: number;
  /** 1 for tokens that may be attended to, 0 for padding; (batch · seqLen). */
  keyMask: ArrayLike<number>;
  /**
   * Additive score bias: shared across the batch, (heads, seqLen, seqLen) — MPNet's and T5's
   * relative positions — or one per batch row, (batch, heads, seqLen, seqLen) — DeBERTa's
   * disentangled terms.
   */
  bias?: Tensor;
  /** Score multiplier; default 1 / sqrt(headDim) (T5 uses 1, DeBERTa 1 / sqrt(3 · headDim)). */
  scale?: number;
  /**
   * Training only: dropout on the attention probabilities (`attention_probs_dropout_prob`), each
   * kept with probability 1 − p and scaled by 1 / (1 − p), drawn from `rng`. Absent or p = 0: the
   * inference path, unchanged.
   */
  dropout?: { p: number; rng: Rng };
  // --- clipmodel ops ---
  /** Causal self-attention: query i sees key j only if j ≤ i (and the key is not padding). */
  causal?: boolean;
}

/**
 * Scaled dot-product multi-head attention (the fused core of a self-attention layer).
 * q, k, v: (batch · seqLen, heads · headDim) or (batch, seqLen, heads · headDim), all one shape → that
 * shape (the same row-major buffer either way).
 * scores = q·kᵀ · scale + bias (scale 1 / sqrt(headDim) unless given); padded keys (and, when
 * `causal`, keys after the query) are left out of the softmax, which equals Hugging Face's
 * additive mask of float32 min (exp underflows to exactly 0).
 *
 * Backward (per batch row b, head h, query i, with P the softmax probabilities kept from the
 * forward pass): dV_j += P_ij dO_i; dP_ij = dO_i · v_j; dS_ij = P_ij (dP_ij − Σ_j P_ij dP_ij);
 * dQ_i = scale Σ_j dS_ij k_j; dK_j += scale dS_ij q_i; dBias[(b,) h, i, j] += dS_ij.
 * With dropout mask M (0 or 1 / (1 − p)): O = (P ⊙ M) V, so dV uses P ⊙ M and dP_ij = M_ij (dO_i · v_j).
 */
export function multiHeadAttention(q: Tensor, k: Tensor, v: Tensor, s: AttentionShape): Tensor {
  const { batch, seqLen: t, heads } = s;
  checkShape(q.shape.length === 2 || q.shape.length === 3, "attention", `q ${shapeText(q.shape)} must be (batch · seqLen, hidden) or (batch, seqLen, hidden)`);
  const width = q.dim(-1);
  const rowsOk = q.shape.length === 2 ? q.dim(0) === batch * t : q.dim(0) === batch && q.dim(1) === t;
  checkShape(rowsOk, "attention", `q ${shapeText(q.shape)} does not hold ${batch} × ${t} tokens`);
  checkShape(sameShape(k.shape, q.shape) && sameShape(v.shape, q.shape), "attention", `q, k, v must have one shape, got ${shapeText(q.shape)}, ${shapeText(k.shape)}, ${shapeText(v.shape)}`);
  checkShape(width % heads === 0, "attention", `hidden ${width} is not divisible by ${heads} heads`);
  checkShape(s.keyMask.length === batch * t, "attention", `mask has ${s.keyMask.length} entries for ${batch} × ${t}`);
  checkShape(
    !s.bias || sameShape(s.bias.shape, [heads, t, t]) || sameShape(s.bias.shape, [batch, heads, t, t]),
    "attention",
    `bias must be (heads, seqLen, seqLen) = [${heads}, ${t}, ${t}] or (batch, heads, seqLen, seqLen), got ${shapeText(s.bias?.shape ?? [])}`,
  );
  const pDrop = s.dropout?.p ?? 0;
  if (!(pDrop >= 0 && pDrop < 1)) throw new SbertError("INVALID_INPUT", `attention dropout must be in [0, 1), got ${pDrop}`);
  const grad = needsGrad(q, k, v, s.bias);
  // (batch, heads, T, T) softmax probabilities, kept only when a backward pass will need them
  const probs = grad ? new Float32Array(batch * heads * t * t) : undefined;
  const drop = s.dropout && pDrop > 0 ? { p: pDrop, rng: s.dropout.rng, mask: new Float32Array(batch * heads * t * t) } : undefined;
  const out = attentionForward(q, k, v, s, probs, drop);
  const y = new Tensor(out, q.shape);
  if (!grad || !probs) return y;
  const parents = s.bias ? [q, k, v, s.bias] : [q, k, v];
  return record(y, parents, (g) => attentionBackward(q, k, v, s, probs, g, drop?.mask));
}

/** Whether the bias has one (heads, T, T) block per batch row. */
function biasPerBatch(s: AttentionShape): boolean {
  return s.bias !== undefined && s.bias.shape.length === 4;
}

type DropMask = { p: number; rng: Rng; mask: Float32Array };

function attentionForward(q: Tensor, k: Tensor, v: Tensor, s: AttentionShape, probs: Float32Array | undefined, drop: DropMask | undefined): Float32Array {
  const { batch, seqLen: t, heads } = s;
  const width = q.dim(-1);
  const d = width / heads;
  const scale = s.scale ?? 1 / Math.sqrt(d);
  const out = new Float32Array(q.size);
  const scores = new Float64Array(t);
  const acc = new Float64Array(d);
  const [qd, kd, vd] = [q.data, k.data, v.data];
  const bias = s.bias?.data;
  const biasRows = biasPerBatch(s);
  for (let b = 0; b < batch; b++) {
    const base = b * t;
    for (let h = 0; h < heads; h++) {
      const ho = h * d;
      const bo = ((biasRows ? b * heads : 0) + h) * t * t;
      for (let i = 0; i < t; i++) {
        const qo = (base + i) * width + ho;
        const keys = s.causal ? i + 1 : t;
        let max = -Infinity;
        for (let j = 0; j < keys; j++) {
          if (!s.keyMask[base + j]) continue;
          const ko = (base + j) * width + ho;
          let dot = 0;
          for (let e = 0; e < d; e++) dot += (qd[qo + e] as number) * (kd[ko + e] as number);
          let sc = Math.fround(dot * scale);
          if (bias) sc += bias[bo + i * t + j] as number;
          scores[j] = sc;
          if (sc > max) max = sc;
        }
        let sum = 0;
        for (let j = 0; j < keys; j++) {
          if (!s.keyMask[base + j]) continue;
          const e = Math.exp((scores[j] as number) - max);
          scores[j] = e;
          sum += e;
        }
        acc.fill(0);
        const po = ((b * heads + h) * t + i) * t;
        for (let j = 0; j < keys; j++) {
          if (!s.keyMask[base + j]) continue;
          let p = (scores[j] as number) / sum;
          if (probs) probs[po + j] = p;
          if (drop) {
            const m = drop.rng.nextFloat() < drop.p ? 0 : 1 / (1 - drop.p);
            drop.mask[po + j] = m;
            p *= m;
          }
          const vo = (base + j) * width + ho;
          for (let e = 0; e < d; e++) acc[e] = (acc[e] as number) + p * (vd[vo + e] as number);
        }
        out.set(acc, qo);
      }
    }
  }
  return out;
}

function attentionBackward(q: Tensor, k: Tensor, v: Tensor, s: AttentionShape, probs: Float32Array, g: Float32Array, mask: Float32Array | undefined): void {
  const { batch, seqLen: t, heads } = s;
  const width = q.dim(-1);
  const d = width / heads;
  const scale = s.scale ?? 1 / Math.sqrt(d);
  const [qd, kd, vd] = [q.data, k.data, v.data];
  const dq = new Float64Array(q.size);
  const dk = new Float64Array(k.size);
  const dv = new Float64Array(v.size);
  const biasRows = biasPerBatch(s);
  const dBias = s.bias?.requiresGrad ? new Float64Array(s.bias.size) : undefined;
  const dS = new Float64Array(t);
  for (let b = 0; b < batch; b++) {
    const base = b * t;
    for (let h = 0; h < heads; h++) {
      const ho = h * d;
      const bo = ((biasRows ? b * heads : 0) + h) * t * t;
      for (let i = 0; i < t; i++) {
        const qo = (base + i) * width + ho;
        const po = ((b * heads + h) * t + i) * t;
        const keys = s.causal ? i + 1 : t;
        let sumPdP = 0;
        for (let j = 0; j < keys; j++) {
          if (!s.keyMask[base + j]) continue;
          const p = probs[po + j] as number;
          const m = mask ? (mask[po + j] as number) : 1;
          const pm = p * m;
          const vo = (base + j) * width + ho;
          let dP = 0;
          for (let e = 0; e < d; e++) {
            const go = g[qo + e] as number;
            dP += go * (vd[vo + e] as number);
            dv[vo + e] = (dv[vo + e] as number) + pm * go;
          }
          dP *= m;
          dS[j] = dP;
          sumPdP += p * dP;
        }
        for (let j = 0; j < keys; j++) {
          if (!s.keyMask[base + j]) continue;
          const ds = (probs[po + j] as number) * ((dS[j] as number) - sumPdP);
          if (dBias) dBias[bo + i * t + j] = (dBias[bo + i * t + j] as number) + ds;
          const ko = (base + j) * width + ho;
          const c = ds * scale;
          for (let e = 0; e < d; e++) {
            dq[qo + e] = (dq[qo + e] as number) + c * (kd[ko + e] as number);
            dk[ko + e] = (dk[ko + e] as number) + c * (qd[qo + e] as number);
          }
        }
      }
    }
  }
  accumulateGrad(q, dq);
  accumulateGrad(k, dk);
  accumulateGrad(v, dv);
  if (s.bias && dBias) accumulateGrad(s.bias, dBias);
}
