/**
 * The row-wise and elementwise kernels under the ops and the optimizer (GELU, LayerNorm, the
 * embedding gradient's scatter-add, AdamW, the gradient norm and clipping, dropout masks drawn
 * from the seeded `Rng`), forward and backward,
 * behind one swappable interface as `kernels.ts` does for the GEMM. The TypeScript kernels here
 * are the reference: float64 arithmetic, rounded to float32 where they store. The native addon's
 * versions (native/src/ops.c, installed by `useFastKernel()` in kernels-fast.ts) port them line
 * for line, so they give the same numbers (the tests in op-kernels.test.ts state the tolerance:
 * only exp / tanh may differ by an ulp in float64) at any thread count.
 */
import { type AttentionDims, type AttentionDropout, jsAttentionBackward, jsAttentionForward } from "./attention-kernel.js";
import { geluErf, geluErfGrad, geluTanh, geluTanhGrad, softmaxRow } from "./math.js";
import type { Rng } from "./random.js";

export interface OpKernels {
  /** out[i] = GELU(x[i]), erf form or (`tanhForm`) the tanh approximation. */
  geluForward(x: Float32Array, out: Float32Array, tanhForm: boolean): void;
  /** dx[i] = g[i] · GELU'(x[i]). */
  geluBackward(x: Float32Array, g: Float32Array, dx: Float32Array, tanhForm: boolean): void;
  /** Rows of `c`: out = (x − mean)·inv·gamma + beta with inv = 1/√(var + eps) (biased variance). */
  layerNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, out: Float32Array, rows: number, c: number, eps: number): void;
  /**
   * Row sums (mean, variance, the two means below) in the order of `laneTotal`; `dgamma` and
   * `dbeta` summed over each chunk of 16 rows in order, then over the chunks in order.
   * With x̂ = (x − mean)·inv and dx̂ = dy·gamma: dx = inv·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) (skipped
   * when `dx` is null); `dgamma` = Σ_rows dy·x̂ and `dbeta` = Σ_rows dy are overwritten (row order).
   */
  layerNormBackward(x: Float32Array, gamma: Float32Array, dy: Float32Array, dx: Float32Array | null, dgamma: Float64Array, dbeta: Float64Array, rows: number, c: number, eps: number): void;
  /** dst[ids[i]·c + j] += g[i·c + j], in the order of `ids` (ids must index rows of `dst`). */
  embeddingScatterAdd(dst: Float32Array, g: Float32Array, ids: Int32Array, c: number): void;
  /** One AdamW update of one parameter (see optim/adamw.ts for the formula and its source). */
  adamw(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, beta1: number, beta2: number, stepSize: number, bc2Sqrt: number, decay: number, eps: number): void;
  /** Σ x² in float64: element i into the i mod 8-th of eight partial sums, then ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)). */
  sumSquares(x: Float32Array): number;
  /** x[i] ← fround(x[i] · s). */
  scale(x: Float32Array, s: number): void;
  /**
   * Cross-entropy's forward over logits x (n × c): each row's softmax into `probs` (float64;
   * excluded entries, `excluded[i] ≠ 0`, take no part and stay as they are) and the returned
   * Σ_rows (log-sum-exp − x[label]) in row order. Labels must already be checked.
   */
  softmaxCrossEntropy(x: Float32Array, n: number, c: number, labels: Int32Array, excluded: Uint8Array | null, probs: Float64Array): number;
  /** dst[i] ← fround(dst[i] + src[i]) (gradient accumulation). */
  addInto(dst: Float32Array, src: Float32Array): void;
  /** out[i] ← fround(a[i] + b[i]), all one length (out may be a or b). */
  add(a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out[i] ← fround(a[i] · b[i]), all one length (out may be a or b). */
  mul(a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out (cols × rows) = the transpose of data (rows × cols), row-major. */
  transpose(data: Float32Array, rows: number, cols: number, out: Float32Array): void;
  /** out[j] = Σ_r g[r·cols + j] in float64, rows in order (a bias gradient); overwrites `out`. */
  columnSums(g: Float32Array, rows: number, cols: number, out: Float64Array): void;
  /** mask[i] = (rng.nextFloat() < p ? 0 : keep), drawing in order (so `rng` advances mask.length draws). */
  dropoutMask(rng: Rng, mask: Float32Array, p: number, keep: number): void;
  /**
   * The attention core's forward (attention-kernel.ts): out = softmax(q·kᵀ · scale + bias) · v
   * over the keys `keyMask` (1 = real token, batch · seqLen) and the causal / window rules allow;
   * `probs` (may be null) gets the probabilities, `drop` (may be null) draws the dropout mask.
   */
  attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, keyMask: Uint8Array, bias: Float32Array | null, dims: AttentionDims, out: Float32Array, probs: Float32Array | null, drop: AttentionDropout | null): void;
  /** Its backward: dq, dk, dv (float32, each float64 sum rounded once) and dBias (float64, may be null) overwritten. */
  attentionBackward(q: Float32Array, k: Float32Array, v: Float32Array, keyMask: Uint8Array, dims: AttentionDims, probs: Float32Array, g: Float32Array, mask: Float32Array | null, dq: Float32Array, dk: Float32Array, dv: Float32Array, dBias: Float64Array | null): void;
}

/**
 * The order every row sum of the kernels uses (so the native ones vectorize and still match): term
 * i goes to the (i mod 8)-th of eight float64 partial sums, combined as ((s0 + s1) + (s2 + s3)) +
 * ((s4 + s5) + (s6 + s7)).
 */
function laneTotal(s: Float64Array): number {
  const l = (i: number) => s[i] as number;
  return l(0) + l(1) + (l(2) + l(3)) + (l(4) + l(5) + (l(6) + l(7)));
}

const statLanes = new Float64Array(8);

/** LayerNorm's backward sums dgamma and dbeta per chunk of this many rows (rows in order), then the chunks in order. */
const LN_ROW_CHUNK = 16;

/** Mean and 1 / sqrt(var + eps) of row `o..o+c` (biased variance, float64, sums in `laneTotal`'s order). */
function rowStats(x: Float32Array, o: number, c: number, eps: number): [number, number] {
  const s = statLanes.fill(0);
  for (let i = 0; i < c; i++) s[i & 7] = (s[i & 7] as number) + (x[o + i] as number);
  const mean = laneTotal(s) / c;
  s.fill(0);
  for (let i = 0; i < c; i++) {
    const d = (x[o + i] as number) - mean;
    s[i & 7] = (s[i & 7] as number) + d * d;
  }
  return [mean, 1 / Math.sqrt(laneTotal(s) / c + eps)];
}

/** The reference kernels. */
export const jsOpKernels: OpKernels = {
  geluForward(x, out, tanhForm) {
    const f = tanhForm ? geluTanh : geluErf;
    for (let i = 0; i < x.length; i++) out[i] = f(x[i] as number);
  },
  geluBackward(x, g, dx, tanhForm) {
    const df = tanhForm ? geluTanhGrad : geluErfGrad;
    for (let i = 0; i < x.length; i++) dx[i] = (g[i] as number) * df(x[i] as number);
  },
  layerNormForward(x, gamma, beta, out, rows, c, eps) {
    for (let r = 0; r < rows; r++) {
      const o = r * c;
      const [mean, inv] = rowStats(x, o, c, eps);
      for (let i = 0; i < c; i++) out[o + i] = ((x[o + i] as number) - mean) * inv * (gamma[i] as number) + (beta[i] as number);
    }
  },
  layerNormBackward(x, gamma, dy, dx, dg, db, rows, c, eps) {
    dg.fill(0);
    db.fill(0);
    const xhat = new Float64Array(c);
    const dxhat = new Float64Array(c);
    const [lanesD, lanesDX] = [new Float64Array(8), new Float64Array(8)];
    const [cdg, cdb] = [new Float64Array(c), new Float64Array(c)];
    for (let r = 0; r < rows; r++) {
      if (r % LN_ROW_CHUNK === 0) {
        cdg.fill(0);
        cdb.fill(0);
      }
      const o = r * c;
      const [mean, inv] = rowStats(x, o, c, eps);
      lanesD.fill(0);
      lanesDX.fill(0);
      for (let i = 0; i < c; i++) {
        const xh = ((x[o + i] as number) - mean) * inv;
        const d = dy[o + i] as number;
        xhat[i] = xh;
        cdg[i] = (cdg[i] as number) + d * xh;
        cdb[i] = (cdb[i] as number) + d;
        const dh = d * (gamma[i] as number);
        dxhat[i] = dh;
        lanesD[i & 7] = (lanesD[i & 7] as number) + dh;
        lanesDX[i & 7] = (lanesDX[i & 7] as number) + dh * xh;
      }
      if (dx) {
        const mD = laneTotal(lanesD) / c;
        const mDX = laneTotal(lanesDX) / c;
        for (let i = 0; i < c; i++) dx[o + i] = inv * ((dxhat[i] as number) - mD - (xhat[i] as number) * mDX);
      }
      if (r % LN_ROW_CHUNK === LN_ROW_CHUNK - 1 || r === rows - 1) {
        for (let i = 0; i < c; i++) {
          dg[i] = (dg[i] as number) + (cdg[i] as number);
          db[i] = (db[i] as number) + (cdb[i] as number);
        }
      }
    }
  },
  embeddingScatterAdd(dst, g, ids, c) {
    for (let i = 0; i < ids.length; i++) {
      const o = (ids[i] as number) * c;
      for (let j = 0; j < c; j++) dst[o + j] = (dst[o + j] as number) + (g[i * c + j] as number);
    }
  },
  adamw(w, g, m, v, beta1, beta2, stepSize, bc2Sqrt, decay, eps) {
    for (let i = 0; i < w.length; i++) {
      const gi = g[i] as number;
      const mi = (m[i] as number) + (1 - beta1) * (gi - (m[i] as number));
      const vi = beta2 * (v[i] as number) + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      const decayed = Math.fround((w[i] as number) * decay);
      w[i] = decayed - (stepSize * (m[i] as number)) / (Math.sqrt(v[i] as number) / bc2Sqrt + eps);
    }
  },
  sumSquares(x) {
    // eight interleaved sums (x[i] into lane i mod 8), so the native kernel vectorizes with the same order
    const s = new Float64Array(8);
    for (let i = 0; i < x.length; i++) {
      const a = x[i] as number;
      s[i & 7] = (s[i & 7] as number) + a * a; // exact: the square of a float32
    }
    const l = (i: number) => s[i] as number;
    return l(0) + l(1) + (l(2) + l(3)) + (l(4) + l(5) + (l(6) + l(7)));
  },
  scale(x, s) {
    for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * s;
  },
  softmaxCrossEntropy(x, n, c, labels, excluded, probs) {
    let total = 0;
    for (let r = 0; r < n; r++) total += softmaxRow(x, r * c, c, probs, excluded ?? undefined) - (x[r * c + (labels[r] as number)] as number);
    return total;
  },
  add(a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) + (b[i] as number);
  },
  mul(a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) * (b[i] as number);
  },
  addInto(dst, src) {
    for (let i = 0; i < dst.length; i++) dst[i] = (dst[i] as number) + (src[i] as number);
  },
  transpose(data, rows, cols, out) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) out[c * rows + r] = data[o + c] as number;
    }
  },
  columnSums(g, rows, cols, out) {
    out.fill(0);
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[j] = (out[j] as number) + (g[r * cols + j] as number);
  },
  dropoutMask(rng, mask, p, keep) {
    for (let i = 0; i < mask.length; i++) mask[i] = rng.nextFloat() < p ? 0 : keep;
  },
  attentionForward: jsAttentionForward,
  attentionBackward: jsAttentionBackward,
};

let current: OpKernels = jsOpKernels;

export function opKernels(): OpKernels {
  return current;
}

/** Installs kernels for all later ops; returns the previous ones. */
export function setOpKernels(kernels: OpKernels): OpKernels {
  const previous = current;
  current = kernels;
  return previous;
}
