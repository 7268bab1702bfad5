import { SbertError } from "../errors.js";
import { BertEncoder } from "./bert.js";
import type { EncoderConfig } from "./config.js";
import { DistilBertEncoder } from "./distilbert.js";
import type { Encoder } from "./encoder.js";
import { MpnetEncoder } from "./mpnet.js";
import type { ParamStore } from "./params.js";
import { RobertaEncoder } from "./roberta.js";

type EncoderClass = new (config: EncoderConfig, base: ParamStore, root: ParamStore) => Encoder;

/** `model_type` → implementation and the prefix its task-head checkpoints put before the base weights. */
const ARCHITECTURES: Record<string, { cls: EncoderClass; basePrefix: string }> = {
  bert: { cls: BertEncoder, basePrefix: "bert." },
  distilbert: { cls: DistilBertEncoder, basePrefix: "distilbert." },
  roberta: { cls: RobertaEncoder, basePrefix: "roberta." },
  "xlm-roberta": { cls: RobertaEncoder, basePrefix: "roberta." },
  camembert: { cls: RobertaEncoder, basePrefix: "roberta." },
  mpnet: { cls: MpnetEncoder, basePrefix: "mpnet." },
};

export function supportedModelTypes(): string[] {
  return Object.keys(ARCHITECTURES);
}

/**
 * Builds the encoder for `config.model_type` over a checkpoint. Both layouts load: the bare base
 * model (`embeddings.word_embeddings.weight`, as sentence-transformers saves) and a task model
 * (`bert.embeddings...` + `classifier.*`).
 */
export function createEncoder(config: EncoderConfig, params: ParamStore): Encoder {
  const entry = ARCHITECTURES[config.modelType];
  if (!entry) {
    throw new SbertError(
      "UNSUPPORTED_FORMAT",
      `model_type "${config.modelType}" is not supported; supported: ${supportedModelTypes().join(", ")}`,
    );
  }
  const prefixed = params.has(`${entry.basePrefix}embeddings.word_embeddings.weight`);
  const base = prefixed ? params.withPrefix(entry.basePrefix) : params;
  return new entry.cls(config, base, params);
}
