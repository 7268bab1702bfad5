/**
 * Corrections to a constructed `@huggingface/tokenizers` (0.2.0) `Tokenizer` where it differs
 * from the Rust `tokenizers` library that Python sentence-transformers uses. Each patch replaces
 * a method or regex on ONE instance (never a prototype), chosen by walking the tokenizer.json
 * config in parallel with the instance tree.
 *
 * | component          | library behaviour                                  | Rust behaviour (what we do)                      |
 * |--------------------|----------------------------------------------------|--------------------------------------------------|
 * | Precompiled        | ignores the charsmap, approximates with NFKC       | charsmap lookup per grapheme (precompiled-charsmap.ts) |
 * | BertNormalizer     | CJK test per UTF-16 unit (misses U+20000+); keeps  | per code point, Rust's ranges; drops Cn; strips  |
 * |                    | unassigned (Cn); lowercases before accent strip;   | accents then lowercases per character            |
 * |                    | final-sigma-aware lowercase                        |                                                  |
 * | Lowercase          | final-sigma-aware (`ΟΔΟΣ` → `οδος`)               | per character (`οδοσ`)                           |
 * | Strip              | JS whitespace (has U+FEFF, lacks U+0085)           | Unicode White_Space                              |
 * | ByteLevel (pre)    | JS `\s` in the GPT-2 regex                         | Unicode White_Space                              |
 * | BertPreTokenizer   | JS `\s` / `trim()`                                 | Unicode White_Space                              |
 * | Whitespace         | ASCII-only `\w` (`Café` → `Caf`, `é`)              | Unicode `\w`                                     |
 * | WhitespaceSplit    | JS `\S`                                            | Unicode White_Space                              |
 * | Metaspace          | never splits; ignores legacy `add_prefix_space`    | splits before each `▁` when `split` (default true) |
 * | Unigram            | `push(...pieces)` overflows the stack on ~100k pieces | loop                                          |
 *
 * Added tokens marked `normalized: true` were matched by the library with its own normalizer
 * output, computed before these patches; that only matters for added tokens containing the
 * characters above.
 */
import type { Tokenizer } from "@huggingface/tokenizers";
import { PrecompiledCharsmap } from "./precompiled-charsmap.js";

type Config = Record<string, unknown>;
/** The fields of library components we touch; everything else stays opaque. */
interface Patchable {
  [key: string]: unknown;
}

/** Applies every correction that the tokenizer.json `json` calls for, in place. */
export function patchLibraryTokenizer(tokenizer: Tokenizer, json: Config): void {
  const internals = tokenizer as unknown as { normalizer: unknown; pre_tokenizer: unknown; model: unknown };
  patchNormalizer(internals.normalizer, json["normalizer"]);
  patchPreTokenizer(internals.pre_tokenizer, json["pre_tokenizer"]);
  patchModel(internals.model, json["model"]);
}

// ---------------------------------------------------------------------------------------------
// Character classes shared with Rust (`char::is_whitespace` = Unicode White_Space).

const WS = "\\p{White_Space}";
const NOT_WS = "\\P{White_Space}";
/** BertPreTokenizer punctuation: Unicode P* plus all ASCII punctuation. */
const BERT_PUNCT = "\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E";
/** Rust `regex` crate `\w`. */
const WORD = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}";

/** Rust `tokenizers` BertNormalizer `is_chinese_char` (note 0x2B920, not 0x2B820, as upstream). */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Any CJK candidate at all (cheap pre-check before the per-code-point walk). */
const MAYBE_CHINESE = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ud840-\ud87e]/;

/** Lowercase per code point, as Rust's `NormalizedString::lowercase` (no final-sigma rule). */
export function lowercasePerChar(text: string): string {
  // Final sigma is the only context-dependent rule of String#toLowerCase (without a locale).
  return (text.includes("\u03a3") ? text.replaceAll("\u03a3", "\u03c3") : text).toLowerCase();
}

/** Rust BertNormalizer `clean_text`: drop NUL, U+FFFD and Cc/Cf/Cn/Co/Cs except \t\n\r; White_Space → " ". */
const BERT_DROP = /[\0\uFFFD]|(?![\t\n\r])[\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Cs}]/gu;
const WHITESPACE_RUN = new RegExp(`[${WS}]`, "gu");

export function bertNormalize(text: string, config: Config): string {
  const lowercase = config["lowercase"] !== false;
  if (config["clean_text"] !== false) {
    text = text.replace(BERT_DROP, "").replace(WHITESPACE_RUN, " ");
  }
  if (config["handle_chinese_chars"] !== false && MAYBE_CHINESE.test(text)) {
    let out = "";
    for (const ch of text) out += isChineseChar(ch.codePointAt(0) ?? 0) ? ` ${ch} ` : ch;
    text = out;
  }
  const stripAccents = typeof config["strip_accents"] === "boolean" ? config["strip_accents"] : lowercase;
  if (stripAccents) text = text.normalize("NFD").replace(/\p{Mn}/gu, "");
  if (lowercase) text = lowercasePerChar(text);
  return text;
}

// ---------------------------------------------------------------------------------------------

function patchNormalizer(instance: unknown, config: unknown): void {
  if (!isPatchable(instance) || !isConfig(config)) return;
  switch (config["type"]) {
    case "Sequence": {
      const children = instance["normalizers"];
      const configs = config["normalizers"];
      if (Array.isArray(children) && Array.isArray(configs)) {
        children.forEach((child, i) => patchNormalizer(child, configs[i]));
      }
      return;
    }
    case "Precompiled": {
      const blob = config["precompiled_charsmap"];
      if (typeof blob === "string" && blob.length > 0) {
        const charsmap = PrecompiledCharsmap.fromBase64(blob);
        instance["normalize"] = (text: string) => charsmap.normalize(text);
      }
      return;
    }
    case "BertNormalizer":
      instance["normalize"] = (text: string) => bertNormalize(text, config);
      return;
    case "Lowercase":
      instance["normalize"] = lowercasePerChar;
      return;
    case "Strip": {
      const left = config["strip_left"] === true;
      const right = config["strip_right"] === true;
      const leading = new RegExp(`^[${WS}]+`, "u");
      const trailing = new RegExp(`[${WS}]+$`, "u");
      instance["normalize"] = (text: string) => {
        if (left) text = text.replace(leading, "");
        if (right) text = text.replace(trailing, "");
        return text;
      };
      return;
    }
    default:
      return;
  }
}

function patchPreTokenizer(instance: unknown, config: unknown): void {
  if (!isPatchable(instance) || !isConfig(config)) return;
  switch (config["type"]) {
    case "Sequence": {
      const children = instance["tokenizers"];
      const configs = config["pretokenizers"];
      if (Array.isArray(children) && Array.isArray(configs)) {
        children.forEach((child, i) => patchPreTokenizer(child, configs[i]));
      }
      return;
    }
    case "ByteLevel":
      instance["pattern"] = new RegExp(
        `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![${NOT_WS}])|[${WS}]+`,
        "gu",
      );
      return;
    case "BertPreTokenizer": {
      const pattern = new RegExp(`[^${WS}${BERT_PUNCT}]+|[${BERT_PUNCT}]`, "gu");
      instance["pre_tokenize_text"] = (text: string) => text.match(pattern) ?? [];
      return;
    }
    case "Whitespace": {
      const pattern = new RegExp(`[${WORD}]+|[^${WORD}${WS}]+`, "gu");
      instance["pre_tokenize_text"] = (text: string) => text.match(pattern) ?? [];
      return;
    }
    case "WhitespaceSplit": {
      const pattern = new RegExp(`[${NOT_WS}]+`, "gu");
      instance["pre_tokenize_text"] = (text: string) => text.match(pattern) ?? [];
      return;
    }
    case "Metaspace":
      instance["pre_tokenize_text"] = metaspace(config);
      return;
    default:
      return;
  }
}

/** Rust `Metaspace::pre_tokenize`: spaces → replacement, optional prefix, split before each replacement. */
function metaspace(config: Config): (text: string, options?: { section_index?: number }) => string[] {
  const replacement = typeof config["replacement"] === "string" ? config["replacement"] : "\u2581";
  const strRep = typeof config["str_rep"] === "string" && config["str_rep"] !== "" ? config["str_rep"] : replacement;
  let scheme = config["prepend_scheme"];
  if (typeof scheme !== "string") scheme = config["add_prefix_space"] === false ? "never" : "always";
  const split = config["split"] !== false;
  const escaped = [...replacement].map((c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`).join("");
  const pieces = new RegExp(`${escaped}(?:(?!${escaped})[^])*|(?:(?!${escaped})[^])+`, "gu");
  return (text, options) => {
    let s = text.replaceAll(" ", strRep);
    const prepend = scheme === "always" || (scheme === "first" && (options?.section_index ?? 0) === 0);
    if (prepend && !s.startsWith(replacement)) s = strRep + s;
    if (!split) return [s];
    return s.match(pieces) ?? [];
  };
}

function patchModel(instance: unknown, config: unknown): void {
  if (!isPatchable(instance) || !isConfig(config)) return;
  const isUnigram = config["type"] === "Unigram" || (config["type"] === undefined && Array.isArray(config["vocab"]));
  const tokenize = instance["tokenize"];
  if (isUnigram && typeof tokenize === "function") {
    instance["encode"] = (tokens: readonly string[]) => {
      const out: string[] = [];
      for (const token of tokens) {
        for (const piece of tokenize.call(instance, token) as string[]) out.push(piece);
      }
      return out;
    };
  }
}

function isPatchable(value: unknown): value is Patchable {
  return (typeof value === "object" || typeof value === "function") && value !== null;
}

function isConfig(value: unknown): value is Config {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
