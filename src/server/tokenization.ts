/**
 * The router's tokenization step (TEI's `Tokenization`): every input is measured in tokens before
 * it is queued, so that over-long inputs are refused (422) or truncated as asked, and the queue can
 * pack batches by tokens. Truncated texts are queued cut to the prefix truncation needs (same ids,
 * work bounded by the limit, not by the text). The model tokenizes again when it computes; the
 * counts here are what `usage`, `x-compute-tokens` and the token budget use.
 */
import { prepareText } from "../tokenizers/token-rows.js";
import { type ServedModel, maxInputLength, textSide } from "./model.js";
import { ApiError } from "./errors.js";
import type { EmbedInput } from "./validate.js";

/** TEI's MAX_CHAR_MULTIPLIER: an input over max_input_length × 250 characters is refused untokenized. */
const MAX_CHARS_PER_TOKEN = 250;

export interface Measured {
  /** Tokens after truncation, special tokens included. */
  tokens: number;
  /** Characters of the input (TEI's compute characters). */
  chars: number;
}

/** The prompt text `encode` will prepend: the named one, else the model's default, else none. */
export function resolvePrompt(served: ServedModel, promptName: string | undefined): string {
  if (served.kind !== "embedding" && served.kind !== "sparse") {
    if (promptName !== undefined) throw new ApiError("validation", "`prompt_name` is not available: this model has no prompts");
    return "";
  }
  // an unknown name is the model's INVALID_INPUT, answered 422 validation
  return served.model.promptText(promptName) ?? "";
}

/**
 * Measures texts (with `prompt` prepended) or token ids. Refuses empty inputs (400), and inputs
 * over the limit unless `truncate` (422). Ids longer than the limit are cut here when truncating;
 * texts are cut to the prefix truncation needs (`TextTokenizer.truncationPrefixes`), so the model
 * thread tokenizes what the limit can use, not a 2 MB text, and gets the same ids.
 */
export function measureInputs(served: ServedModel & { kind: "embedding" | "sparse" }, inputs: readonly EmbedInput[], prompt: string, truncate: boolean): { inputs: EmbedInput[]; measured: Measured[] } {
  const limit = maxInputLength(served);
  const vocab = textSide(served).vocabSize;
  const out: EmbedInput[] = [];
  const measured = inputs.map((input, i): Measured => {
    if (input.length === 0) throw new ApiError("empty", "`inputs` cannot be empty");
    if (typeof input !== "string") {
      const bad = input.findIndex((id) => id >= vocab);
      if (bad >= 0) throw new ApiError("validation", `token id ${input[bad]} at inputs[${i}][${bad}] is outside the vocabulary (size ${vocab})`);
      checkLength(input.length, limit, truncate);
      out.push(input.length > limit ? input.slice(0, limit) : input);
      return { tokens: Math.min(input.length, limit), chars: input.length };
    }
    const m = measureText(served, input, undefined, prompt, limit, truncate);
    out.push(m.text);
    return { tokens: m.tokens, chars: countChars(input) };
  });
  return { inputs: out, measured };
}

/**
 * Measures (query, document) pairs for a cross-encoder; "" as second text means a single text.
 * @returns the counts, and the pairs cut to what truncation needs (to queue instead of `pairs`)
 */
export function measurePairs(served: ServedModel, pairs: readonly (readonly [string, string])[], truncate: boolean): { measured: Measured[]; pairs: [string, string][] } {
  const limit = maxInputLength(served);
  const cut: [string, string][] = [];
  const measured = pairs.map(([a, b]): Measured => {
    if (a.length === 0 && b.length === 0) throw new ApiError("empty", "`inputs` cannot be empty");
    const m = measureText(served, a, b, "", limit, truncate);
    cut.push([m.text, m.pair ?? ""]);
    return { tokens: m.tokens, chars: countChars(a) + countChars(b) };
  });
  return { measured, pairs: cut };
}

/**
 * Counts the tokens of `prompt + text` (and `pair`; "" = none). Untruncated inputs are counted
 * whole (they are at most `limit × 250` characters); truncated ones only as far as the limit
 * needs, and come back cut to that prefix.
 */
function measureText(served: ServedModel, text: string, pair: string | undefined, prompt: string, limit: number, truncate: boolean): { tokens: number; text: string; pair: string | undefined } {
  const charLimit = limit * MAX_CHARS_PER_TOKEN;
  const total = prompt.length + text.length + (pair?.length ?? 0);
  const transformer = textSide(served);
  const lower = transformer.doLowerCase;
  const tok = transformer.tokenizer;
  const second = pair === "" ? undefined : pair;
  if (!truncate) {
    if (total > charLimit) throw new ApiError("validation", `\`inputs\` must have less than ${charLimit} characters. Given: ${total}`);
    const count = tok.encode(prepareText(prompt + text, lower), second === undefined ? undefined : prepareText(second, lower)).ids.length;
    checkLength(count, limit, truncate);
    return { tokens: count, text, pair };
  }
  if (pair === "") {
    // Counted as a single text; the model thread tokenizes ("a", "") as a pair with an empty
    // second text, so the prefix is cut for that layout.
    const single = tok.truncationPrefixes(text, undefined, limit, (s) => prepareText(s, lower));
    return { tokens: single.tokens, text: tok.truncationPrefixes(text, "", limit, (s) => prepareText(s, lower)).text, pair };
  }
  const p = tok.truncationPrefixes(text, second, limit, (s) => prepareText(prompt + s, lower));
  return { tokens: p.tokens, text: p.text, pair: second === undefined ? pair : (p.pair ?? "") };
}

function checkLength(tokens: number, limit: number, truncate: boolean): void {
  if (tokens > limit && !truncate) {
    throw new ApiError("validation", `\`inputs\` must have less than ${limit} tokens. Given: ${tokens}; send "truncate": true or shorten the input`);
  }
}

/** Unicode code points of a string (Rust's `chars().count()`). */
export function countChars(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n--;
    }
  }
  return n;
}
