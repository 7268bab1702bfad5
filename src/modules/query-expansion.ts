/**
 * The per-task text lengths and the ColBERT query expansion of a Transformer
 * (`query_length`, `document_length`, `query_expansion` of sentence_bert_config.json), ported from
 * sentence-transformers 6.0, huggingface/sentence-transformers
 * `sentence_transformers/base/modules/transformer.py` (`QueryExpansionConfig`,
 * `_normalize_query_expansion`, `_validate_query_expansion_token` and the expansion step at the end
 * of `Transformer.preprocess`).
 *
 * Expansion (classic ColBERT, `strategy: "fixed"`): every query leaves tokenization at exactly
 * `length` tokens: longer ones are truncated to it (special tokens kept), shorter ones padded to it
 * and the pads replaced by the expansion token (`[MASK]` by default). Those positions keep
 * `attention_mask` 0 (the encoder does not attend to them) unless `attend`, and are flagged in
 * `queryExpansionPositions` so that MultiVectorMask scores them. `strategy: "min"`: `length` is
 * only the floor; longer queries keep up to `query_length` tokens.
 */
import { SbertError } from "../errors.js";
import type { JsonObject } from "../io/json-file.js";
import type { TextTokenizer, TokenBatch } from "../tokenizers/text-tokenizer.js";

/** What an input is encoded as (Python's `task` forward kwarg); no task counts as a document. */
export type EncodeTask = "query" | "document";

/** `query_expansion` with Python's defaults filled in. */
export interface QueryExpansion {
  strategy: "fixed" | "min";
  /** Let the encoder attend to the expansion positions (attention_mask 1). */
  attend: boolean;
  /** Expansion token; undefined = the tokenizer's mask_token, else its eos_token. */
  token: string | undefined;
  /** Tokens after expansion: the exact width (`fixed`) or the floor (`min`). */
  length: number;
}

/** The task settings of a Transformer; all undefined for an ordinary embedding model. */
export interface TaskLengths {
  queryLength?: number;
  documentLength?: number;
  queryExpansion?: QueryExpansion;
}

const EXPANSION_KEYS = new Set(["strategy", "attend", "token", "length"]);

/** Reads the three keys of sentence_bert_config.json; INVALID_MODEL_FILE / CONFIG_MISMATCH as Python's ValueErrors. */
export function parseTaskLengths(stConfig: JsonObject, where: string): TaskLengths {
  const out: TaskLengths = {};
  const length = (key: string): number | undefined => {
    const v = stConfig[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new SbertError("INVALID_MODEL_FILE", `${where}: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const q = length("query_length");
  const d = length("document_length");
  if (q !== undefined) out.queryLength = q;
  if (d !== undefined) out.documentLength = d;
  const raw = stConfig["query_expansion"];
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new SbertError("INVALID_MODEL_FILE", `${where}: query_expansion must be an object or null`);
  const unknown = Object.keys(raw).filter((k) => !EXPANSION_KEYS.has(k));
  if (unknown.length > 0) throw new SbertError("INVALID_MODEL_FILE", `${where}: query_expansion has unknown keys ${unknown.join(", ")}; valid keys: attend, length, strategy, token`);
  const { strategy, attend = false, token = null, length: len } = raw as Record<string, unknown>;
  if (strategy !== "fixed" && strategy !== "min") throw new SbertError("INVALID_MODEL_FILE", `${where}: query_expansion.strategy must be "fixed" or "min", got ${JSON.stringify(strategy)}`);
  if (typeof attend !== "boolean") throw new SbertError("INVALID_MODEL_FILE", `${where}: query_expansion.attend must be a boolean`);
  if (token !== null && typeof token !== "string") throw new SbertError("INVALID_MODEL_FILE", `${where}: query_expansion.token must be a string or null`);
  if (typeof len !== "number" || !Number.isInteger(len) || len < 1) {
    throw new SbertError("INVALID_MODEL_FILE", `${where}: query_expansion strategy "${strategy}" needs "length", a positive integer (the pad target; classic ColBERT uses 32)`);
  }
  if (q !== undefined && q < len) {
    throw new SbertError("CONFIG_MISMATCH", `${where}: query_length ${q} is smaller than query_expansion.length ${len}; raise query_length to at least ${len} or drop it`);
  }
  out.queryExpansion = { strategy, attend, token: token ?? undefined, length: len };
  return out;
}

/** The keys `parseTaskLengths` reads, as Python saves them (only those that are set). */
export function taskLengthsConfig(t: TaskLengths): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (t.queryLength !== undefined) out["query_length"] = t.queryLength;
  if (t.documentLength !== undefined) out["document_length"] = t.documentLength;
  if (t.queryExpansion) {
    const e = t.queryExpansion;
    out["query_expansion"] = { strategy: e.strategy, attend: e.attend, token: e.token ?? null, length: e.length };
  }
  return out;
}

/**
 * The id that fills expansion positions: `token`, else the tokenizer's mask token, else its eos
 * token (PyLate's fallback chain). INVALID_MODEL_FILE when there is none, or `token` is not in the
 * vocabulary (Python refuses both when the expansion is set).
 */
export function expansionTokenId(e: QueryExpansion, tokenizer: TextTokenizer, where: string): number {
  if (e.token !== undefined) {
    const id = tokenizer.tokenToId(e.token);
    if (id === undefined) throw new SbertError("INVALID_MODEL_FILE", `${where}: query_expansion.token "${e.token}" is not in the tokenizer's vocabulary; name a token the tokenizer has (BERT: "[MASK]")`);
    return id;
  }
  for (const name of ["mask_token", "eos_token"] as const) {
    const token = tokenizer.specialToken(name);
    const id = token === undefined ? undefined : tokenizer.tokenToId(token);
    if (id !== undefined) return id;
  }
  throw new SbertError("INVALID_MODEL_FILE", `${where}: query_expansion with token null uses the tokenizer's mask_token, then its eos_token, but tokenizer_config.json names neither; set query_expansion.token`);
}

/** Longest query in tokens before expansion: the exact width (`fixed`), else `query_length` raised to the floor. */
export function expansionMaxLength(e: QueryExpansion, queryLength: number | undefined, fallback: number): number {
  if (e.strategy === "fixed") return e.length;
  return queryLength === undefined ? fallback : Math.max(queryLength, e.length);
}

/**
 * Applies the expansion to a padded query batch (Python's step after the tokenizer call): widen
 * to `length` (`fixed`: on the tokenizer's padding side, as `padding="max_length"`; `min`: on the
 * right, as its `F.pad`), flag the pads within the first `length` positions, put `expansionId`
 * there and, with `attend`, attend to them.
 * @returns the new batch and `positions` (batchSize × seqLen, 1 = expansion position)
 */
export function expandQueryBatch(batch: TokenBatch, e: QueryExpansion, expansionId: number, pad: { id: number; typeId: number; side: "left" | "right" }): { batch: TokenBatch; positions: Uint8Array } {
  const widened = batch.seqLen >= e.length ? batch : widen(batch, e.length, e.strategy === "fixed" ? pad.side : "right", pad.id, e.strategy === "fixed" ? pad.typeId : 0);
  const { batchSize, seqLen } = widened;
  const inputIds = widened.inputIds.slice();
  const attentionMask = widened.attentionMask.slice();
  const positions = new Uint8Array(batchSize * seqLen);
  for (let r = 0; r < batchSize; r++) {
    for (let t = 0; t < Math.min(seqLen, e.length); t++) {
      const i = r * seqLen + t;
      if (attentionMask[i] !== 0) continue;
      positions[i] = 1;
      inputIds[i] = expansionId;
      if (e.attend) attentionMask[i] = 1;
    }
  }
  return { batch: { ...widened, inputIds, attentionMask }, positions };
}

/** `batch` padded to `width` on `side` (pad id, segment id `typeId`, attention 0). */
function widen(batch: TokenBatch, width: number, side: "left" | "right", padId: number, typeId: number): TokenBatch {
  const { batchSize, seqLen } = batch;
  const inputIds = new Int32Array(batchSize * width).fill(padId);
  const attentionMask = new Int32Array(batchSize * width);
  const tokenTypeIds = new Int32Array(batchSize * width).fill(typeId);
  const shift = side === "left" ? width - seqLen : 0;
  for (let r = 0; r < batchSize; r++) {
    const from = r * seqLen;
    const to = r * width + shift;
    inputIds.set(batch.inputIds.subarray(from, from + seqLen), to);
    attentionMask.set(batch.attentionMask.subarray(from, from + seqLen), to);
    tokenTypeIds.set(batch.tokenTypeIds.subarray(from, from + seqLen), to);
  }
  return { batchSize, seqLen: width, inputIds, attentionMask, tokenTypeIds, lengths: batch.lengths };
}
