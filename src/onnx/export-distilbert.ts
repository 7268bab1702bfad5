import type { EncoderConfig } from "../architectures/config.js";
import type { ParamStore } from "../architectures/params.js";
import { type ArchitectureGraph, applyNorm, firstTokenHead, linearRef, normRef, sequentialPositionEmbeddings } from "./encoder-graph.js";

/**
 * DistilBERT: word + position embeddings (no token types, so no `token_type_ids` input), BERT-shaped
 * layers under DistilBERT's names (`transformer.layer.N.attention.q_lin`, `sa_layer_norm`, `ffn.lin1`),
 * and the `pre_classifier → ReLU → classifier` head.
 */
export function distilBertGraph(c: EncoderConfig, base: ParamStore, root: ParamStore): ArchitectureGraph {
  const h = c.hiddenSize;
  const ff = c.intermediateSize;
  const word = base.get("embeddings.word_embeddings.weight", [c.vocabSize, h]);
  const pos = base.get("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, h]);
  const norm = normRef(base, "embeddings.LayerNorm", h);
  let head: ArchitectureGraph["head"];
  if (root.has("classifier.weight")) {
    const pre = linearRef(root, "pre_classifier", h, h);
    const out = linearRef(root, "classifier", c.numLabels, h);
    head = (b, hidden) => firstTokenHead(b, hidden, pre, "relu", out);
  }
  return {
    config: c,
    usesTokenTypeIds: false,
    head,
    layers: Array.from({ length: c.numLayers }, (_, l) => {
      const n = `transformer.layer.${l}`;
      return {
        q: linearRef(base, `${n}.attention.q_lin`, h, h),
        k: linearRef(base, `${n}.attention.k_lin`, h, h),
        v: linearRef(base, `${n}.attention.v_lin`, h, h),
        o: linearRef(base, `${n}.attention.out_lin`, h, h),
        attnNorm: normRef(base, `${n}.sa_layer_norm`, h),
        up: linearRef(base, `${n}.ffn.lin1`, ff, h),
        down: linearRef(base, `${n}.ffn.lin2`, h, ff),
        outNorm: normRef(base, `${n}.output_layer_norm`, h),
      };
    }),
    embeddings(b, inputs) {
      const x = b.op("Gather", [b.param(`${base.prefix}embeddings.word_embeddings.weight`, word), inputs.inputIds]); // (B, T, H)
      const positions = sequentialPositionEmbeddings(b, inputs.inputIds, b.param(`${base.prefix}embeddings.position_embeddings.weight`, pos));
      return applyNorm(b, b.op("Add", [x, positions]), norm, c.layerNormEps);
    },
  };
}
