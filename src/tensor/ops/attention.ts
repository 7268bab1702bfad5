import { SbertError } from "../../errors.js";
import type { AttentionDims } from "../attention-kernel.js";
import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { opKernels } from "../op-kernels.js";
import type { Rng } from "../random.js";
import { Tensor, checkShape, sameShape, shapeText } from "../tensor.js";
import { scratch32, zeros32 } from "../arena.js";

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
  // --- rope ops ---
  /** Grouped-query attention: k and v hold kvHeads · headDim columns; query head h reads kv head ⌊h · kvHeads / heads⌋. Default heads. */
  kvHeads?: number;
  /** Key j visible from query i only if j ≤ i. */
  causal?: boolean;
  /** Key j visible from query i only if |i − j| ≤ window. */
  window?: number;
}

/**
 * The kernels' sizes and rules for this call. A query that sees no key at all gets a zero output
 * (what torch's SDPA gives for a fully masked row, e.g. a left-padding position under a causal mask).
 */
function attentionDims(q: Tensor, s: AttentionShape): AttentionDims {
  const d = q.dim(-1) / s.heads;
  return {
    batch: s.batch,
    seqLen: s.seqLen,
    heads: s.heads,
    kvHeads: s.kvHeads ?? s.heads,
    headDim: d,
    scale: s.scale ?? 1 / Math.sqrt(d),
    causal: s.causal === true,
    window: s.window ?? Infinity,
    biasPerBatch: s.bias !== undefined && s.bias.shape.length === 4,
  };
}

/**
 * Scaled dot-product multi-head attention (the fused core of a self-attention layer).
 * q, k, v: (batch · seqLen, heads · headDim) or (batch, seqLen, heads · headDim), all one shape (k, v: kvHeads · headDim columns with `kvHeads`) → q's
 * shape (the same row-major buffer either way).
 * scores = q·kᵀ · scale + bias (scale 1 / sqrt(headDim) unless given); padded keys (and keys the
 * causal / window rules hide) are left out of the softmax, which equals Hugging Face's additive mask
 * of float32 min (exp underflows to exactly 0). With `kvHeads`, k and v are (…, kvHeads · headDim).
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
  checkShape(width % heads === 0, "attention", `hidden ${width} is not divisible by ${heads} heads`);
  const kvHeads = s.kvHeads ?? heads;
  checkShape(Number.isInteger(kvHeads) && kvHeads > 0 && heads % kvHeads === 0, "attention", `${heads} query heads cannot share ${kvHeads} key/value heads`);
  const kvShape = [...q.shape.slice(0, -1), (width / heads) * kvHeads];
  checkShape(sameShape(k.shape, kvShape) && sameShape(v.shape, kvShape), "attention", `k and v must have one shape, ${shapeText(kvShape)} for q ${shapeText(q.shape)} and ${kvHeads} key/value heads; got ${shapeText(k.shape)}, ${shapeText(v.shape)}`);
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
  const probs = grad ? zeros32(batch * heads * t * t) : undefined; // hidden keys stay 0
  const drop = s.dropout && pDrop > 0 ? { p: pDrop, rng: s.dropout.rng, mask: zeros32(batch * heads * t * t) } : undefined;
  const dims = attentionDims(q, s);
  const keyMask = Uint8Array.from(s.keyMask, (m) => (m ? 1 : 0));
  const out = scratch32(q.size); // every row written (zeros for a query that sees no key)
  opKernels().attentionForward(q.data, k.data, v.data, keyMask, s.bias?.data ?? null, dims, out, probs ?? null, drop ?? null);
  const y = new Tensor(out, q.shape);
  if (!grad || !probs) return y;
  const parents = s.bias ? [q, k, v, s.bias] : [q, k, v];
  return record(y, parents, (g) => {
    const [dq, dk, dv] = [scratch32(q.size), scratch32(k.size), scratch32(v.size)];
    const dBias = s.bias?.requiresGrad ? new Float64Array(s.bias.size) : null;
    opKernels().attentionBackward(q.data, k.data, v.data, keyMask, dims, probs, g, drop?.mask ?? null, dq, dk, dv, dBias);
    accumulateGrad(q, dq, true);
    accumulateGrad(k, dk, true);
    accumulateGrad(v, dv, true);
    if (s.bias && dBias) accumulateGrad(s.bias, dBias);
  });
}
