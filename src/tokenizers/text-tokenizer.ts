/**
 * Text → token ids, with the truncation and padding that Python sentence-transformers asks of a
 * Hugging Face fast tokenizer: `tokenizer(texts, padding=True, truncation="longest_first",
 * max_length=maxLength)`. Knows nothing of models.
 *
 * Pipeline per text: lone surrogates → U+FFFD (Python could not even pass such a string to Rust),
 * `@huggingface/tokenizers` (with the corrections of library-patches.ts) encodes each text
 * WITHOUT special tokens, Rust's longest-first truncation leaves room for the special tokens,
 * then the post-processor (post-processor.ts) adds them and the segment ids.
 *
 * Texts are not stripped here: sentence-transformers 5.x passes them to the tokenizer as they are.
 * With a `maxLength`, only the prefix of a text that truncation can use is tokenized (same ids;
 * see bounded-prefix.ts), so a 50 MB line costs what a 50 KB one does.
 *
 * @example
 * const tok = await TextTokenizer.fromFolder("models/all-MiniLM-L6-v2");
 * const batch = tok.encodeBatch(["Hello world", "A longer sentence here"], { maxLength: 256 });
 * batch.inputIds; // Int32Array (batchSize * seqLen), right-padded with tok.padTokenId
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { SbertError } from "../errors.js";
import { jsonSyntaxDetail } from "../io/json-syntax.js";
import { patchLibraryTokenizer } from "./library-patches.js";
import { parsePostProcessor, type PostProcessor } from "./post-processor.js";
import { MAX_TOKENIZER_FILE_BYTES, checkTokenizerModel, vocabularySize } from "./tokenizer-checks.js";
import { type CutRules, PrefixCursor, cutRulesOf } from "./bounded-prefix.js";
import { boundedLongestFirst } from "./truncation.js";

/** One encoded text or pair before padding: token ids and segment ids, special tokens included. */
export interface TokenRow {
  ids: number[];
  typeIds: number[];
}

/** A padded batch; every array is row-major `(batchSize, seqLen)` except `lengths` `(batchSize)`. */
export interface TokenBatch {
  batchSize: number;
  /** Padded length = the longest row of the batch. */
  seqLen: number;
  /** `(batchSize * seqLen)` token ids, padded with `padTokenId`. */
  inputIds: Int32Array;
  /** `(batchSize * seqLen)`: 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  /** `(batchSize * seqLen)` segment ids: 0 for single texts; pairs as the post-processor says. */
  tokenTypeIds: Int32Array;
  /** `(batchSize)` real (unpadded) length of each row. */
  lengths: Int32Array;
}

/** One input of a batch: a text, or a text pair (cross-encoders). */
export type TextInput = string | readonly [string, string];

export interface EncodeOptions {
  /** Total length including special tokens; `undefined` or `Infinity` = no truncation. */
  maxLength?: number | undefined;
  /** Add the post-processor's special tokens ([CLS] ... [SEP]); default true. */
  addSpecialTokens?: boolean | undefined;
}

/**
 * Where a tokenizer came from, so another thread can build the same one: the folder it was read
 * from (with a fingerprint of its files, to notice that they changed since), or the parsed JSON
 * it was given.
 */
export type TokenizerOrigin = { dir: string; fingerprint: string } | { tokenizerJson: unknown; tokenizerConfig: unknown; source: string };

/** `model_max_length` values at or above this are Hugging Face's "unset" sentinel (int(1e30)). */
const UNSET_MODEL_MAX_LENGTH = 1e29;

export class TextTokenizer {
  /** Id used to pad `inputIds`. */
  readonly padTokenId: number;
  /** `model_max_length` of tokenizer_config.json, or undefined when absent or the 1e30 sentinel. */
  readonly modelMaxLength: number | undefined;
  /** Side on which `encodeBatch` pads. */
  readonly paddingSide: "right" | "left";
  /** How to build this tokenizer again (in a worker thread). */
  readonly origin: TokenizerOrigin;
  /** Segment id of padding positions. */
  readonly padTokenTypeId: number;
  /** 1 + the largest token id this tokenizer can produce (vocabulary and added tokens). */
  readonly vocabSize: number;
  /**
   * `truncation.max_length` of tokenizer.json, or undefined when it sets none. Only a caller that
   * runs the raw Rust tokenizer as Python does (StaticEmbedding's `encode_batch`) applies it;
   * transformers' tokenizer call overrides it, so the Transformer ignores it.
   */
  readonly storedMaxLength: number | undefined;

  private readonly tokenizer: Tokenizer;
  /** tokenizer_config.json (for its named special tokens). */
  private readonly config: Record<string, unknown>;
  private readonly postProcessor: PostProcessor;
  private readonly specialCount: readonly [number, number];
  /** Where texts may be cut for bounded tokenization; undefined = always tokenize whole texts. */
  private readonly cutRules: CutRules | undefined;

  private constructor(tokenizer: Tokenizer, json: Record<string, unknown>, config: Record<string, unknown>, origin: TokenizerOrigin, source: string) {
    this.tokenizer = tokenizer;
    this.config = config;
    this.origin = origin;
    this.vocabSize = vocabularySize(json);
    const truncation = isRecord(json["truncation"]) ? json["truncation"] : {};
    this.storedMaxLength = isNonNegativeInt(truncation["max_length"]) ? truncation["max_length"] : undefined;
    this.postProcessor = parsePostProcessor(json["post_processor"], (t) => tokenizer.token_to_id(t));
    this.specialCount = [this.postProcessor.countSpecialTokens(false), this.postProcessor.countSpecialTokens(true)];
    const specials = this.postProcessor.apply([], [], true).ids;
    const outside = specials.find((id) => id >= this.vocabSize);
    if (outside !== undefined) {
      throw new SbertError("INVALID_MODEL_FILE", `${source}: the post_processor adds token id ${outside}, outside the vocabulary (${this.vocabSize} ids); the file is inconsistent, use the model's original tokenizer.json`);
    }
    this.cutRules = cutRulesOf(json);
    const padding = isRecord(json["padding"]) ? json["padding"] : {};
    this.padTokenId = resolvePadId(tokenizer, padding, config);
    this.padTokenTypeId = isNonNegativeInt(padding["pad_type_id"]) ? padding["pad_type_id"] : 0;
    this.paddingSide = resolvePaddingSide(padding, config);
    const mml = config["model_max_length"];
    this.modelMaxLength =
      typeof mml === "number" && Number.isInteger(mml) && mml > 0 && mml < UNSET_MODEL_MAX_LENGTH ? mml : undefined;
  }

  /**
   * Reads `tokenizer.json` (required) and `tokenizer_config.json` (optional) from a model folder.
   * @throws SbertError FILE_NOT_FOUND (no tokenizer.json), INVALID_MODEL_FILE (corrupt JSON),
   *   UNSUPPORTED_FORMAT (a component type we cannot run)
   */
  static async fromFolder(dir: string): Promise<TextTokenizer> {
    const jsonPath = path.join(dir, "tokenizer.json");
    const fingerprint = await tokenizerFilesFingerprint(dir); // before reading: a later change shows
    const json = await readJsonFile(jsonPath, true);
    const config = await readJsonFile(path.join(dir, "tokenizer_config.json"), false);
    return TextTokenizer.build(json, config ?? undefined, jsonPath, { dir, fingerprint });
  }

  /**
   * Builds a tokenizer from the parsed contents of tokenizer.json and tokenizer_config.json.
   * @param source names the file in error messages
   * @throws SbertError INVALID_MODEL_FILE, UNSUPPORTED_FORMAT
   */
  static fromJson(tokenizerJson: unknown, tokenizerConfig?: unknown, source = "tokenizer.json"): TextTokenizer {
    return TextTokenizer.build(tokenizerJson, tokenizerConfig, source, { tokenizerJson, tokenizerConfig, source });
  }

  private static build(tokenizerJson: unknown, tokenizerConfig: unknown, source: string, origin: TokenizerOrigin): TextTokenizer {
    if (!isRecord(tokenizerJson) || !isRecord(tokenizerJson["model"])) {
      throw new SbertError(
        "INVALID_MODEL_FILE",
        `${source} is not a Hugging Face tokenizers file (expected an object with a "model" entry); ` +
          "re-save the tokenizer with a fast tokenizer (tokenizer.save_pretrained)",
      );
    }
    if (tokenizerConfig !== undefined && tokenizerConfig !== null && !isRecord(tokenizerConfig)) {
      throw new SbertError("INVALID_MODEL_FILE", "tokenizer_config.json must hold a JSON object");
    }
    const config: Record<string, unknown> = isRecord(tokenizerConfig) ? tokenizerConfig : {};
    const json: Record<string, unknown> = {
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      ...tokenizerJson,
    };
    if (!Array.isArray(json["added_tokens"])) json["added_tokens"] = [];
    checkTokenizerModel(json["model"] as Record<string, unknown>, source);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, libraryConfig(config, json["model"] as Record<string, unknown>));
      patchLibraryTokenizer(tokenizer, json);
    } catch (error) {
      if (error instanceof SbertError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      const unsupported = /^Unknown /.test(message);
      throw new SbertError(
        unsupported ? "UNSUPPORTED_FORMAT" : "INVALID_MODEL_FILE",
        `${source} could not be loaded: ${message}`,
        { cause: error },
      );
    }
    return new TextTokenizer(tokenizer, json, config, origin, source);
  }

  /**
   * Refuses a tokenizer that can produce ids past a model's embedding table (`vocab_size` rows).
   * @throws SbertError INVALID_MODEL_FILE naming both sizes
   */
  requireVocabularyWithin(embeddingRows: number, where: string): void {
    if (this.vocabSize > embeddingRows) {
      throw new SbertError(
        "INVALID_MODEL_FILE",
        `${where}: the tokenizer has ${this.vocabSize} token ids but the model's embedding table has ${embeddingRows} rows (config.json vocab_size); tokenizer.json belongs to another model`,
      );
    }
  }

  /**
   * The id of one vocabulary or added token (`[MASK]`, `[Q]`, `##s`), undefined when the tokenizer
   * has no such token (transformers' `convert_tokens_to_ids` without the fallback to `[UNK]`).
   */
  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token) ?? undefined;
  }

  /**
   * A named special token of tokenizer_config.json (`mask_token`, `eos_token`, `unk_token`), as
   * transformers' `tokenizer.mask_token`; undefined when the config does not name it.
   */
  specialToken(name: "mask_token" | "eos_token" | "unk_token" | "pad_token"): string | undefined {
    return tokenContent(this.config[name]);
  }

  /** Number of special tokens the post-processor adds to a single text (`false`) or a pair (`true`). */
  countSpecialTokens(pair: boolean): number {
    return this.specialCount[pair ? 1 : 0];
  }

  /**
   * Encodes one text or one pair. With `maxLength`, the texts are cut (longest first for pairs)
   * so that the result, special tokens included, has at most `maxLength` ids.
   * An empty `pair` ("") is dropped, as Python transformers does for ONE pair: `encode("a", "")`
   * equals `encode("a")` (golden ce-bert-1label `tokenization`, pair 3). An empty FIRST text keeps
   * the pair layout. `encodeBatch` differs, as the Rust batch call does (see there).
   * @throws SbertError INVALID_INPUT for a non-string text or an invalid maxLength
   */
  encode(text: string, pair?: string, opts?: EncodeOptions): { ids: number[]; typeIds: number[] } {
    requireString(text, "text");
    if (pair !== undefined) requireString(pair, "pair");
    return this.encodeChecked(text, pair === "" ? undefined : pair, opts?.maxLength, opts?.addSpecialTokens ?? true);
  }

  /**
   * Encodes and pads a batch: each row as `encode(..., { maxLength })`, padded to the longest row
   * on `paddingSide` with `padTokenId` (attention mask 0, segment id `padTokenTypeId`).
   * An empty list gives an empty batch (`batchSize` 0, `seqLen` 0). An empty second text stays a
   * pair (its separator and segment ids are kept), as `tokenizer(list_a, list_b)` does in Python:
   * CrossEncoder.predict tokenizes batches, and its golden logits for ("a", "") need that layout.
   * @throws SbertError INVALID_INPUT naming the index of a non-string entry
   */
  encodeBatch(inputs: readonly TextInput[], opts?: { maxLength?: number | undefined }): TokenBatch {
    return this.padRows(this.encodeRows(inputs, opts));
  }

  /**
   * The unpadded rows `encodeBatch` would pad (same validation and truncation), so a caller can
   * order texts by their token count before forming batches. `addSpecialTokens: false` leaves out
   * the post-processor's tokens (StaticEmbedding's `encode_batch(texts, add_special_tokens=False)`).
   */
  encodeRows(inputs: readonly TextInput[], opts?: { maxLength?: number | undefined; addSpecialTokens?: boolean | undefined }): TokenRow[] {
    if (!Array.isArray(inputs)) {
      throw new SbertError("INVALID_INPUT", `encodeBatch expects an array of texts or [text, text] pairs, got ${describe(inputs)}`);
    }
    const maxLength = checkMaxLength(opts?.maxLength);
    const special = opts?.addSpecialTokens ?? true;
    const rows = inputs.map((input: unknown, i) => {
      if (typeof input === "string") return this.encodeChecked(input, undefined, maxLength, special);
      if (Array.isArray(input) && input.length === 2 && typeof input[0] === "string" && typeof input[1] === "string") {
        return this.encodeChecked(input[0], input[1], maxLength, special);
      }
      throw new SbertError(
        "INVALID_INPUT",
        `input ${i} must be a string or a [string, string] pair, got ${describe(input)}`,
      );
    });
    return rows;
  }

  /** The vocabulary entry of `id` (`##ing`, `[CLS]`), as `convert_ids_to_tokens`; undefined outside the vocabulary. */
  idToToken(id: number): string | undefined {
    return this.tokenizer.id_to_token(id) ?? undefined;
  }

  /**
   * Turns ids back into text (for display; not an exact inverse). Unknown ids are skipped.
   * @throws SbertError INVALID_INPUT for ids that are not non-negative integers
   */
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean | undefined }): string {
    if (!Array.isArray(ids) || !ids.every(isNonNegativeInt)) {
      throw new SbertError("INVALID_INPUT", "decode expects an array of non-negative integer token ids");
    }
    const known = ids.filter((id) => this.tokenizer.id_to_token(id) !== undefined);
    if (known.length === 0) return "";
    return this.tokenizer.decode(known, { skip_special_tokens: opts?.skipSpecialTokens ?? false });
  }

  private encodeChecked(
    text: string,
    pair: string | undefined,
    maxLengthOpt: number | undefined,
    addSpecialTokens: boolean,
  ): { ids: number[]; typeIds: number[] } {
    const maxLength = checkMaxLength(maxLengthOpt);
    if (maxLength === undefined) {
      return this.postProcessor.apply(this.sequenceIds(text), pair === undefined ? null : this.sequenceIds(pair), addSpecialTokens);
    }
    const t = this.truncated(text, pair, maxLength, addSpecialTokens, (s) => s);
    return this.postProcessor.apply(t.a, t.b, addSpecialTokens);
  }

  /**
   * The prefixes of a text (and pair) that truncation to `maxLength` needs: `encode(prepare(t.text),
   * prepare(t.pair), { maxLength })` equals the same call on the whole texts, and costs work in
   * proportion to `maxLength`, not to the texts' length (see bounded-prefix.ts). A server sends
   * these instead of the whole texts to the thread that computes.
   * @param prepare what the caller does to a text before `encode` (a prompt prepended,
   *   lower-casing); it must keep whitespace where it is
   * @returns the prefixes and the number of ids `encode` gives (special tokens included)
   * @throws SbertError INVALID_INPUT for a maxLength smaller than the special tokens
   */
  truncationPrefixes(
    text: string,
    pair: string | undefined,
    maxLength: number,
    prepare: (s: string) => string = (s) => s,
  ): { text: string; pair: string | undefined; tokens: number } {
    requireString(text, "text");
    if (pair !== undefined) requireString(pair, "pair");
    const checked = checkMaxLength(maxLength) ?? Number.MAX_SAFE_INTEGER;
    const t = this.truncated(text, pair, checked, true, prepare);
    const special = this.countSpecialTokens(pair !== undefined);
    return { text: text.slice(0, t.ends[0]), pair: pair?.slice(0, t.ends[1]), tokens: t.a.length + (t.b?.length ?? 0) + special };
  }

  /** Truncated ids of `prepare(text)` (and `prepare(pair)`), tokenizing only the prefixes truncation needs. */
  private truncated(
    text: string,
    pair: string | undefined,
    maxLength: number,
    addSpecialTokens: boolean,
    prepare: (s: string) => string,
  ): { a: number[]; b: number[] | null; ends: [number, number] } {
    const special = addSpecialTokens ? this.countSpecialTokens(pair !== undefined) : 0;
    const budget = maxLength - special;
    if (budget < 0) {
      throw new SbertError("INVALID_INPUT", `maxLength ${maxLength} is smaller than the ${special} special tokens this tokenizer adds`);
    }
    const cursor = (s: string): PrefixCursor => new PrefixCursor(s, (p) => this.sequenceIds(prepare(p)), this.cutRules, budget);
    const r = boundedLongestFirst(cursor(text), pair === undefined ? null : cursor(pair), budget);
    const [n1, n2] = r.lengths;
    return {
      a: r.a.ids.length > n1 ? r.a.ids.slice(0, n1) : r.a.ids,
      b: r.b === null ? null : r.b.ids.length > n2 ? r.b.ids.slice(0, n2) : r.b.ids,
      ends: [r.a.end, r.b?.end ?? 0],
    };
  }

  /** Ids of one text without special tokens. */
  private sequenceIds(text: string): number[] {
    const clean = toWellFormed(text);
    if (clean.length === 0) return [];
    const ids = this.tokenizer.encode(clean, { add_special_tokens: false }).ids as (number | undefined)[];
    return ids.every((id) => id !== undefined) ? (ids as number[]) : ids.filter((id): id is number => id !== undefined);
  }

  /** Pads rows from `encodeRows` into one batch (right or left, as `paddingSide` says). */
  padRows(rows: readonly TokenRow[]): TokenBatch {
    const batchSize = rows.length;
    let seqLen = 0;
    for (const r of rows) seqLen = Math.max(seqLen, r.ids.length);
    const inputIds = new Int32Array(batchSize * seqLen).fill(this.padTokenId);
    const attentionMask = new Int32Array(batchSize * seqLen);
    const tokenTypeIds = new Int32Array(batchSize * seqLen).fill(this.padTokenTypeId);
    const lengths = new Int32Array(batchSize);
    rows.forEach((r, i) => {
      const n = r.ids.length;
      const start = i * seqLen + (this.paddingSide === "left" ? seqLen - n : 0);
      inputIds.set(r.ids, start);
      tokenTypeIds.set(r.typeIds, start);
      attentionMask.fill(1, start, start + n);
      lengths[i] = n;
    });
    return { batchSize, seqLen, inputIds, attentionMask, tokenTypeIds, lengths };
  }
}

// ---------------------------------------------------------------------------------------------

/** Replaces lone UTF-16 surrogates with U+FFFD (what `String#toWellFormed` does). */
export function toWellFormed(text: string): string {
  if (!/[\uD800-\uDFFF]/.test(text)) return text;
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/**
 * The tokenizer_config.json keys the library may read, limited to decoding: Rust `tokenizers`
 * encodes from tokenizer.json alone, so `remove_space` / `do_lowercase_and_remove_accent`
 * (which the library would apply on top) are left out. The library runs a `WordLevel` model as
 * its "Legacy" model, which takes the unknown token from this config: we pass the model's own.
 */
function libraryConfig(config: Record<string, unknown>, model: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    clean_up_tokenization_spaces: config["clean_up_tokenization_spaces"] === true,
  };
  if (model["type"] === "WordLevel" && typeof model["unk_token"] === "string") out["unk_token"] = model["unk_token"];
  if (Array.isArray(config["additional_special_tokens"])) {
    out["additional_special_tokens"] = config["additional_special_tokens"]
      .map(tokenContent)
      .filter((t): t is string => t !== undefined);
  }
  const eos = tokenContent(config["eos_token"]);
  if (eos !== undefined) out["eos_token"] = eos;
  return out;
}

/** A special token in tokenizer_config.json: a string or an AddedToken dict `{ content }`. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (isRecord(value) && typeof value["content"] === "string") return value["content"];
  return undefined;
}

function resolvePadId(tokenizer: Tokenizer, padding: Record<string, unknown>, config: Record<string, unknown>): number {
  if (isNonNegativeInt(padding["pad_id"])) return padding["pad_id"];
  const fromConfig = tokenContent(config["pad_token"]);
  const candidates = fromConfig === undefined ? ["[PAD]", "<pad>"] : [fromConfig, "[PAD]", "<pad>"];
  for (const token of candidates) {
    const id = tokenizer.token_to_id(token);
    if (id !== undefined) return id;
  }
  return 0;
}

function resolvePaddingSide(padding: Record<string, unknown>, config: Record<string, unknown>): "right" | "left" {
  const side = config["padding_side"] ?? padding["direction"];
  return typeof side === "string" && side.toLowerCase() === "left" ? "left" : "right";
}

/** Size, modification time and inode of the tokenizer files: changes when either is rewritten. */
export async function tokenizerFilesFingerprint(dir: string): Promise<string> {
  const parts = await Promise.all(
    ["tokenizer.json", "tokenizer_config.json"].map((f) =>
      stat(path.join(dir, f)).then(
        (s) => `${s.size}:${s.mtimeMs}:${s.ino}`,
        () => "-",
      ),
    ),
  );
  return parts.join("/");
}

async function readJsonFile(file: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new SbertError("INVALID_MODEL_FILE", `${file} is not a regular file; the model folder needs a tokenizer.json file`);
    if (info.size > MAX_TOKENIZER_FILE_BYTES) {
      throw new SbertError(
        "INVALID_MODEL_FILE",
        `${file} is ${info.size} bytes; tokenizer files over ${MAX_TOKENIZER_FILE_BYTES} bytes (256 MiB) are refused: a real one is at most a few tens of MB, this one is corrupt or not a tokenizer`,
      );
    }
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof SbertError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      if (!required) return null;
      throw new SbertError(
        "FILE_NOT_FOUND",
        `${file} not found: the model folder needs a Hugging Face fast-tokenizer file (tokenizer.json)`,
        { cause: error },
      );
    }
    throw new SbertError("INVALID_MODEL_FILE", `${file} could not be read: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SbertError("INVALID_MODEL_FILE", `${file} is not valid JSON: ${jsonSyntaxDetail(error)}`);
  }
}

function checkMaxLength(maxLength: number | undefined): number | undefined {
  if (maxLength === undefined || maxLength === Number.POSITIVE_INFINITY) return undefined;
  if (typeof maxLength !== "number" || !Number.isInteger(maxLength) || maxLength < 0) {
    throw new SbertError("INVALID_INPUT", `maxLength must be a non-negative integer or Infinity, got ${describe(maxLength)}`);
  }
  return maxLength;
}

function requireString(value: unknown, name: string): asserts value is string {
  if (typeof value !== "string") {
    throw new SbertError("INVALID_INPUT", `${name} must be a string, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === "string") return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
