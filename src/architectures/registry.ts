import { SbertError } from "../errors.js";
import { useFastKernel } from "../tensor/kernels-fast.js";
import { BertEncoder } from "./bert.js";
import type { EncoderConfig } from "./config.js";
import { DistilBertEncoder } from "./distilbert.js";
import type { Encoder } from "./encoder.js";
import { checkSequenceLength, sequenceLimit } from "./layers.js";
import { MpnetEncoder } from "./mpnet.js";
import type { ParamStore } from "./params.js";
import { RobertaEncoder } from "./roberta.js";

/** An architecture: its constructor, and how many position-table rows come before position 0. */
interface EncoderClass {
  new (config: EncoderConfig, base: ParamStore, root: ParamStore): Encoder;
  positionOffset(config: EncoderConfig): number;
}

/** The architecture files: every `model_type` runs one of these (other engines lower them by this name). */
export type ArchitectureFamily = "bert" | "roberta" | "distilbert" | "mpnet";

/** `model_type` → implementation, its family, and the prefix its task-head checkpoints put before the base weights. */
const ARCHITECTURES: Record<string, { cls: EncoderClass; family: ArchitectureFamily; basePrefix: string }> = {
  bert: { cls: BertEncoder, family: "bert", basePrefix: "bert." },
  distilbert: { cls: DistilBertEncoder, family: "distilbert", basePrefix: "distilbert." },
  roberta: { cls: RobertaEncoder, family: "roberta", basePrefix: "roberta." },
  "xlm-roberta": { cls: RobertaEncoder, family: "roberta", basePrefix: "roberta." },
  camembert: { cls: RobertaEncoder, family: "roberta", basePrefix: "roberta." },
  mpnet: { cls: MpnetEncoder, family: "mpnet", basePrefix: "mpnet." },
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

/**
 * How many tokens one sequence may hold given the position table, whatever engine runs it (the
 * native encoder's `maxSequenceLength`): 512 for BERT's 512 positions, 512 for XLM-R's 514.
 */
export function maxSequenceLength(config: EncoderConfig): number {
  return sequenceLimit(config, entryFor(config).cls.positionOffset(config));
}

/**
 * Returns `n` when it is a usable maximum sequence length for this model: a positive integer the
 * position table holds. INVALID_INPUT naming the limit otherwise.
 *
 * @example requireSequenceFits(bertConfig, 600) // throws: "maxSeqLength 600 is longer than this bert model can take: ... at most 512 tokens ..."
 */
export function requireSequenceFits(config: EncoderConfig, n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new SbertError("INVALID_INPUT", `maxSeqLength must be a positive integer, got ${n}`);
  checkSequenceLength(n, maxSequenceLength(config), config, `maxSeqLength ${n}`);
  return n;
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
  return new (entryFor(config).cls)(config, baseParams(config, params), params);
}

/** Which architecture file `config.model_type` runs (UNSUPPORTED_FORMAT for an unknown one). */
export function architectureFamily(config: EncoderConfig): ArchitectureFamily {
  return entryFor(config).family;
}

/**
 * The base model's weights inside a checkpoint: `params` itself for a bare base model, the view
 * under `bert.` / `roberta.` / ... for a task model (what every engine of the architecture reads).
 */
export function baseParams(config: EncoderConfig, params: ParamStore): ParamStore {
  const { basePrefix } = entryFor(config);
  return params.has(`${basePrefix}embeddings.word_embeddings.weight`) ? params.withPrefix(basePrefix) : params;
}
