import { activation, add } from "../tensor/ops/elementwise.js";
import { embedding } from "../tensor/ops/embedding.js";
import type { Tensor } from "../tensor/tensor.js";
import type { EncoderConfig } from "./config.js";
import { type EncoderLayerNames, type EncoderLayerParams, encoderLayersParams, postNormLayer } from "./encoder-layer.js";
import { DropoutState, type Encoder, type EncoderBatch } from "./encoder.js";
import {
  type NormParams,
  POSITION_IDS,
  TOKEN_TYPE_IDS,
  applyLinear,
  applyNorm,
  checkSequenceLength,
  firstTokens,
  linearParams,
  noClassifier,
  normParams,
  sequenceLimit,
  sequentialPositionIds,
} from "./layers.js";
import type { ParamStore } from "./params.js";
import type { Rng } from "../tensor/random.js";

/** BERT's names for layer l's modules (RoBERTa and XLM-R use the same). */
export function bertLayerNames(l: number): EncoderLayerNames {
  const n = `encoder.layer.${l}`;
  return {
    q: `${n}.attention.self.query`,
    k: `${n}.attention.self.key`,
    v: `${n}.attention.self.value`,
    o: `${n}.attention.output.dense`,
    attnNorm: `${n}.attention.output.LayerNorm`,
    up: `${n}.intermediate.dense`,
    down: `${n}.output.dense`,
    outNorm: `${n}.output.LayerNorm`,
  };
}

/** A sequence-classification head: (B·T, H) hidden states → (B, numLabels) logits. */
export interface ClassifierHead {
  logits(hidden: Tensor, batch: EncoderBatch): Tensor;
}

/**
 * BERT (Devlin et al.): embeddings (word + token type + position, LayerNorm), then post-norm
 * encoder layers of self-attention and a GELU feed-forward block. Parameter names are the
 * checkpoint's (`encoder.layer.0.attention.self.query.weight`, ...).
 * RoBERTa and XLM-R reuse it with their own position ids and head (see roberta.ts).
 */
export class BertEncoder implements Encoder {
  /** Rows of the position table before position 0: none, BERT's position ids are 0..T-1. */
  static positionOffset(_config: EncoderConfig): number {
    return 0;
  }

  readonly config: EncoderConfig;
  readonly params: ParamStore;
  readonly maxSequenceLength: number;
  protected readonly wordEmb: Tensor;
  protected readonly posEmb: Tensor;
  protected readonly typeEmb: Tensor | undefined;
  protected readonly embNorm: NormParams;
  protected readonly layers: EncoderLayerParams[];
  private readonly head: ClassifierHead | undefined;
  protected readonly drop: DropoutState;

  /** `base` holds the encoder's weights, `root` the whole checkpoint (the classifier lives outside the base prefix). */
  constructor(config: EncoderConfig, base: ParamStore, root: ParamStore) {
    this.config = config;
    this.params = root;
    this.maxSequenceLength = sequenceLimit(config, new.target.positionOffset(config));
    const h = config.hiddenSize;
    this.wordEmb = base.get("embeddings.word_embeddings.weight", [config.vocabSize, h]);
    this.posEmb = base.get("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, h]);
    this.typeEmb = base.has("embeddings.token_type_embeddings.weight")
      ? base.get("embeddings.token_type_embeddings.weight", [Math.max(config.typeVocabSize, 1), h])
      : undefined;
    this.embNorm = normParams(base, "embeddings.LayerNorm", h);
    this.layers = encoderLayersParams(base, config, bertLayerNames);
    this.head = this.loadHead(base, root);
    this.drop = new DropoutState(config);
  }

  setDropout(rng: Rng | undefined): void {
    this.drop.rng = rng;
  }

  get hasClassifier(): boolean {
    return this.head !== undefined;
  }

  /** Position id of every token, (batchSize · seqLen). */
  protected positionIds(batch: EncoderBatch): Int32Array {
    return sequentialPositionIds(batch.batchSize, batch.seqLen);
  }

  forward(batch: EncoderBatch): Tensor {
    const c = this.config;
    checkSequenceLength(batch.seqLen, this.maxSequenceLength, c, `a batch of ${batch.seqLen}-token sequences`);
    // (B·T, H)
    let x = embedding(this.wordEmb, batch.inputIds);
    if (this.typeEmb) x = add(x, embedding(this.typeEmb, batch.tokenTypeIds, TOKEN_TYPE_IDS));
    x = add(x, embedding(this.posEmb, this.positionIds(batch), POSITION_IDS));
    x = this.drop.hidden(applyNorm(x, this.embNorm, c.layerNormEps));
    for (const layer of this.layers) x = postNormLayer(x, layer, c, batch, this.drop, { dropAfterAttention: true });
    return x;
  }

  /** `BertForSequenceClassification`: tanh pooler on [CLS], then a linear classifier. Called from the constructor. */
  protected loadHead(base: ParamStore, root: ParamStore): ClassifierHead | undefined {
    if (!root.has("classifier.weight")) return undefined;
    const h = this.config.hiddenSize;
    const pooler = linearParams(base, "pooler.dense", h, h);
    const classifier = linearParams(root, "classifier", this.config.numLabels, h);
    return {
      logits: (hidden, batch) => {
        const cls = firstTokens(hidden, batch.batchSize, batch.seqLen); // (B, H)
        return applyLinear(activation(applyLinear(cls, pooler), "tanh"), classifier);
      },
    };
  }

  classify(hidden: Tensor, batch: EncoderBatch): Tensor {
    if (!this.head) return noClassifier(this.config.modelType);
    return this.head.logits(hidden, batch);
  }
}
