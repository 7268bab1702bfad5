import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape, shapeText } from "../tensor.js";
import { zeros32 } from "../arena.js";

export const POOLING_MODES = ["cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

/**
 * Pools token embeddings into one vector per row, as sentence-transformers' Pooling for one mode:
 * tokens (B·T, H) or (B, T, H), mask (B·T; 0 = left out) → (B, H). Float64 accumulation, float32 result.
 * Backward: cls / lasttoken / max route each output gradient to the token it came from; the mean
 * modes spread it as w_i / Σw (the mask is a constant, as Python's clamp(sum_mask) is).
 */
export function poolTokens(tokens: Tensor, mask: ArrayLike<number>, mode: PoolingMode, batch: number, seqLen: number): Tensor {
  const sh = tokens.shape;
  const rowsOk = sh.length === 2 ? sh[0] === batch * seqLen : sh.length === 3 && sh[0] === batch && sh[1] === seqLen;
  checkShape(rowsOk && mask.length === batch * seqLen, "poolTokens", `tokens ${shapeText(sh)}, mask ${mask.length} for ${batch} × ${seqLen}: needs tokens (B·T, H) or (B, T, H)`);
  const h = tokens.dim(-1);
  const out = new Float32Array(batch * h);
  const m = Float64Array.from(mask);
  for (let r = 0; r < batch; r++) {
    poolRow(mode, tokens.data.subarray(r * seqLen * h, (r + 1) * seqLen * h), m.subarray(r * seqLen, (r + 1) * seqLen), h, out.subarray(r * h, (r + 1) * h));
  }
  const y = new Tensor(out, [batch, h]);
  if (!needsGrad(tokens)) return y;
  return record(y, [tokens], (g) => {
    const dx = zeros32(tokens.size);
    for (let r = 0; r < batch; r++) {
      const x = tokens.data.subarray(r * seqLen * h, (r + 1) * seqLen * h);
      poolRowBackward(mode, x, m.subarray(r * seqLen, (r + 1) * seqLen), h, g.subarray(r * h, (r + 1) * h), dx.subarray(r * seqLen * h, (r + 1) * seqLen * h));
    }
    accumulateGrad(tokens, dx, true);
  });
}

/** The token a cls / lasttoken row reads, or -1 (lasttoken with nothing attended gives zeros). */
function pickedToken(mode: "cls" | "lasttoken", mask: Float64Array): number {
  if (mode === "cls") {
    // the first attended token (index 0 with right padding), as Python's argmax over the mask
    const first = mask.findIndex((v) => v !== 0);
    return first < 0 ? 0 : first;
  }
  for (let i = mask.length - 1; i >= 0; i--) if (mask[i] !== 0) return i;
  return -1;
}

/** Token weights and their clamped sum for the mean modes. */
function meanWeight(mode: PoolingMode, mask: Float64Array, i: number): number {
  return (mask[i] as number) * (mode === "weightedmean" ? i + 1 : 1);
}

function meanDenominator(mode: PoolingMode, weightSum: number): number {
  return mode === "mean_sqrt_len_tokens" ? Math.sqrt(Math.max(weightSum, 1e-9)) : Math.max(weightSum, 1e-9);
}

/** Pools one row: x (T, H), mask (T) → dst (H). */
function poolRow(mode: PoolingMode, x: Float32Array, mask: Float64Array, h: number, dst: Float32Array): void {
  const t = mask.length;
  switch (mode) {
    case "cls":
    case "lasttoken": {
      const i = pickedToken(mode, mask);
      if (i < 0) dst.fill(0);
      else dst.set(x.subarray(i * h, (i + 1) * h));
      return;
    }
    case "max": {
      dst.fill(-Infinity);
      for (let i = 0; i < t; i++) {
        if (mask[i] === 0) continue;
        for (let j = 0; j < h; j++) if ((x[i * h + j] as number) > (dst[j] as number)) dst[j] = x[i * h + j] as number;
      }
      return;
    }
    case "mean":
    case "mean_sqrt_len_tokens":
    case "weightedmean": {
      const acc = new Float64Array(h);
      let weightSum = 0;
      for (let i = 0; i < t; i++) {
        const w = meanWeight(mode, mask, i);
        if (w === 0) continue;
        weightSum += w;
        for (let j = 0; j < h; j++) acc[j] = (acc[j] as number) + w * (x[i * h + j] as number);
      }
      const denom = meanDenominator(mode, weightSum);
      for (let j = 0; j < h; j++) dst[j] = Math.fround(acc[j] as number) / denom;
      return;
    }
  }
}

/** Adds d(pooled row)/d(x) · g into dx (T, H). */
function poolRowBackward(mode: PoolingMode, x: Float32Array, mask: Float64Array, h: number, g: Float32Array, dx: Float32Array): void {
  const t = mask.length;
  switch (mode) {
    case "cls":
    case "lasttoken": {
      const i = pickedToken(mode, mask);
      if (i >= 0) for (let j = 0; j < h; j++) dx[i * h + j] = (dx[i * h + j] as number) + (g[j] as number);
      return;
    }
    case "max": {
      // the first token holding the maximum, as the forward's strict '>' picks it
      for (let j = 0; j < h; j++) {
        let best = -1;
        for (let i = 0; i < t; i++) {
          if (mask[i] === 0) continue;
          if (best < 0 || (x[i * h + j] as number) > (x[best * h + j] as number)) best = i;
        }
        if (best >= 0) dx[best * h + j] = (dx[best * h + j] as number) + (g[j] as number);
      }
      return;
    }
    case "mean":
    case "mean_sqrt_len_tokens":
    case "weightedmean": {
      let weightSum = 0;
      for (let i = 0; i < t; i++) weightSum += meanWeight(mode, mask, i);
      const denom = meanDenominator(mode, weightSum);
      for (let i = 0; i < t; i++) {
        const w = meanWeight(mode, mask, i) / denom;
        if (w === 0) continue;
        for (let j = 0; j < h; j++) dx[i * h + j] = (dx[i * h + j] as number) + w * (g[j] as number);
      }
      return;
    }
  }
}
