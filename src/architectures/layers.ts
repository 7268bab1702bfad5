import { SbertError } from "../errors.js";
import type { LookupKind } from "../tensor/ops/embedding.js";
import type { EncoderConfig } from "./config.js";
import type { LinearParams, NormParams, Param } from "./ops.js";
import type { ParamStore } from "./params.js";

/** Reads `${name}.weight` (out, in) and `${name}.bias` (out), checking the shapes. */
export function linearParams(p: ParamStore, name: string, outF: number, inF: number, withBias = true): LinearParams {
  return { key: p.prefix + name, weight: p.get(`${name}.weight`, [outF, inF]), bias: withBias ? p.get(`${name}.bias`, [outF]) : undefined };
}

/** Reads a LayerNorm's `${name}.weight` and (unless `withBias` is false: `bias=False`) `${name}.bias`, each (width). */
export function normParams(p: ParamStore, name: string, width: number, withBias = true): NormParams {
  return { key: p.prefix + name, weight: p.get(`${name}.weight`, [width]), bias: withBias ? p.get(`${name}.bias`, [width]) : undefined };
}

/** `name` (shape-checked) with its full key. */
export function param(p: ParamStore, name: string, shape: readonly number[]): Param {
  return { key: p.prefix + name, tensor: p.get(name, shape) };
}

/** The word and position tables and the embeddings LayerNorm every encoder here has, under their shared names. */
export function embeddingParams(p: ParamStore, c: EncoderConfig): { word: Param; position: Param; norm: NormParams } {
  return {
    word: param(p, "embeddings.word_embeddings.weight", [c.vocabSize, c.hiddenSize]),
    position: param(p, "embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, c.hiddenSize]),
    norm: normParams(p, "embeddings.LayerNorm", c.hiddenSize),
  };
}

/** Ids into a position table (the embedding op's message names them). */
export const POSITION_IDS: LookupKind = {
  what: "position id",
  hint: "the sequence is longer than the model's position table; truncate inputs to the model's maxSeqLength",
};

/** Segment ids into a token-type table. */
export const TOKEN_TYPE_IDS: LookupKind = {
  what: "token type id",
  hint: "the tokenizer produces more token types than the model has (type_vocab_size); the tokenizer does not match the model",
};

/**
 * Most tokens one sequence may hold: the position table's rows (`max_position_embeddings`) less
 * `offset`, the rows before position 0 (padding_idx + 1 for RoBERTa-style position ids).
 * A table that leaves no room for a token is an INVALID_MODEL_FILE error.
 *
 * @example sequenceLimit({ maxPositionEmbeddings: 514, ... }, 2) // 512 (XLM-R)
 */
export function sequenceLimit(config: EncoderConfig, offset: number): number {
  const limit = config.maxPositionEmbeddings - offset;
  if (limit < 1) {
    throw new SbertError("INVALID_MODEL_FILE", `config.json: max_position_embeddings ${config.maxPositionEmbeddings} leaves no position for a token (this ${config.modelType} model's position ids start at ${offset})`);
  }
  return limit;
}

/**
 * Refuses `length` tokens when the position table holds fewer than that (`limit`, from
 * `sequenceLimit`): INVALID_INPUT naming `what` (e.g. `maxSeqLength 100`), the table and the limit.
 * Python does not check; transformers then fails inside the position-embedding lookup.
 */
export function checkSequenceLength(length: number, limit: number, config: EncoderConfig, what: string): void {
  if (length <= limit) return;
  const rows = config.maxPositionEmbeddings;
  const offset = rows - limit;
  const table = offset > 0 ? `${rows} rows (max_position_embeddings), ${offset} of them before the first position (padding_idx + 1)` : `${rows} rows (max_position_embeddings)`;
  throw new SbertError(
    "INVALID_INPUT",
    `${what} is longer than this ${config.modelType} model can take: its position table has ${table}, so a sequence holds at most ${limit} tokens; set maxSeqLength (--max-seq-length) to ${limit} or less`,
  );
}

/** Position ids 0..seqLen-1 for every row (BERT, DistilBERT), (batchSize · seqLen). */
export function sequentialPositionIds(batchSize: number, seqLen: number): Int32Array {
  const out = new Int32Array(batchSize * seqLen);
  for (let i = 0; i < out.length; i++) out[i] = i % seqLen;
  return out;
}

/**
 * RoBERTa / XLM-R / MPNet position ids: real tokens count up from paddingIdx + 1, padding tokens
 * (input id == paddingIdx) get paddingIdx, as `create_position_ids_from_input_ids`.
 */
export function paddedPositionIds(inputIds: Int32Array, batchSize: number, seqLen: number, paddingIdx: number): Int32Array {
  const out = new Int32Array(inputIds.length);
  for (let b = 0; b < batchSize; b++) {
    let count = 0;
    for (let t = 0; t < seqLen; t++) {
      const i = b * seqLen + t;
      if (inputIds[i] !== paddingIdx) out[i] = paddingIdx + ++count;
      else out[i] = paddingIdx;
    }
  }
  return out;
}

export function noClassifier(modelType: string): never {
  throw new SbertError("INVALID_OPERATION", `this ${modelType} checkpoint has no sequence-classification head; load it as a SentenceTransformer`);
}
