import { activation, add } from "../tensor/ops/elementwise.js";
import { embedding } from "../tensor/ops/embedding.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ClassifierHead } from "./bert.js";
import type { EncoderConfig } from "./config.js";
import { type EncoderLayerNames, type EncoderLayerParams, encoderLayersParams, postNormLayer } from "./encoder-layer.js";
import { DropoutState, type Encoder, type EncoderBatch } from "./encoder.js";
import {
  type NormParams,
  applyLinear,
  applyNorm,
  firstTokens,
  linearParams,
  noClassifier,
  normParams,
  POSITION_IDS,
  checkSequenceLength,
  sequenceLimit,
  sequentialPositionIds,
} from "./layers.js";
import type { ParamStore } from "./params.js";
import type { Rng } from "../tensor/random.js";

/** DistilBERT's names for layer l's modules. */
export function distilBertLayerNames(l: number): EncoderLayerNames {
  const n = `transformer.layer.${l}`;
  return {
    q: `${n}.attention.q_lin`,
    k: `${n}.attention.k_lin`,
    v: `${n}.attention.v_lin`,
    o: `${n}.attention.out_lin`,
    attnNorm: `${n}.sa_layer_norm`,
    up: `${n}.ffn.lin1`,
    down: `${n}.ffn.lin2`,
    outNorm: `${n}.output_layer_norm`,
  };
}

/**
 * DistilBERT (Sanh et al.): BERT with half the layers, no token types and no pooler; its own
 * parameter names (`transformer.layer.0.attention.q_lin.weight`, `sa_layer_norm`, `ffn.lin1`).
 */
export class DistilBertEncoder implements Encoder {
  /** Rows of the position table before position 0: none, position ids are 0..T-1. */
  static positionOffset(_config: EncoderConfig): number {
    return 0;
  }

  readonly config: EncoderConfig;
  readonly params: ParamStore;
  readonly maxSequenceLength: number;
  private readonly wordEmb: Tensor;
  private readonly posEmb: Tensor;
  private readonly embNorm: NormParams;
  private readonly layers: EncoderLayerParams[];
  private readonly head: ClassifierHead | undefined;
  private readonly drop: DropoutState;

  constructor(config: EncoderConfig, base: ParamStore, root: ParamStore) {
    this.config = config;
    this.params = root;
    this.maxSequenceLength = sequenceLimit(config, DistilBertEncoder.positionOffset(config));
    const h = config.hiddenSize;
    this.wordEmb = base.get("embeddings.word_embeddings.weight", [config.vocabSize, h]);
    this.posEmb = base.get("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, h]);
    this.embNorm = normParams(base, "embeddings.LayerNorm", h);
    this.layers = encoderLayersParams(base, config, distilBertLayerNames);
    this.head = root.has("classifier.weight") ? distilBertHead(root, h, config.numLabels) : undefined;
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
    // (B·T, H)
    let x = add(embedding(this.wordEmb, batch.inputIds), embedding(this.posEmb, sequentialPositionIds(batch.batchSize, batch.seqLen), POSITION_IDS));
    x = this.drop.hidden(applyNorm(x, this.embNorm, c.layerNormEps));
    // DistilBERT has no dropout after out_lin; its FFN drops after lin2
    for (const layer of this.layers) x = postNormLayer(x, layer, c, batch, this.drop, { dropAfterAttention: false });
    return x;
  }

  classify(hidden: Tensor, batch: EncoderBatch): Tensor {
    if (!this.head) return noClassifier(this.config.modelType);
    return this.head.logits(hidden, batch);
  }
}

/** `DistilBertForSequenceClassification`: pre_classifier + ReLU on [CLS], then classifier. */
function distilBertHead(root: ParamStore, h: number, numLabels: number): ClassifierHead {
  const pre = linearParams(root, "pre_classifier", h, h);
  const cls = linearParams(root, "classifier", numLabels, h);
  return {
    logits: (hidden, batch) => applyLinear(activation(applyLinear(firstTokens(hidden, batch.batchSize, batch.seqLen), pre), "relu"), cls),
  };
}
