import { SbertError } from "../errors.js";
import { useFastKernel } from "../tensor/kernels-fast.js";
import { BertEncoder } from "./bert.js";
import type { EncoderConfig } from "./config.js";
import { DistilBertEncoder } from "./distilbert.js";
import type { Encoder } from "./encoder.js";
import { MpnetEncoder } from "./mpnet.js";
import type { ParamStore } from "./params.js";
import { RobertaEncoder } from "./roberta.js";

type EncoderClass = new (config: EncoderConfig, base: ParamStore, root: ParamStore) => Encoder;

/**
 * `model_type` → implementation, the prefix its task-head checkpoints put before the base weights,
 * and whether position ids start after the padding index (RoBERTa family), which costs
 * padding_idx + 1 rows of the position table.
 */
const ARCHITECTURES: Record<string, { cls: EncoderClass; basePrefix: string; paddedPositions: boolean }> = {
  bert: { cls: BertEncoder, basePrefix: "bert.", paddedPositions: false },
  distilbert: { cls: DistilBertEncoder, basePrefix: "distilbert.", paddedPositions: false },
  roberta: { cls: RobertaEncoder, basePrefix: "roberta.", paddedPositions: true },
  "xlm-roberta": { cls: RobertaEncoder, basePrefix: "roberta.", paddedPositions: true },
  camembert: { cls: RobertaEncoder, basePrefix: "roberta.", paddedPositions: true },
  mpnet: { cls: MpnetEncoder, basePrefix: "mpnet.", paddedPositions: true },
};

function entryFor(config: EncoderConfig): (typeof ARCHITECTURES)[string] {
  const entry = ARCHITECTURES[config.modelType];
  if (!entry) {
    throw new SbertError(
      "UNSUPPORTED_FORMAT",
      `model_type "${config.modelType}" is not supported; supported: ${supportedModelTypes().join(", ")}`,
    );
  }
  return entry;
}

/** How many tokens one sequence may hold given the position table (whatever engine runs it). */
export function maxSequenceLength(config: EncoderConfig): number {
  const entry = entryFor(config);
  return entry.paddedPositions ? config.maxPositionEmbeddings - config.padTokenId - 1 : config.maxPositionEmbeddings;
}

export function supportedModelTypes(): string[] {
  return Object.keys(ARCHITECTURES);
}

/**
 * Builds the encoder for `config.model_type` over a checkpoint. Both layouts load: the bare base
 * model (`embeddings.word_embeddings.weight`, as sentence-transformers saves) and a task model
 * (`bert.embeddings...` + `classifier.*`).
 */
export function createEncoder(config: EncoderConfig, params: ParamStore): Encoder {
  useFastKernel();
  const entry = entryFor(config);
  const prefixed = params.has(`${entry.basePrefix}embeddings.word_embeddings.weight`);
  const base = prefixed ? params.withPrefix(entry.basePrefix) : params;
  return new entry.cls(config, base, params);
}
