import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape, shapeText } from "../tensor.js";

/**
 * The cos and sin tables of default RoPE for positions 0..T−1, each (T, headDim / 2), computed as
 * transformers' `_compute_default_rope_parameters` and `RotaryEmbedding.forward` do in float32:
 * inv_freq_i = 1 / theta^(2i / d), angle = fround(p · inv_freq_i), then float32 cos / sin
 * (transformers/src/transformers/modeling_rope_utils.py, models/qwen3/modeling_qwen3.py).
 */
export function ropeTables(seqLen: number, headDim: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  const f = Math.fround;
  const half = headDim / 2;
  const inv = ropeInverseFrequencies(headDim, theta);
  const cos = new Float32Array(seqLen * half);
  const sin = new Float32Array(seqLen * half);
  for (let p = 0; p < seqLen; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f(p * (inv[i] as number));
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** inv_freq = 1.0 / (theta ** (arange(0, d, 2).float() / d)), each step rounded to float32 as torch does. */
export function ropeInverseFrequencies(headDim: number, theta: number): Float32Array {
  const f = Math.fround;
  return Float32Array.from({ length: headDim / 2 }, (_, i) => f(1 / f(f(theta) ** f(f(2 * i) / headDim))));
}

/**
 * Rotary position embedding with transformers' `rotate_half` convention (`apply_rotary_pos_emb`):
 * x (B, T, heads · headDim) → same shape, position p = t for every row (the padded batch's 0..T−1).
 * Within a head, with h = headDim / 2 and (c, s) = cos / sin of angle_i at the row's position:
 * y_i = x_i c_i − x_{i+h} s_i, y_{i+h} = x_{i+h} c_i + x_i s_i.
 * Backward (the transposed rotation): dx_i = g_i c_i + g_{i+h} s_i, dx_{i+h} = g_{i+h} c_i − g_i s_i.
 */
export function rotary(x: Tensor, opts: { heads: number; headDim: number; theta: number }): Tensor {
  const { heads, headDim: d } = opts;
  checkShape(x.shape.length === 3 && x.dim(2) === heads * d && d % 2 === 0, "rotary", `input ${shapeText(x.shape)} must be (B, T, ${heads} · ${d}) with an even head width`);
  const [batch, t] = [x.dim(0), x.dim(1)];
  const h = d / 2;
  const { cos, sin } = ropeTables(t, d, opts.theta);
  const f = Math.fround;
  const out = new Float32Array(x.size);
  const xd = x.data;
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < t; p++) {
      const row = (b * t + p) * heads * d;
      for (let n = 0; n < heads; n++) {
        const o = row + n * d;
        for (let i = 0; i < h; i++) {
          const c = cos[p * h + i] as number;
          const s = sin[p * h + i] as number;
          const [x1, x2] = [xd[o + i] as number, xd[o + i + h] as number];
          out[o + i] = f(x1 * c) - f(x2 * s);
          out[o + i + h] = f(x2 * c) + f(x1 * s);
        }
      }
    }
  }
  const y = new Tensor(out, x.shape);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => {
    const dx = new Float32Array(x.size);
    for (let b = 0; b < batch; b++) {
      for (let p = 0; p < t; p++) {
        const row = (b * t + p) * heads * d;
        for (let n = 0; n < heads; n++) {
          const o = row + n * d;
          for (let i = 0; i < h; i++) {
            const c = cos[p * h + i] as number;
            const s = sin[p * h + i] as number;
            const [g1, g2] = [g[o + i] as number, g[o + i + h] as number];
            dx[o + i] = g1 * c + g2 * s;
            dx[o + i + h] = g2 * c - g1 * s;
          }
        }
      }
    }
    accumulateGrad(x, dx, true);
  });
}
