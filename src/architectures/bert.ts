import type { EncoderConfig } from "./config.js";
import type { Architecture, ArchitectureWeights } from "./definition.js";
import { type EncoderLayerNames, type EncoderLayerParams, type FirstTokenHead, encoderLayersParams, postNormLayers } from "./encoder-layer.js";
import { embeddingParams, linearParams, param } from "./layers.js";
import type { ArchOps, NormParams, Param, PositionScheme } from "./ops.js";
import type { ParamStore } from "./params.js";

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

export interface BertWeights extends ArchitectureWeights {
  word: Param;
  position: Param;
  tokenType: Param | undefined;
  norm: NormParams;
  layers: EncoderLayerParams[];
}

/** The embeddings BERT and RoBERTa share: word, token type and position tables and their LayerNorm. */
export function loadBertFamily(c: EncoderConfig, base: ParamStore, head: FirstTokenHead | undefined): BertWeights {
  const h = c.hiddenSize;
  const typeKey = "embeddings.token_type_embeddings.weight";
  return {
    ...embeddingParams(base, c),
    tokenType: base.has(typeKey) ? param(base, typeKey, [Math.max(c.typeVocabSize, 1), h]) : undefined,
    layers: encoderLayersParams(base, c, bertLayerNames),
    head,
  };
}

/**
 * BERT and RoBERTa's forward: word + token type + position embeddings, LayerNorm, dropout, then
 * post-norm layers of self-attention and a GELU feed-forward block.
 */
export function bertFamilyForward<V, M>(o: ArchOps<V, M>, w: BertWeights, c: EncoderConfig, positions: PositionScheme, typesFromInput: boolean): V {
  const x = o.scope("embeddings", () => {
    let e = o.tokenEmbeddings(w.word);
    if (w.tokenType) e = o.add(e, o.tokenTypeEmbeddings(w.tokenType, typesFromInput));
    return o.layerNorm(o.add(e, o.positionEmbeddings(w.position, positions)), w.norm, c.layerNormEps);
  });
  const mask = o.scope("mask", () => o.attentionMask());
  return postNormLayers(o, o.dropout(x), w.layers, c, { mask, dropAfterAttention: true });
}

/**
 * BERT (Devlin et al.). Parameter names are the checkpoint's (`encoder.layer.0.attention.self.query.weight`, ...);
 * position ids 0..T-1; token types from `token_type_ids`. `BertForSequenceClassification`'s head:
 * tanh pooler on [CLS], then a linear classifier.
 */
export const bert: Architecture<BertWeights> = {
  positionOffset: () => 0,
  load(c, base, root) {
    const h = c.hiddenSize;
    const head = root.has("classifier.weight") ? { dense: linearParams(base, "pooler.dense", h, h), act: "tanh" as const, out: linearParams(root, "classifier", c.numLabels, h) } : undefined;
    return loadBertFamily(c, base, head);
  },
  usesTokenTypeIds: (w) => w.tokenType !== undefined,
  forward: (o, w, c) => bertFamilyForward(o, w, c, { kind: "sequential" }, true),
};
