import { multiHeadAttention } from "../tensor/ops/attention.js";
import { disentangledScores } from "../tensor/ops/disentangled.js";
import { type ActivationName, activation, add, mul } from "../tensor/ops/elementwise.js";
import { embedding } from "../tensor/ops/embedding.js";
import { layerNorm } from "../tensor/ops/layer-norm.js";
import { linear } from "../tensor/ops/linear.js";
import { rmsNorm } from "../tensor/ops/rms-norm.js";
import { imagePatches, prependRow } from "../tensor/ops/patches.js";
import { selectRows, transpose } from "../tensor/ops/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { SbertError } from "../errors.js";
import type { DropoutState, EncoderBatch } from "./encoder.js";
import { POSITION_IDS, TOKEN_TYPE_IDS, paddedPositionIds, sequentialPositionIds } from "./layers.js";
import type { ArchOps, AttentionOptions, DisentangledOptions, LinearParams, NormParams, Param, PositionScheme } from "./ops.js";

/**
 * The eager engine: every op runs at once on our tensors (the native backend), recording the
 * autograd graph when a weight requires gradients (training). Activations carry their real shape,
 * (B, T, H), B and T being the batch's.
 */
export class EagerOps implements ArchOps<Tensor, Int32Array> {
  private readonly batch: EncoderBatch;
  private readonly drop: DropoutState;

  constructor(batch: EncoderBatch, drop: DropoutState) {
    this.batch = batch;
    this.drop = drop;
  }

  /** Lookups give (B·T, H) rows; viewed (no copy) as (B, T, H). */
  private tokens(rows: Tensor): Tensor {
    return rows.reshape([this.batch.batchSize, this.batch.seqLen, rows.dim(1)]);
  }

  tokenEmbeddings(table: Param): Tensor {
    return this.tokens(embedding(table.tensor, this.batch.inputIds));
  }

  tokenTypeEmbeddings(table: Param, fromInput: boolean): Tensor {
    const ids = fromInput ? this.batch.tokenTypeIds : new Int32Array(this.batch.inputIds.length);
    return this.tokens(embedding(table.tensor, ids, TOKEN_TYPE_IDS));
  }

  positionEmbeddings(table: Param, scheme: PositionScheme): Tensor {
    const { batchSize, seqLen, inputIds } = this.batch;
    const ids = scheme.kind === "sequential" ? sequentialPositionIds(batchSize, seqLen) : paddedPositionIds(inputIds, batchSize, seqLen, scheme.paddingIdx);
    return this.tokens(embedding(table.tensor, ids, POSITION_IDS));
  }

  /** A lookup into the learned (buckets, heads) table, so the table gets its gradient in training. */
  relativePositionBias(table: Param, bucket: (offset: number) => number, _maxLen: number): Tensor {
    const t = this.batch.seqLen;
    const buckets = new Int32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) buckets[i * t + j] = bucket(j - i);
    // (T·T, heads) → (heads, T·T) → (heads, T, T)
    return transpose(embedding(table.tensor, buckets)).reshape([table.tensor.dim(1), t, t]);
  }

  attentionMask(): Int32Array {
    return this.batch.attentionMask;
  }

  add(a: Tensor, b: Tensor): Tensor {
    return add(a, b);
  }

  linear(x: Tensor, l: LinearParams): Tensor {
    return linear(x, l.weight, l.bias);
  }

  layerNorm(x: Tensor, n: NormParams, eps: number): Tensor {
    return layerNorm(x, n.weight, n.bias, eps);
  }

  activation(x: Tensor, name: ActivationName): Tensor {
    return activation(x, name);
  }

  attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions<Tensor, Int32Array>): Tensor {
    return multiHeadAttention(q, k, v, {
      batch: this.batch.batchSize,
      seqLen: this.batch.seqLen,
      heads: opts.heads,
      keyMask: opts.mask,
      ...(opts.bias ? { bias: opts.bias } : {}),
      ...(opts.scale !== undefined ? { scale: opts.scale } : {}),
      ...(opts.causal ? { causal: true } : {}),
      ...this.drop.attention(),
    });
  }

  dropout(x: Tensor): Tensor {
    return this.drop.hidden(x);
  }

  firstToken(x: Tensor): Tensor {
    const { batchSize, seqLen } = this.batch;
    return selectRows(
      x.reshape([batchSize * seqLen, x.dim(-1)]),
      Array.from({ length: batchSize }, (_, b) => b * seqLen),
    );
  }

  scope<T>(_name: string, fn: () => T): T {
    return fn();
  }

  // --- t5deb ops ---
  rmsNorm(x: Tensor, weight: Param, eps: number, offset: 0 | 1): Tensor {
    return rmsNorm(x, weight.tensor, eps, offset);
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return mul(a, b);
  }

  disentangledScores(q: Tensor, k: Tensor, posQ: Tensor | undefined, posK: Tensor | undefined, opts: DisentangledOptions): Tensor {
    const { batchSize, seqLen: t } = this.batch;
    const rows = new Int32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) rows[i * t + j] = opts.row(i - j);
    return disentangledScores(q, k, posQ, posK, { batch: batchSize, seqLen: t, heads: opts.heads, rows, scale: opts.scale });
  }

  table(p: Param): Tensor {
    return p.tensor;
  }

  // --- clipmodel ops ---
  /** The conv as a matmul: patches (B·P, C·p·p) times the weight viewed (H, C·p·p), then (B, P, H). */
  patchEmbeddings(weight: Param, patch: number): Tensor {
    const px = this.batch.pixels;
    if (!px) throw new SbertError("INVALID_OPERATION", "a vision tower needs a batch of images (pixel values)");
    const w = weight.tensor;
    const patches = imagePatches(px.pixelValues, px.batch, px.channels, px.height, px.width, patch);
    const out = linear(patches, w.reshape([w.dim(0), patches.dim(1)]));
    return out.reshape([px.batch, patches.dim(0) / px.batch, w.dim(0)]);
  }

  prependToken(x: Tensor, token: Param): Tensor {
    return prependRow(x, token.tensor);
  }

  eosToken(x: Tensor, eosTokenId: number | undefined): Tensor {
    const { batchSize, seqLen, inputIds } = this.batch;
    const rows = Array.from({ length: batchSize }, (_, b) => b * seqLen + eosPosition(inputIds.subarray(b * seqLen, (b + 1) * seqLen), eosTokenId));
    return selectRows(x.reshape([batchSize * seqLen, x.dim(-1)]), rows);
  }
}

/**
 * Where CLIP's text model pools one row (transformers `CLIPTextTransformer.forward`): the first
 * maximum of the ids (`input_ids.argmax(-1)`) when `eosTokenId` is undefined, else the first
 * position holding `eosTokenId` (`(input_ids == eos).int().argmax(-1)`: 0 when it is absent).
 */
export function eosPosition(ids: ArrayLike<number>, eosTokenId: number | undefined): number {
  let best = 0;
  for (let t = 0; t < ids.length; t++) {
    if (eosTokenId === undefined ? (ids[t] as number) > (ids[best] as number) : ids[t] === eosTokenId) {
      best = t;
      if (eosTokenId !== undefined) break;
    }
  }
  return best;
}
