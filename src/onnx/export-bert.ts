import { bertLayerNames } from "../architectures/bert.js";
import type { EncoderConfig } from "../architectures/config.js";
import type { ParamStore } from "../architectures/params.js";
import { DataType } from "./graph.js";
import type { GraphBuilder } from "./graph-builder.js";
import {
  type ArchitectureGraph,
  type LinearRef,
  applyNorm,
  encoderLayerRefs,
  firstTokenHead,
  linearRef,
  normRef,
  paddedPositionIds,
  robertaStyleHeadGraph,
  sequentialPositionEmbeddings,
} from "./encoder-graph.js";


/**
 * BERT, RoBERTa, XLM-R and CamemBERT (`roberta: true`): word + token type + position embeddings,
 * then BERT layers. BERT reads `token_type_ids` and positions 0..T-1; the RoBERTa family computes
 * positions from the input ids (after padding_idx) and adds token type 0, the only one it has,
 * so its graph has no `token_type_ids` input (as Optimum exports it).
 */
export function bertFamilyGraph(c: EncoderConfig, base: ParamStore, root: ParamStore, roberta: boolean): ArchitectureGraph {
  const h = c.hiddenSize;
  const word = base.get("embeddings.word_embeddings.weight", [c.vocabSize, h]);
  const pos = base.get("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, h]);
  const typeKey = "embeddings.token_type_embeddings.weight";
  const types = base.has(typeKey) ? base.get(typeKey, [Math.max(c.typeVocabSize, 1), h]) : undefined;
  const norm = normRef(base, "embeddings.LayerNorm", h);
  const key = (name: string): string => base.prefix + name;

  let head = roberta ? robertaStyleHeadGraph(root, h, c.numLabels) : undefined;
  if (!roberta && root.has("classifier.weight")) {
    const pooler: LinearRef = linearRef(base, "pooler.dense", h, h);
    const out = linearRef(root, "classifier", c.numLabels, h);
    head = (b, hidden) => firstTokenHead(b, hidden, pooler, "tanh", out);
  }

  return {
    config: c,
    usesTokenTypeIds: !roberta && types !== undefined,
    layers: encoderLayerRefs(base, c, bertLayerNames),
    head,
    embeddings(b: GraphBuilder, inputs) {
      let x = b.op("Gather", [b.param(key("embeddings.word_embeddings.weight"), word), inputs.inputIds]); // (B, T, H)
      if (types && inputs.tokenTypeIds && !roberta) {
        x = b.op("Add", [x, b.op("Gather", [b.param(key(typeKey), types), inputs.tokenTypeIds])]);
      } else if (types) {
        x = b.op("Add", [x, b.tensor(`${key(typeKey)}[0]`, DataType.FLOAT, [h], types.data.slice(0, h))]);
      }
      const posTable = b.param(key("embeddings.position_embeddings.weight"), pos);
      const positions = roberta
        ? b.op("Gather", [posTable, paddedPositionIds(b, inputs.inputIds, c.padTokenId)])
        : sequentialPositionEmbeddings(b, inputs.inputIds, posTable);
      return applyNorm(b, b.op("Add", [x, positions]), norm, c.layerNormEps);
    },
  };
}
