import { add } from "../tensor/ops/elementwise.js";
import { embedding } from "../tensor/ops/embedding.js";
import { transpose } from "../tensor/ops/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ClassifierHead } from "./bert.js";
import type { EncoderConfig } from "./config.js";
import { type EncoderLayerNames, type EncoderLayerParams, encoderLayersParams, postNormLayer } from "./encoder-layer.js";
import { DropoutState, type Encoder, type EncoderBatch } from "./encoder.js";
import { type NormParams, POSITION_IDS, applyNorm, checkSequenceLength, noClassifier, normParams, paddedPositionIds, sequenceLimit } from "./layers.js";
import type { ParamStore } from "./params.js";
import type { Rng } from "../tensor/random.js";
import { robertaStyleHead } from "./roberta.js";

/** MPNet's names for layer l's modules. */
export function mpnetLayerNames(l: number): EncoderLayerNames {
  const n = `encoder.layer.${l}`;
  return {
    q: `${n}.attention.attn.q`,
    k: `${n}.attention.attn.k`,
    v: `${n}.attention.attn.v`,
    o: `${n}.attention.attn.o`,
    attnNorm: `${n}.attention.LayerNorm`,
    up: `${n}.intermediate.dense`,
    down: `${n}.output.dense`,
    outNorm: `${n}.output.LayerNorm`,
  };
}

/**
 * MPNet (Song et al.): RoBERTa-style embeddings without token types, and a learned relative
 * position bias (T5-style buckets) added to every layer's attention scores.
 */
export class MpnetEncoder implements Encoder {
  /** Position ids start at padding_idx + 1, as RoBERTa's. */
  static positionOffset(config: EncoderConfig): number {
    return config.padTokenId + 1;
  }

  readonly config: EncoderConfig;
  readonly params: ParamStore;
  readonly maxSequenceLength: number;
  private readonly wordEmb: Tensor;
  private readonly posEmb: Tensor;
  private readonly embNorm: NormParams;
  private readonly relBias: Tensor;
  private readonly layers: EncoderLayerParams[];
  private readonly head: ClassifierHead | undefined;
  private readonly drop: DropoutState;

  constructor(config: EncoderConfig, base: ParamStore, root: ParamStore) {
    this.config = config;
    this.params = root;
    this.maxSequenceLength = sequenceLimit(config, MpnetEncoder.positionOffset(config));
    const h = config.hiddenSize;
    this.wordEmb = base.get("embeddings.word_embeddings.weight", [config.vocabSize, h]);
    this.posEmb = base.get("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, h]);
    this.embNorm = normParams(base, "embeddings.LayerNorm", h);
    this.relBias = base.get("encoder.relative_attention_bias.weight", [config.relativeAttentionNumBuckets, config.numHeads]);
    this.layers = encoderLayersParams(base, config, mpnetLayerNames);
    this.head = robertaStyleHead(root, h, config.numLabels);
    this.drop = new DropoutState(config);
  }

  setDropout(rng: Rng | undefined): void {
    this.drop.rng = rng;
  }

  get hasClassifier(): boolean {
    return this.head !== undefined;
  }

  forward(batch: EncoderBatch): Tensor {
    const c = this.config;
    checkSequenceLength(batch.seqLen, this.maxSequenceLength, c, `a batch of ${batch.seqLen}-token sequences`);
    const positions = paddedPositionIds(batch.inputIds, batch.batchSize, batch.seqLen, c.padTokenId);
    // (B·T, H)
    let x = add(embedding(this.wordEmb, batch.inputIds), embedding(this.posEmb, positions, POSITION_IDS));
    x = this.drop.hidden(applyNorm(x, this.embNorm, c.layerNormEps));
    const bias = this.positionBias(batch.seqLen); // (heads, T, T)
    for (const layer of this.layers) x = postNormLayer(x, layer, c, batch, this.drop, { bias, dropAfterAttention: true });
    return x;
  }

  /**
   * `compute_position_bias` over positions 0..T-1: (heads, T, T), as a lookup into the learned
   * (buckets, heads) table so the table gets its gradient in training.
   */
  private positionBias(t: number): Tensor {
    const buckets = new Int32Array(t * t);
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < t; j++) buckets[i * t + j] = relativePositionBucket(j - i, this.config.relativeAttentionNumBuckets);
    }
    // (T·T, heads) → (heads, T·T) → (heads, T, T)
    return transpose(embedding(this.relBias, buckets)).reshape([this.config.numHeads, t, t]);
  }

  classify(hidden: Tensor, batch: EncoderBatch): Tensor {
    if (!this.head) return noClassifier(this.config.modelType);
    return this.head.logits(hidden, batch);
  }
}

/**
 * MPNet's `relative_position_bucket` (bidirectional, max_distance 128), with the float32 log
 * arithmetic torch uses so bucket edges fall where Python puts them.
 */
export function relativePositionBucket(relativePosition: number, numBuckets = 32, maxDistance = 128): number {
  const half = Math.floor(numBuckets / 2);
  let n = -relativePosition;
  let ret = n < 0 ? half : 0;
  n = Math.abs(n);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return ret + n;
  const f = Math.fround;
  const ratio = f(f(Math.log(f(f(n) / maxExact))) / f(Math.log(maxDistance / maxExact)));
  const large = maxExact + Math.trunc(f(ratio * (half - maxExact)));
  ret += Math.min(large, half - 1);
  return ret;
}
