import { multiHeadAttention } from "../tensor/ops/attention.js";
import { activation, add } from "../tensor/ops/elementwise.js";
import { embedding } from "../tensor/ops/embedding.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ClassifierHead } from "./bert.js";
import type { EncoderConfig } from "./config.js";
import { DropoutState, type Encoder, type EncoderBatch } from "./encoder.js";
import {
  type LinearParams,
  type NormParams,
  applyLinear,
  applyNorm,
  firstTokens,
  linearParams,
  noClassifier,
  normParams,
  sequentialPositionIds,
} from "./layers.js";
import type { ParamStore } from "./params.js";
import type { Rng } from "../tensor/random.js";

interface DistilBertLayer {
  q: LinearParams;
  k: LinearParams;
  v: LinearParams;
  out: LinearParams;
  saNorm: NormParams;
  lin1: LinearParams;
  lin2: LinearParams;
  outNorm: NormParams;
}

/**
 * DistilBERT (Sanh et al.): BERT with half the layers, no token types and no pooler; its own
 * parameter names (`transformer.layer.0.attention.q_lin.weight`, `sa_layer_norm`, `ffn.lin1`).
 */
export class DistilBertEncoder implements Encoder {
  readonly config: EncoderConfig;
  readonly params: ParamStore;
  private readonly wordEmb: Tensor;
  private readonly posEmb: Tensor;
  private readonly embNorm: NormParams;
  private readonly layers: DistilBertLayer[];
  private readonly head: ClassifierHead | undefined;
  private readonly drop: DropoutState;

  constructor(config: EncoderConfig, base: ParamStore, root: ParamStore) {
    this.config = config;
    this.params = root;
    const h = config.hiddenSize;
    const ff = config.intermediateSize;
    this.wordEmb = base.get("embeddings.word_embeddings.weight", [config.vocabSize, h]);
    this.posEmb = base.get("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, h]);
    this.embNorm = normParams(base, "embeddings.LayerNorm", h);
    this.layers = Array.from({ length: config.numLayers }, (_, l) => {
      const n = `transformer.layer.${l}`;
      return {
        q: linearParams(base, `${n}.attention.q_lin`, h, h),
        k: linearParams(base, `${n}.attention.k_lin`, h, h),
        v: linearParams(base, `${n}.attention.v_lin`, h, h),
        out: linearParams(base, `${n}.attention.out_lin`, h, h),
        saNorm: normParams(base, `${n}.sa_layer_norm`, h),
        lin1: linearParams(base, `${n}.ffn.lin1`, ff, h),
        lin2: linearParams(base, `${n}.ffn.lin2`, h, ff),
        outNorm: normParams(base, `${n}.output_layer_norm`, h),
      };
    });
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
    // (B·T, H)
    let x = add(embedding(this.wordEmb, batch.inputIds), embedding(this.posEmb, sequentialPositionIds(batch.batchSize, batch.seqLen)));
    x = this.drop.hidden(applyNorm(x, this.embNorm, c.layerNormEps));
    for (const layer of this.layers) {
      const ctx = multiHeadAttention(applyLinear(x, layer.q), applyLinear(x, layer.k), applyLinear(x, layer.v), {
        batch: batch.batchSize,
        seqLen: batch.seqLen,
        heads: c.numHeads,
        keyMask: batch.attentionMask,
        ...this.drop.attention(),
      });
      // DistilBERT has no dropout after out_lin; its FFN drops after lin2
      x = applyNorm(add(applyLinear(ctx, layer.out), x), layer.saNorm, c.layerNormEps);
      const inner = activation(applyLinear(x, layer.lin1), c.hiddenAct);
      x = applyNorm(add(this.drop.hidden(applyLinear(inner, layer.lin2)), x), layer.outNorm, c.layerNormEps);
    }
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
