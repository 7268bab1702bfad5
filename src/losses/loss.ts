import { SbertError } from "../errors.js";
import { matmulNT } from "../tensor/ops/linear.js";
import { l2Normalize } from "../tensor/ops/normalize.js";
import { rowDot } from "../tensor/ops/reduce.js";
import { Tensor } from "../tensor/tensor.js";
import type { NamedParameter } from "../tensor/named-parameter.js";

/**
 * A sentence-embedding loss, as the Python classes in `sentence_transformers.losses`: the model
 * part (encoding every input column) lives in the trainer, the loss keeps the pure core.
 *
 * Inside a training step the tensors' buffers come from the trainer's step arena
 * (tensor/arena.ts) and are reused by the next step: a loss that wants to keep something from a
 * step (for logging, say) copies the numbers out (`Array.from(t.data)`) instead of holding the tensor.
 */
export interface EmbeddingLoss {
  /** The Python class name (`SoftmaxLoss`, `MultipleNegativesRankingLoss`, ...). */
  readonly name: string;
  /**
   * The loss from one (batch, dim) sentence embedding per input column, in column order, and the
   * labels (batch) or (batch, dim), when the loss uses them. Returns a 0-d tensor.
   */
  computeLossFromEmbeddings(embeddings: readonly Tensor[], labels?: Tensor): Tensor;
  /** Parameters owned by the loss itself (SoftmaxLoss's classifier), to optimize and save. */
  parameters(): NamedParameter[];
  /** Python's `get_config_dict()` (snake_case keys), for model cards and logs. */
  configDict(): Record<string, unknown>;
}

/** A cross-encoder loss: logits (batch, numLabels) of the pair classifier against the labels. */
export interface LogitsLoss {
  readonly name: string;
  computeLossFromLogits(logits: Tensor, labels: Tensor): Tensor;
  configDict(): Record<string, unknown>;
}

/** Labels as a tensor: one value per row (B), or one vector per row (B, D) for distillation. */
export function labelTensor(values: readonly number[] | readonly (readonly number[])[]): Tensor {
  return Tensor.from(values as number[] | number[][]);
}

/** Checks the number of input columns a loss receives. */
export function expectColumns(loss: string, embeddings: readonly Tensor[], min: number, max = min): void {
  if (embeddings.length < min || embeddings.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new SbertError("INVALID_INPUT", `${loss} expects ${want} input columns, got ${embeddings.length}`);
  }
  const rows = embeddings[0]?.dim(0);
  for (const e of embeddings) {
    if (e.shape.length !== 2 || e.dim(0) !== rows) {
      throw new SbertError("SHAPE_MISMATCH", `${loss}: every column must be (batch, dim) with the same batch, got [${e.shape.join(", ")}]`);
    }
  }
}

/** The labels a loss needs, checked against the batch size: (B) values. */
export function requireLabels(loss: string, labels: Tensor | undefined, rows: number): Float32Array {
  if (!labels) throw new SbertError("INVALID_INPUT", `${loss} needs labels (a "label" or "score" column)`);
  if (labels.size !== rows) throw new SbertError("INVALID_INPUT", `${loss}: ${labels.size} labels for a batch of ${rows}`);
  return labels.data;
}

/** Class indices 0..numClasses-1 as the labels of a classification loss. */
export function requireClassLabels(loss: string, labels: Tensor | undefined, rows: number, numClasses: number): Float32Array {
  const y = requireLabels(loss, labels, rows);
  y.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new SbertError("INVALID_INPUT", `${loss}: label ${v} of row ${i} is not a class in 0..${numClasses - 1}`);
    }
  });
  return y;
}

/**
 * Cosine similarity on tensors, differentiable (the float64 `l2Normalize`): the losses' one home.
 * `util/similarity.ts` (`cosSim`, `pairwiseCosSim`) holds the bit-exact float32 forms for scores.
 */

/** `util.cos_sim` on tensors: normalize both (eps 1e-12), then all dot products, (N, D), (M, D) → (N, M). */
export function cosSimMatrix(a: Tensor, b: Tensor): Tensor {
  return matmulNT(l2Normalize(a), l2Normalize(b));
}

/** `torch.cosine_similarity(a, b)` row by row (eps 1e-8 on each norm): (B, D), (B, D) → (B). */
export function cosineSimilarity(a: Tensor, b: Tensor): Tensor {
  return rowDot(l2Normalize(a, 1e-8), l2Normalize(b, 1e-8));
}

/** `util.pairwise_cos_sim`: normalize both (eps 1e-12), then row-wise dot products → (B). */
export function pairwiseCosSim(a: Tensor, b: Tensor): Tensor {
  return rowDot(l2Normalize(a), l2Normalize(b));
}
