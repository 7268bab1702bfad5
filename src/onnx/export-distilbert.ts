import type { EncoderConfig } from "../architectures/config.js";
import { distilBertLayerNames } from "../architectures/distilbert.js";
import type { ParamStore } from "../architectures/params.js";
import { type ArchitectureGraph, applyNorm, encoderLayerRefs, firstTokenHead, linearRef, normRef, sequentialPositionEmbeddings } from "./encoder-graph.js";

/**
 * DistilBERT: word + position embeddings (no token types, so no `token_type_ids` input), BERT-shaped
 * layers under DistilBERT's names (`transformer.layer.N.attention.q_lin`, `sa_layer_norm`, `ffn.lin1`),
 * and the `pre_classifier → ReLU → classifier` head.
 */
export function distilBertGraph(c: EncoderConfig, base: ParamStore, root: ParamStore): ArchitectureGraph {
  const h = c.hiddenSize;
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
    layers: encoderLayerRefs(base, c, distilBertLayerNames),
    embeddings(b, inputs) {
      const x = b.op("Gather", [b.param(`${base.prefix}embeddings.word_embeddings.weight`, word), inputs.inputIds]); // (B, T, H)
      const positions = sequentialPositionEmbeddings(b, inputs.inputIds, b.param(`${base.prefix}embeddings.position_embeddings.weight`, pos));
      return applyNorm(b, b.op("Add", [x, positions]), norm, c.layerNormEps);
    },
  };
}
