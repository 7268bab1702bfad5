import { SbertError } from "../errors.js";
import { useFastKernel } from "../tensor/kernels-fast.js";
import { bert } from "./bert.js";
import type { EncoderConfig } from "./config.js";
import { debertaV2 } from "./deberta-v2.js";
import type { Architecture } from "./definition.js";
import { distilbert } from "./distilbert.js";
import { EagerEncoder } from "./eager-encoder.js";
import type { Encoder } from "./encoder.js";
import { checkSequenceLength, sequenceLimit } from "./layers.js";
import { mpnet } from "./mpnet.js";
import type { ParamStore } from "./params.js";
import { roberta } from "./roberta.js";
import { t5 } from "./t5.js";

/** `model_type` → its architecture definition, and the prefix its task-head checkpoints put before the base weights. */
const ARCHITECTURES: Record<string, { arch: Architecture; basePrefix: string }> = {
  bert: { arch: bert, basePrefix: "bert." },
  distilbert: { arch: distilbert, basePrefix: "distilbert." },
  roberta: { arch: roberta, basePrefix: "roberta." },
  "xlm-roberta": { arch: roberta, basePrefix: "roberta." },
  camembert: { arch: roberta, basePrefix: "roberta." },
  mpnet: { arch: mpnet, basePrefix: "mpnet." },
  "deberta-v2": { arch: debertaV2, basePrefix: "deberta." },
  t5: { arch: t5, basePrefix: "" },
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
  // A model type without a definition runs only from a shipped ONNX graph: config.json's table size bounds it.
  if (!isNativeModelType(config.modelType)) return config.maxPositionEmbeddings;
  return sequenceLimit(config, entryFor(config).arch.positionOffset(config));
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

/** Whether `model_type` has a definition here (native inference, training, ONNX export); any other runs only from its own ONNX file. */
export function isNativeModelType(modelType: string): boolean {
  return Object.hasOwn(ARCHITECTURES, modelType);
}

/**
 * Builds the encoder for `config.model_type` over a checkpoint. Both layouts load: the bare base
 * model (`embeddings.word_embeddings.weight`, as sentence-transformers saves) and a task model
 * (`bert.embeddings...` + `classifier.*`).
 */
export function createEncoder(config: EncoderConfig, params: ParamStore): Encoder {
  useFastKernel();
  return new EagerEncoder(entryFor(config).arch, config, baseParams(config, params), params);
}

/** The architecture definition `config.model_type` runs (UNSUPPORTED_FORMAT for an unknown one): what every engine lowers. */
export function architectureOf(config: EncoderConfig): Architecture {
  return entryFor(config).arch;
}

/**
 * The base model's weights inside a checkpoint: `params` itself for a bare base model, the view
 * under `bert.` / `roberta.` / ... for a task model (what every engine of the architecture reads).
 */
export function baseParams(config: EncoderConfig, params: ParamStore): ParamStore {
  const { basePrefix } = entryFor(config);
  return params.has(`${basePrefix}embeddings.word_embeddings.weight`) ? params.withPrefix(basePrefix) : params;
}
