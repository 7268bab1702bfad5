import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape, shapeText } from "../tensor.js";

export interface DisentangledShape {
  batch: number;
  seqLen: number;
  heads: number;
  /** Row of the position tables for query i and key j, (seqLen · seqLen) row-major, each in [0, rows). */
  rows: Int32Array;
  /** Multiplies both terms (DeBERTa: 1 / sqrt(headDim · scale_factor)). */
  scale: number;
}

/**
 * DeBERTa's disentangled attention terms (`DisentangledSelfAttention.disentangled_attention_bias`
 * in huggingface/transformers' src/transformers/models/deberta_v2/modeling_deberta_v2.py), for every batch row b, head h,
 * query i and key j, with r = rows[i, j]:
 *   out[b, h, i, j] = scale · (q[b, i, h] · posK[r, h]  (content → position, "c2p")
 *                            + k[b, j, h] · posQ[r, h]) (position → content, "p2c")
 * q, k: (B, T, heads · d) (or (B·T, heads · d)); posQ, posK: (rows, heads · d), the projected
 * relative embeddings; either may be absent (that term is left out). → (B, heads, T, T), the
 * batch-dependent additive score bias `attention` takes.
 *
 * Backward with G = scale · dOut[b, h, i, j]:
 * dq[b, i, h] += G · posK[r, h]; dposK[r, h] += G · q[b, i, h];
 * dk[b, j, h] += G · posQ[r, h]; dposQ[r, h] += G · k[b, j, h].
 */
export function disentangledScores(q: Tensor, k: Tensor, posQ: Tensor | undefined, posK: Tensor | undefined, s: DisentangledShape): Tensor {
  const { batch, seqLen: t, heads, rows } = s;
  const width = q.dim(-1);
  checkShape(q.size === batch * t * width && k.size === q.size && k.dim(-1) === width, "disentangledScores", `q ${shapeText(q.shape)} and k ${shapeText(k.shape)} must both hold ${batch} × ${t} tokens of one width`);
  checkShape(width % heads === 0, "disentangledScores", `width ${width} is not divisible by ${heads} heads`);
  checkShape(rows.length === t * t, "disentangledScores", `rows has ${rows.length} entries for ${t} × ${t}`);
  let nRows = Infinity;
  for (const p of [posQ, posK]) {
    if (!p) continue;
    checkShape(p.shape.length === 2 && p.dim(1) === width, "disentangledScores", `position table ${shapeText(p.shape)} must be (rows, ${width})`);
    nRows = Math.min(nRows, p.dim(0));
  }
  const bad = rows.find((r) => !(r >= 0 && r < nRows));
  checkShape(bad === undefined, "disentangledScores", `position row ${bad} is outside the ${nRows}-row table`);
  const d = width / heads;
  const [qd, kd] = [q.data, k.data];
  const [pq, pk] = [posQ?.data, posK?.data];
  const out = new Float32Array(batch * heads * t * t);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const ho = h * d;
      for (let i = 0; i < t; i++) {
        const oo = ((b * heads + h) * t + i) * t;
        const qo = (b * t + i) * width + ho;
        for (let j = 0; j < t; j++) {
          const ro = (rows[i * t + j] as number) * width + ho;
          const ko = (b * t + j) * width + ho;
          let c2p = 0;
          let p2c = 0;
          if (pk) for (let e = 0; e < d; e++) c2p += (qd[qo + e] as number) * (pk[ro + e] as number);
          if (pq) for (let e = 0; e < d; e++) p2c += (kd[ko + e] as number) * (pq[ro + e] as number);
          out[oo + j] = Math.fround(c2p) * s.scale + Math.fround(p2c) * s.scale;
        }
      }
    }
  }
  const y = new Tensor(out, [batch, heads, t, t]);
  const parents = [q, k, ...(posQ ? [posQ] : []), ...(posK ? [posK] : [])];
  if (!needsGrad(...parents)) return y;
  return record(y, parents, (g) => {
    const dq = new Float64Array(q.size);
    const dk = new Float64Array(k.size);
    const dpq = posQ ? new Float64Array(posQ.size) : undefined;
    const dpk = posK ? new Float64Array(posK.size) : undefined;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const ho = h * d;
        for (let i = 0; i < t; i++) {
          const oo = ((b * heads + h) * t + i) * t;
          const qo = (b * t + i) * width + ho;
          for (let j = 0; j < t; j++) {
            const gs = (g[oo + j] as number) * s.scale;
            if (gs === 0) continue;
            const ro = (rows[i * t + j] as number) * width + ho;
            const ko = (b * t + j) * width + ho;
            if (pk && dpk) {
              for (let e = 0; e < d; e++) {
                dq[qo + e] = (dq[qo + e] as number) + gs * (pk[ro + e] as number);
                dpk[ro + e] = (dpk[ro + e] as number) + gs * (qd[qo + e] as number);
              }
            }
            if (pq && dpq) {
              for (let e = 0; e < d; e++) {
                dk[ko + e] = (dk[ko + e] as number) + gs * (pq[ro + e] as number);
                dpq[ro + e] = (dpq[ro + e] as number) + gs * (kd[ko + e] as number);
              }
            }
          }
        }
      }
    }
    accumulateGrad(q, dq);
    accumulateGrad(k, dk);
    if (posQ && dpq) accumulateGrad(posQ, dpq);
    if (posK && dpk) accumulateGrad(posK, dpk);
  });
}
