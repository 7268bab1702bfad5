import { type BertWeights, bertFamilyForward, loadBertFamily } from "./bert.js";
import type { Architecture } from "./definition.js";
import type { FirstTokenHead } from "./encoder-layer.js";
import { linearParams } from "./layers.js";
import type { ParamStore } from "./params.js";

/** The `classifier.dense` → tanh → `classifier.out_proj` head RoBERTa, XLM-R and MPNet share (`RobertaClassificationHead`). */
export function robertaStyleHead(root: ParamStore, hidden: number, numLabels: number): FirstTokenHead | undefined {
  if (!root.has("classifier.out_proj.weight")) return undefined;
  return { dense: linearParams(root, "classifier.dense", hidden, hidden), act: "tanh", out: linearParams(root, "classifier.out_proj", numLabels, hidden) };
}

/**
 * RoBERTa, XLM-RoBERTa and CamemBERT: BERT's layers, with position ids that start after the
 * padding index (padding tokens get padding_idx itself, `create_position_ids_from_input_ids`),
 * token type 0 for every token (the tokenizer returns none, so the graph has no `token_type_ids`
 * input, as Optimum exports it) and a classification head on <s> without a pooler.
 */
export const roberta: Architecture<BertWeights> = {
  positionOffset: (c) => c.padTokenId + 1,
  load: (c, base, root) => loadBertFamily(c, base, robertaStyleHead(root, c.hiddenSize, c.numLabels)),
  usesTokenTypeIds: () => false,
  forward: (o, w, c) => bertFamilyForward(o, w, c, { kind: "after-padding", paddingIdx: c.padTokenId }, false),
};
