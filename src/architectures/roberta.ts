import { activation } from "../tensor/ops/elementwise.js";
import { type ClassifierHead, BertEncoder } from "./bert.js";
import type { EncoderConfig } from "./config.js";
import type { EncoderBatch } from "./encoder.js";
import { applyLinear, firstTokens, linearParams, paddedPositionIds } from "./layers.js";
import type { ParamStore } from "./params.js";

/**
 * RoBERTa and XLM-RoBERTa: BERT's layers, with position ids that start after the padding index
 * (padding tokens get padding_idx itself) and a classification head on <s> without a pooler.
 */
export class RobertaEncoder extends BertEncoder {
  /** Position ids start at padding_idx + 1 (`create_position_ids_from_input_ids`). */
  static override positionOffset(config: EncoderConfig): number {
    return config.padTokenId + 1;
  }

  protected override positionIds(batch: EncoderBatch): Int32Array {
    return paddedPositionIds(batch.inputIds, batch.batchSize, batch.seqLen, this.config.padTokenId);
  }

  /** `RobertaClassificationHead`: dense + tanh on <s>, then `out_proj`. */
  protected override loadHead(_base: ParamStore, root: ParamStore): ClassifierHead | undefined {
    return robertaStyleHead(root, this.config.hiddenSize, this.config.numLabels);
  }
}

/** The `classifier.dense` → tanh → `classifier.out_proj` head RoBERTa, XLM-R and MPNet share. */
export function robertaStyleHead(root: ParamStore, hidden: number, numLabels: number): ClassifierHead | undefined {
  if (!root.has("classifier.out_proj.weight")) return undefined;
  const dense = linearParams(root, "classifier.dense", hidden, hidden);
  const outProj = linearParams(root, "classifier.out_proj", numLabels, hidden);
  return {
    logits: (hiddenStates, batch) => {
      const first = firstTokens(hiddenStates, batch.batchSize, batch.seqLen); // (B, H)
      return applyLinear(activation(applyLinear(first, dense), "tanh"), outProj);
    },
  };
}
