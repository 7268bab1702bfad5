import type { ActivationName } from "../tensor/ops/elementwise.js";
import type { Tensor } from "../tensor/tensor.js";

/** A weight tensor and its safetensors key (the full key, base-model prefix included). */
export interface Param {
  key: string;
  tensor: Tensor;
}

/** An `nn.Linear`: weight (out, in), optional bias (out); `key` is the module's name (`….query`). */
export interface LinearParams {
  key: string;
  weight: Tensor;
  bias: Tensor | undefined;
}

/** An `nn.LayerNorm`: gamma and beta; `key` is the module's name (`….LayerNorm`). */
export interface NormParams {
  key: string;
  weight: Tensor;
  bias: Tensor;
}

/** How an architecture numbers positions: 0..T-1, or RoBERTa's count after the padding index. */
export type PositionScheme = { kind: "sequential" } | { kind: "after-padding"; paddingIdx: number };

export interface AttentionOptions<V, M> {
  heads: number;
  /** Width of one head (hidden / heads). */
  headDim: number;
  /** The batch's key mask, from `attentionMask()`. */
  mask: M;
  /**
   * Added to every row's scaled scores: (heads, T, T), MPNet's and T5's relative position bias, or
   * (B, heads, T, T), DeBERTa's disentangled terms (`disentangledScores`).
   */
  bias?: V | undefined;
  // --- clipmodel ops ---
  /** Query i sees key j only if j ≤ i (CLIP's text tower); combines with the key padding mask. */
  causal?: boolean;
  /** Score multiplier, default 1 / sqrt(headDim) (T5 uses 1). */
  scale?: number;
}

/** DeBERTa's relative-position score terms: which of them, their scale, and the position of each query/key pair. */
export interface DisentangledOptions {
  heads: number;
  headDim: number;
  /** Row of the position tables for relative position i − j (query i, key j), each in [0, rows of the table). */
  row: (relative: number) => number;
  /** Longest sequence the graph engine prepares `row` for (the model's sequence limit). */
  maxLen: number;
  /** Multiplies both terms: 1 / sqrt(headDim · scale_factor). */
  scale: number;
}

/**
 * The operations an architecture's forward is written against, so that one definition runs on
 * every engine: `V` is an activation (a `Tensor` for the eager engine, which records autograd when
 * weights need gradients; a value name for the ONNX graph builder), `M` the batch's attention mask.
 * Shapes are the model's: hidden states (B, T, H), a first-token selection (B, H). Batch size and
 * sequence length are the engine's (concrete for eager, symbolic in the graph).
 *
 * Engines: `architectures/eager-ops.ts` (native inference and training), `onnx/graph-ops.ts`.
 */
export interface ArchOps<V, M> {
  /** Rows of `table` (vocab, H) for the batch's input ids: (B, T, H). */
  tokenEmbeddings(table: Param): V;
  /**
   * Rows of a token-type table: looked up by the `token_type_ids` input when `fromInput`
   * (BERT), else row 0 for every token (RoBERTa, whose tokenizer returns no token types).
   */
  tokenTypeEmbeddings(table: Param, fromInput: boolean): V;
  /** Rows of a position table for each token's position id under `scheme`: (B, T, H). */
  positionEmbeddings(table: Param, scheme: PositionScheme): V;
  /**
   * A relative position bias (heads, T, T) from a (buckets, heads) table:
   * bias[h, i, j] = table[bucket(j − i), h], for any T ≤ `maxLen`.
   */
  relativePositionBias(table: Param, bucket: (offset: number) => number, maxLen: number): V;
  /** The batch's attention mask, in the form `attention` takes. */
  attentionMask(): M;
  add(a: V, b: V): V;
  linear(x: V, l: LinearParams): V;
  layerNorm(x: V, n: NormParams, eps: number): V;
  activation(x: V, name: ActivationName): V;
  /** Scaled dot-product attention of projected q, k, v (B, T, heads · headDim) over unmasked keys; same shape out. */
  attention(q: V, k: V, v: V, opts: AttentionOptions<V, M>): V;
  /** Hidden-state dropout (`hidden_dropout_prob`) in training; the identity otherwise. */
  dropout(x: V): V;
  /** The first token of every row: (B, T, H) → (B, H). */
  firstToken(x: V): V;
  /** Runs `fn` under a name (the graph's node-name scope; no effect when eager). */
  scope<T>(name: string, fn: () => T): T;
  // --- t5deb ops ---
  /**
   * RMS normalization: x / sqrt(mean(x²) + eps) · (offset + w), the mean over groups of
   * `weight.tensor.size` consecutive values of the last axis. T5LayerNorm is offset 0, Gemma's 1.
   */
  rmsNorm(x: V, weight: Param, eps: number, offset: 0 | 1): V;
  /** a ⊙ b elementwise, equal shapes (T5's gated feed-forward). */
  mul(a: V, b: V): V;
  /**
   * DeBERTa's disentangled attention bias (B, heads, T, T) from projected q, k (B, T, heads · d)
   * and projected relative embeddings posQ, posK (rows, heads · d), each optional:
   * out[b, h, i, j] = scale · (q_i · posK[row(i − j)] + k_j · posQ[row(i − j)]) per head.
   */
  disentangledScores(q: V, k: V, posQ: V | undefined, posK: V | undefined, opts: DisentangledOptions): V;
  /** A whole weight tensor as an activation (DeBERTa's relative embedding table, (rows, H)). */
  table(p: Param): V;
  // --- clipmodel ops ---
  /**
   * A ViT patch embedding of the batch's images (`pixels` of the engine's input, (B, C, S, S)):
   * `nn.Conv2d(C, H, kernel = stride = patch, bias=False)` with `weight` (H, C, patch, patch),
   * flattened to (B, P, H), P = (S / patch)², patches in row-major order.
   */
  patchEmbeddings(weight: Param, patch: number): V;
  /** `token` (H) put in front of every row: (B, T, H) → (B, T + 1, H) (ViT's class token). */
  prependToken(x: V, token: Param): V;
  /**
   * The hidden state of each row's end-of-text token, (B, T, H) → (B, H), as CLIP's text model
   * picks it: the first position of the largest input id when `eosTokenId` is undefined (configs
   * with the legacy eos_token_id 2), else the first position whose id is `eosTokenId` (0 if none).
   */
  eosToken(x: V, eosTokenId: number | undefined): V;
}
