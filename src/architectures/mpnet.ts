import type { Architecture, ArchitectureWeights } from "./definition.js";
import { type EncoderLayerNames, type EncoderLayerParams, encoderLayersParams, postNormLayers } from "./encoder-layer.js";
import { embeddingParams, param } from "./layers.js";
import type { NormParams, Param } from "./ops.js";
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

interface MpnetWeights extends ArchitectureWeights {
  word: Param;
  position: Param;
  norm: NormParams;
  relativeBias: Param;
  layers: EncoderLayerParams[];
}

/**
 * MPNet (Song et al.): RoBERTa-style embeddings without token types, and a learned relative
 * position bias (T5-style buckets, `compute_position_bias`) added to every layer's attention scores.
 */
export const mpnet: Architecture<MpnetWeights> = {
  positionOffset: (c) => c.padTokenId + 1,
  load(c, base, root) {
    const h = c.hiddenSize;
    return {
      ...embeddingParams(base, c),
      relativeBias: param(base, "encoder.relative_attention_bias.weight", [c.relativeAttentionNumBuckets, c.numHeads]),
      layers: encoderLayersParams(base, c, mpnetLayerNames),
      head: robertaStyleHead(root, h, c.numLabels),
    };
  },
  usesTokenTypeIds: () => false,
  forward(o, w, c) {
    const x = o.scope("embeddings", () => {
      const positions = o.positionEmbeddings(w.position, { kind: "after-padding", paddingIdx: c.padTokenId });
      return o.layerNorm(o.add(o.tokenEmbeddings(w.word), positions), w.norm, c.layerNormEps);
    });
    const mask = o.scope("mask", () => o.attentionMask());
    const bias = o.scope("position_bias", () => o.relativePositionBias(w.relativeBias, (offset) => relativePositionBucket(offset, c.relativeAttentionNumBuckets), c.maxPositionEmbeddings));
    return postNormLayers(o, o.dropout(x), w.layers, c, { mask, bias, dropAfterAttention: true });
  },
};

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
