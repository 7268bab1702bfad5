/**
 * Load-time checks of a tokenizer.json that the `@huggingface/tokenizers` library does not make,
 * so that a broken tokenizer is refused with a message instead of tokenizing every text to `[]`
 * or to ids the model cannot look up. The messages follow the Rust `tokenizers` library's errors
 * (`tokenizers/src/models/{wordpiece,wordlevel,bpe,unigram}/*.rs`); Rust raises the WordPiece and
 * WordLevel ones at the first unknown word, we raise them at load.
 *
 * @example
 * checkTokenizerModel({ type: "WordPiece", vocab: {} }, "tokenizer.json");
 * // SbertError INVALID_MODEL_FILE: tokenizer.json: WordPiece error: Missing [UNK] token from the vocabulary ...
 */
import { SbertError } from "../errors.js";

/** Largest tokenizer.json / tokenizer_config.json read (bytes): real ones are at most a few tens of MB. */
export const MAX_TOKENIZER_FILE_BYTES = 256 * 1024 * 1024;

/** @throws SbertError INVALID_MODEL_FILE for a model section Rust would refuse or could not encode with */
export function checkTokenizerModel(model: Record<string, unknown>, source: string): void {
  const fail = (message: string): never => {
    throw new SbertError("INVALID_MODEL_FILE", `${source}: ${message}; re-save the tokenizer with tokenizer.save_pretrained, or use the model's original tokenizer.json`);
  };
  const vocab = model["vocab"];
  const type = model["type"] ?? (Array.isArray(vocab) ? "Unigram" : undefined);
  if (type === "WordPiece" || type === "WordLevel") {
    const unk = typeof model["unk_token"] === "string" ? model["unk_token"] : type === "WordPiece" ? "[UNK]" : "<unk>";
    if (!isRecord(vocab) || !Object.hasOwn(vocab, unk)) fail(`${type} error: Missing ${unk} token from the vocabulary`);
    return;
  }
  if (type === "BPE") {
    if (!isRecord(vocab) || Object.keys(vocab).length === 0) fail("BPE error: the vocabulary is empty");
    const v = vocab as Record<string, unknown>;
    const merges = Array.isArray(model["merges"]) ? (model["merges"] as unknown[]) : [];
    const prefix = typeof model["continuing_subword_prefix"] === "string" ? model["continuing_subword_prefix"] : "";
    merges.forEach((m, line) => {
      const pair = typeof m === "string" ? m.split(" ") : m;
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
        fail(`BPE error: merge ${line} is not a pair of tokens`);
      }
      const [a, b] = pair as [string, string];
      const merged = a + (prefix && b.startsWith(prefix) ? b.slice(prefix.length) : b);
      for (const t of [a, b, merged]) if (!Object.hasOwn(v, t)) fail(`BPE error: Token \`${t}\` out of vocabulary (merge ${line})`);
    });
    return;
  }
  if (type === "Unigram") {
    if (!Array.isArray(vocab) || vocab.length === 0) fail("Unigram error: The vocabulary is empty but at least <unk> is needed");
    const unkId = model["unk_id"];
    if (typeof unkId === "number" && !(Number.isInteger(unkId) && unkId >= 0 && unkId < (vocab as unknown[]).length)) {
      fail(`Unigram error: Unk token id ${unkId} is not within the vocabulary (${(vocab as unknown[]).length} pieces)`);
    }
  }
}

/** 1 + the largest id of the model's vocabulary and of `added_tokens` (0 for an empty one). */
export function vocabularySize(json: Record<string, unknown>): number {
  const model = json["model"];
  let max = -1;
  if (isRecord(model)) {
    const vocab = model["vocab"];
    if (Array.isArray(vocab)) max = vocab.length - 1;
    else if (isRecord(vocab)) for (const id of Object.values(vocab)) if (typeof id === "number" && id > max) max = id;
  }
  const added = Array.isArray(json["added_tokens"]) ? (json["added_tokens"] as unknown[]) : [];
  for (const t of added) if (isRecord(t) && typeof t["id"] === "number" && t["id"] > max) max = t["id"];
  return max + 1;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
