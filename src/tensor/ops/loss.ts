import { SbertError } from "../../errors.js";
import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { opKernels } from "../op-kernels.js";
import { Tensor, checkShape, sameShape, shapeText } from "../tensor.js";

/**
 * Fused loss kernels: each reduces to a 0-d tensor (the batch mean) and carries its own backward.
 * Everything is computed in float64 and rounded to float32 once.
 */

/**
 * Cross-entropy of logits against class indices, as `torch.nn.CrossEntropyLoss()` (mean over rows):
 * logits (N, C), labels (N) integers in [0, C) → []. `excluded` (N·C, optional) marks logits that
 * take no part (as if −inf, e.g. a similarity to itself). Backward: (softmax − onehot) / N. The
 * forward runs as `opKernels().softmaxCrossEntropy` (native when the addon is loaded).
 */
export function crossEntropy(logits: Tensor, labels: ArrayLike<number>, excluded?: ArrayLike<number | boolean>): Tensor {
  checkShape(logits.shape.length === 2, "crossEntropy", `logits must be (N, C), got [${logits.shape.join(", ")}]`);
  const [n, c] = [logits.dim(0), logits.dim(1)];
  checkShape(labels.length === n, "crossEntropy", `${labels.length} labels for ${n} rows`);
  checkShape(!excluded || excluded.length === n * c, "crossEntropy", `mask of ${excluded?.length} for ${n} × ${c} logits`);
  for (let r = 0; r < n; r++) {
    const label = labels[r] as number;
    if (!Number.isInteger(label) || label < 0 || label >= c || excluded?.[r * c + label]) {
      throw new SbertError("INVALID_INPUT", `crossEntropy: label ${label} of row ${r} is not a class in 0..${c - 1}`);
    }
  }
  const probs = new Float64Array(n * c);
  const mask = excluded ? Uint8Array.from(excluded as ArrayLike<number>, (e) => (e ? 1 : 0)) : null;
  const total = opKernels().softmaxCrossEntropy(logits.data, n, c, Int32Array.from(labels), mask, probs);
  const y = new Tensor(Float32Array.of(total / n), []);
  if (!needsGrad(logits)) return y;
  return record(y, [logits], (g) => {
    const s = (g[0] as number) / n;
    const d = new Float32Array(n * c);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < c; j++) d[r * c + j] = s * ((probs[r * c + j] as number) - (j === labels[r] ? 1 : 0));
    }
    accumulateGrad(logits, d, true);
  });
}

/**
 * `torch.nn.BCEWithLogitsLoss(pos_weight)` (mean): logits (N), targets (N) in [0, 1] → [].
 * ℓ = −[pw·y·log σ(x) + (1 − y)·log(1 − σ(x))]; dℓ/dx = (1 − y)·σ(x) − pw·y·(1 − σ(x)).
 */
export function bceWithLogits(logits: Tensor, targets: ArrayLike<number>, posWeight = 1): Tensor {
  const n = logits.size;
  checkShape(targets.length === n, "bceWithLogits", `${targets.length} targets for ${n} logits`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = logits.data[i] as number;
    const t = targets[i] as number;
    // log σ(x) = −softplus(−x), log(1 − σ(x)) = −softplus(x), softplus computed stably
    total += posWeight * t * softplus(-x) + (1 - t) * softplus(x);
  }
  const y = new Tensor(Float32Array.of(total / n), []);
  if (!needsGrad(logits)) return y;
  return record(y, [logits], (g) => {
    const s = (g[0] as number) / n;
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const sig = 1 / (1 + Math.exp(-(logits.data[i] as number)));
      const t = targets[i] as number;
      d[i] = s * ((1 - t) * sig - posWeight * t * (1 - sig));
    }
    accumulateGrad(logits, d, true);
  });
}

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * `torch.nn.MSELoss()` (mean of squared differences), equal shapes → []. Both sides get gradients.
 * (torch would broadcast (N) against (N, 1) into (N, N) with a warning; here that is SHAPE_MISMATCH.)
 */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  checkShape(sameShape(pred.shape, target.shape), "mseLoss", `shapes ${shapeText(pred.shape)} and ${shapeText(target.shape)} must be equal`);
  const n = pred.size;
  let total = 0;
  for (let i = 0; i < n; i++) total += ((pred.data[i] as number) - (target.data[i] as number)) ** 2;
  const y = new Tensor(Float32Array.of(total / n), []);
  if (!needsGrad(pred, target)) return y;
  return record(y, [pred, target], (g) => {
    const s = (2 * (g[0] as number)) / n;
    const d = pred.data.map((p, i) => s * (p - (target.data[i] as number)));
    if (target.requiresGrad) accumulateGrad(target, d.map((v) => -v), true);
    accumulateGrad(pred, d, true);
  });
}

/**
 * The CoSENT ranking term: log(1 + Σ_{(i,j): label_i < label_j} exp(s_i − s_j)) over scores (N) → [].
 * Pairs whose lower-labelled score is above the higher-labelled one are penalised. Backward with
 * w_ij = exp(s_i − s_j) / (1 + Σ): ds_i += w_ij, ds_j −= w_ij.
 */
export function pairwiseRankingLoss(scores: Tensor, labels: ArrayLike<number>): Tensor {
  const n = scores.size;
  checkShape(labels.length === n, "pairwiseRankingLoss", `${labels.length} labels for ${n} scores`);
  const s = scores.data;
  let max = 0; // the appended zero
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if ((labels[i] as number) < (labels[j] as number)) max = Math.max(max, (s[i] as number) - (s[j] as number));
  }
  let z = Math.exp(-max);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if ((labels[i] as number) < (labels[j] as number)) z += Math.exp((s[i] as number) - (s[j] as number) - max);
  }
  const y = new Tensor(Float32Array.of(max + Math.log(z)), []);
  if (!needsGrad(scores)) return y;
  return record(y, [scores], (g) => {
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (!((labels[i] as number) < (labels[j] as number))) continue;
        const w = ((g[0] as number) * Math.exp((s[i] as number) - (s[j] as number) - max)) / z;
        d[i] = (d[i] as number) + w;
        d[j] = (d[j] as number) - w;
      }
    }
    accumulateGrad(scores, d);
  });
}
