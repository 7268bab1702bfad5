import { parseEncoderConfig } from "../architectures/config.js";
import type { Encoder } from "../architectures/encoder.js";
import { createEncoder } from "../architectures/registry.js";
import { SbertError } from "../errors.js";
import { type JsonObject, readJsonObject } from "../io/json-file.js";
import { TextTokenizer, type TokenBatch } from "../tokenizers/text-tokenizer.js";
import type { Features, PipelineModule } from "./module.js";
import { loadParamStore } from "./weights.js";

/** One input of a text model: a text, or a (text, text) pair for cross-encoders. */
export type TextInput = string | readonly [string, string];

/** `transformer_task` of sentence_bert_config.json: embeddings, or a classification head's logits. */
export type TransformerTask = "feature-extraction" | "sequence-classification";

export interface TransformerOptions {
  /** Overrides `max_seq_length` / `model_max_length`. */
  maxSeqLength?: number;
  /** Task when the folder does not say (a plain Hub checkpoint loaded as a cross-encoder). */
  defaultTask?: TransformerTask;
}

/**
 * The Transformer module: tokenizer + encoder. Produces `tokenEmbeddings` (feature extraction) or
 * `scores` (sequence classification: the head's raw logits).
 */
export class Transformer implements PipelineModule {
  readonly typeName = "Transformer";
  readonly tokenizer: TextTokenizer;
  readonly encoder: Encoder;
  readonly task: TransformerTask;
  /** Longest token sequence fed to the encoder, special tokens included. */
  maxSeqLength: number;
  /** Lower-case texts before tokenizing (`do_lower_case` in sentence_bert_config.json). */
  readonly doLowerCase: boolean;

  constructor(tokenizer: TextTokenizer, encoder: Encoder, opts: { task: TransformerTask; maxSeqLength: number; doLowerCase: boolean }) {
    this.tokenizer = tokenizer;
    this.encoder = encoder;
    this.task = opts.task;
    this.maxSeqLength = opts.maxSeqLength;
    this.doLowerCase = opts.doLowerCase;
  }

  /** Loads config.json, the tokenizer, model.safetensors and sentence_bert_config.json from `dir`. */
  static async load(dir: string, opts: TransformerOptions = {}): Promise<Transformer> {
    const stConfig = (await readJsonObject(dir, "sentence_bert_config.json", { optional: true })) ?? {};
    const config = parseEncoderConfig(await readJsonObject(dir, "config.json"));
    const [tokenizer, params] = await Promise.all([TextTokenizer.fromFolder(dir), loadParamStore(dir)]);
    const encoder = createEncoder(config, params);
    const task = parseTask(stConfig, opts.defaultTask ?? "feature-extraction");
    if (task === "sequence-classification" && !encoder.hasClassifier) {
      throw new SbertError("INVALID_MODEL_FILE", `${dir}: transformer_task is sequence-classification but the weights have no classifier head`);
    }
    return new Transformer(tokenizer, encoder, {
      task,
      maxSeqLength: opts.maxSeqLength ?? resolveMaxSeqLength(stConfig, tokenizer.modelMaxLength, encoder),
      doLowerCase: stConfig["do_lower_case"] === true,
    });
  }

  /**
   * Tokenizes a batch as sentence-transformers 5.x does: optional lower-casing (no stripping:
   * byte-level BPE keeps leading spaces), truncate (longest first for pairs) to `maxSeqLength`,
   * pad to the longest row.
   */
  tokenize(inputs: readonly TextInput[]): TokenBatch {
    const prep = (s: string): string => {
      if (typeof s !== "string") throw new SbertError("INVALID_INPUT", `expected a string, got ${s === null ? "null" : typeof s}`);
      return this.doLowerCase ? s.toLowerCase() : s;
    };
    const cleaned = inputs.map((x) => (typeof x === "string" ? prep(x) : ([prep(x[0]), prep(x[1])] as const)));
    return this.tokenizer.encodeBatch(cleaned, { maxLength: this.maxSeqLength });
  }

  forward(features: Features): Features {
    const hidden = this.encoder.forward(features.batch);
    if (this.task === "sequence-classification") return { ...features, scores: this.encoder.classify(hidden, features.batch) };
    return { ...features, tokenEmbeddings: hidden };
  }

  outputDimension(): number {
    return this.encoder.config.hiddenSize;
  }
}

function parseTask(stConfig: JsonObject, fallback: TransformerTask): TransformerTask {
  const raw = stConfig["transformer_task"];
  if (raw === undefined) return fallback;
  if (raw === "feature-extraction" || raw === "sequence-classification") return raw;
  throw new SbertError("UNSUPPORTED_FORMAT", `transformer_task "${String(raw)}" is not supported; use feature-extraction or sequence-classification`);
}

/**
 * `max_seq_length` from sentence_bert_config.json, else min(max_position_embeddings,
 * tokenizer model_max_length) as Python does; never more than the position table holds.
 */
function resolveMaxSeqLength(stConfig: JsonObject, modelMaxLength: number | undefined, encoder: Encoder): number {
  const stored = stConfig["max_seq_length"];
  let len: number;
  if (typeof stored === "number" && Number.isInteger(stored) && stored > 0) len = stored;
  else len = Math.min(encoder.config.maxPositionEmbeddings, modelMaxLength ?? Infinity);
  return Math.min(len, encoder.maxSequenceLength);
}
