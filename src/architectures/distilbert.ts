import type { Architecture, ArchitectureWeights } from "./definition.js";
import { type EncoderLayerNames, type EncoderLayerParams, encoderLayersParams, postNormLayers } from "./encoder-layer.js";
import { embeddingParams, linearParams } from "./layers.js";
import type { NormParams, Param } from "./ops.js";

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

interface DistilBertWeights extends ArchitectureWeights {
  word: Param;
  position: Param;
  norm: NormParams;
  layers: EncoderLayerParams[];
}

/**
 * DistilBERT (Sanh et al.): BERT with half the layers, no token types and no pooler; its own
 * parameter names (`transformer.layer.0.attention.q_lin.weight`, `sa_layer_norm`, `ffn.lin1`);
 * no dropout after `out_lin` (its FFN drops after lin2). `DistilBertForSequenceClassification`:
 * pre_classifier + ReLU on [CLS], then classifier.
 */
export const distilbert: Architecture<DistilBertWeights> = {
  positionOffset: () => 0,
  load(c, base, root) {
    const h = c.hiddenSize;
    return {
      ...embeddingParams(base, c),
      layers: encoderLayersParams(base, c, distilBertLayerNames),
      head: root.has("classifier.weight") ? { dense: linearParams(root, "pre_classifier", h, h), act: "relu", out: linearParams(root, "classifier", c.numLabels, h) } : undefined,
    };
  },
  usesTokenTypeIds: () => false,
  forward(o, w, c) {
    const x = o.scope("embeddings", () => o.layerNorm(o.add(o.tokenEmbeddings(w.word), o.positionEmbeddings(w.position, { kind: "sequential" })), w.norm, c.layerNormEps));
    const mask = o.scope("mask", () => o.attentionMask());
    return postNormLayers(o, o.dropout(x), w.layers, c, { mask, dropAfterAttention: false });
  },
};
