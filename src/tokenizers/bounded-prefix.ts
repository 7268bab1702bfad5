/**
 * Bounded tokenization for truncation: when a text will be cut to `need` tokens, tokenize only a
 * prefix of it that provably (or, inside one long word, verifiably) yields the same first `need`
 * tokens as the whole text. A 50 MB line truncated to 24 tokens costs a few kilobytes of work.
 *
 * Why a prefix gives the same leading tokens. Every supported tokenizer (see `cutRules`) is
 * local: its normalizer maps text piece by piece (per character, or per grapheme cluster for
 * Precompiled), its pre-tokenizer splits at whitespace (and punctuation, digits, CJK ideographs)
 * and the model then encodes each pre-token on its own. Cut the text at `j` where `text[j]` is
 * White_Space and `text[j-1]` is not (and is not a character that a normalizer maps to
 * whitespace or that glues to the next grapheme, see SAFE_BEFORE_CUT): no normalizer output and
 * no pre-token spans the cut, so `tokens(text[0:j])` is exactly a prefix of `tokens(text)`.
 * Characters the tokenizer drops (leading whitespace, control characters, stripped accents,
 * unknown characters) only mean that a prefix of k characters may give fewer tokens than
 * expected; the prefix grows (×4) until it gives `need + CUT_MARGIN` tokens or is the whole text.
 * CUT_MARGIN more tokens than needed guard a tail effect no proof covers (a tokenizer.json whose
 * normalizer maps some other character to whitespace).
 *
 * Inside a run of more than a few thousand characters without such a cut (one huge word, CJK
 * text for a SentencePiece or byte-level BPE model) the cut falls between two code points. BPE
 * merges and Unigram's Viterbi can in principle reach further back than one token, so there the
 * result is verified, not assumed: two cuts (at `j` and at `≥ 2j`) must agree on their first
 * `need + WORD_MARGIN` tokens; otherwise the prefix keeps growing, up to the whole text.
 *
 * @example
 * const ids = boundedIds(text, 510, (s) => tok.encode(s).ids, cutRulesOf(tokenizerJson));
 * ids.slice(0, 510); // === full.slice(0, 510) for any text
 */

/** Where a tokenizer may be cut; `undefined` = it is not local, always tokenize the whole text. */
export interface CutRules {
  /** Also cut right after a CJK ideograph (BertNormalizer's handle_chinese_chars isolates them). */
  afterCjk: boolean;
}

/** Surplus tokens a whitespace cut must give beyond the ones truncation keeps. */
export const CUT_MARGIN = 8;
/** Tokens two in-word cuts must agree on beyond the ones truncation keeps. */
export const WORD_MARGIN = 32;

/** Texts up to this many characters per needed token (and at least MIN_PREFIX) are tokenized whole. */
const CHARS_PER_TOKEN = 8;
const MIN_PREFIX = 256;
/** A whitespace cut is looked for in `[k, k + k/2]`; past that the cut falls inside the word. */
const WINDOW = 0.5;

/** Grapheme Prepend characters that are letters (the Cf ones are in \p{C}): they glue to what follows. */
const PREPEND_LETTERS = "\\u0D4E\\u{111C2}\\u{111C3}\\u{1193F}\\u{11941}\\u{11A3A}\\u{11A84}-\\u{11A89}\\u{11D46}\\u{11F02}";
/**
 * The character before a whitespace cut: not whitespace, not a control/format/private/unassigned
 * character (Precompiled charsmaps map U+200B, U+200C, U+200E, U+200F and U+FEFF to a space), not
 * U+2581 or U+FFFD (mapped to a space by XLM-R's charsmap), not a grapheme Prepend character.
 */
const SAFE_BEFORE_CUT = `[^\\p{White_Space}\\p{C}\\u2581\\uFFFD${PREPEND_LETTERS}]`;
const WHITESPACE_CUT = new RegExp(`(?<=${SAFE_BEFORE_CUT})\\p{White_Space}`, "gu");
/** BMP CJK ideographs of Rust BertNormalizer's `is_chinese_char`, followed by a non-mark. */
const CJK_CUT = /(?<=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])(?![\p{M}\u200D])/gu;

/**
 * The first whitespace (or CJK) cut in `[from, to]`, or -1. A cut `j` means the prefix `text[0:j]`.
 */
export function findCut(text: string, from: number, to: number, rules: CutRules): number {
  const lo = Math.max(1, from);
  const hi = Math.min(to, text.length - 1);
  if (lo > hi) return -1;
  const window = text.slice(lo - 1, hi + 1);
  let best = -1;
  for (const re of rules.afterCjk ? [WHITESPACE_CUT, CJK_CUT] : [WHITESPACE_CUT]) {
    re.lastIndex = 1;
    const m = re.exec(window);
    if (m && m.index >= 1 && m.index + lo - 1 <= hi) {
      const j = m.index + lo - 1;
      if (best < 0 || j < best) best = j;
    }
  }
  return best;
}

/** The first code-point boundary at or after `from` that does not split a grapheme's start from its marks. */
export function findWordCut(text: string, from: number): number {
  for (let j = Math.max(1, from); j < text.length; j++) {
    const prev = text.charCodeAt(j - 1);
    const cur = text.charCodeAt(j);
    if (prev >= 0xd800 && prev <= 0xdbff) continue; // inside a surrogate pair
    if (prev === 0x200d || cur === 0x200d) continue; // zero-width joiner
    const cp = text.codePointAt(j) ?? 0;
    if (/[\p{M}\p{Cf}]/u.test(String.fromCodePoint(cp))) continue; // marks and format characters attach to the left
    if (cp >= 0x1f1e6 && cp <= 0x1f1ff) continue; // regional indicators pair up
    return j;
  }
  return -1;
}

/** One step of the search: the ids of `text[0:end]` and how many of them equal the whole text's. */
export interface PrefixIds {
  /** `tokenize(text.slice(0, end))`. */
  ids: number[];
  /** Characters of the text tokenized: `text.slice(0, end)` gives the same truncated result as `text`. */
  end: number;
  /** Leading ids known to equal the whole text's; `ids.length` when `whole`. */
  trusted: number;
  whole: boolean;
}

/**
 * Grows a prefix of `text` until its tokens are enough, or the text is whole. `tokenize` maps a
 * prefix (a string) to its ids; it must be the whole pipeline (prompt prepended, lower-cased...)
 * as long as that pipeline keeps whitespace boundaries.
 */
export class PrefixCursor {
  private k: number;
  current: PrefixIds | undefined;

  constructor(
    private readonly text: string,
    private readonly tokenize: (prefix: string) => number[],
    private readonly rules: CutRules | undefined,
    need: number,
  ) {
    this.k = Math.max(MIN_PREFIX, CHARS_PER_TOKEN * (need + CUT_MARGIN));
  }

  /** The current prefix, computing the first one when needed. */
  get state(): PrefixIds {
    return this.current ?? this.advance();
  }

  /** Tokenizes the next, longer prefix (about 4× the last), or the whole text. */
  advance(): PrefixIds {
    if (this.current?.whole) return this.current;
    const text = this.text;
    const k = this.k;
    this.k *= 4;
    if (this.rules === undefined || text.length <= 2 * k) return (this.current = this.whole());
    const cut = findCut(text, k, Math.floor(k * (1 + WINDOW)), this.rules);
    if (cut > 0) {
      const ids = this.tokenize(text.slice(0, cut));
      return (this.current = { ids, end: cut, trusted: Math.max(0, ids.length - CUT_MARGIN), whole: false });
    }
    const j = findWordCut(text, k);
    const j2 = j < 0 ? -1 : findWordCut(text, 2 * j);
    if (j2 < 0) return (this.current = this.whole());
    const shorter = this.tokenize(text.slice(0, j));
    const ids = this.tokenize(text.slice(0, j2));
    let same = 0;
    while (same < shorter.length && shorter[same] === ids[same]) same++;
    return (this.current = { ids, end: j2, trusted: Math.max(0, same - WORD_MARGIN), whole: false });
  }

  private whole(): PrefixIds {
    const ids = this.tokenize(this.text);
    return { ids, end: this.text.length, trusted: ids.length, whole: true };
  }
}

/** Advances until at least `need` leading ids are trusted, or the text is whole. */
export function growUntil(cursor: PrefixCursor, need: number): PrefixIds {
  let s = cursor.state;
  while (!s.whole && s.trusted < need) s = cursor.advance();
  return s;
}

/**
 * The cut rules of a tokenizer.json, or `undefined` when a component is not known to be local
 * (then texts are always tokenized whole). Local: normalizers that map characters or graphemes
 * (BertNormalizer, Lowercase, NFC/NFD/NFKC/NFKD, StripAccents, Strip, Prepend, Precompiled,
 * Replace of whitespace by whitespace or of non-whitespace by non-whitespace); pre-tokenizers that
 * split at whitespace (BertPreTokenizer, Whitespace, WhitespaceSplit, Metaspace with `split`,
 * ByteLevel with its regex), optionally followed by Punctuation / Digits; added tokens without
 * whitespace.
 */
export function cutRulesOf(json: Record<string, unknown>): CutRules | undefined {
  const added = Array.isArray(json["added_tokens"]) ? (json["added_tokens"] as unknown[]) : [];
  const contents = added.map((t) => (isRecord(t) && typeof t["content"] === "string" ? t["content"] : ""));
  if (contents.some((c) => /\p{White_Space}/u.test(c))) return undefined;
  const normalizer = json["normalizer"];
  if (!localNormalizer(normalizer)) return undefined;
  if (!splitsAtWhitespace(json["pre_tokenizer"])) return undefined;
  const bertCjk = isRecord(normalizer) && normalizer["type"] === "BertNormalizer" && normalizer["handle_chinese_chars"] !== false;
  const cjkInAdded = contents.some((c) => /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u.test(c));
  return { afterCjk: bertCjk && !cjkInAdded && isBertLike(json["pre_tokenizer"]) };
}

const PER_CHAR_NORMALIZERS = new Set(["BertNormalizer", "Lowercase", "NFC", "NFD", "NFKC", "NFKD", "StripAccents", "Strip", "Prepend", "Precompiled"]);
/** Regex Replace patterns that only ever match whitespace. */
const WHITESPACE_REGEXES = new Set([" {2,}", " +", "\\s+", "\\s{2,}", "  +"]);

function localNormalizer(n: unknown): boolean {
  if (n === null || n === undefined) return true;
  if (!isRecord(n)) return false;
  const type = n["type"];
  if (type === "Sequence") return Array.isArray(n["normalizers"]) && n["normalizers"].every(localNormalizer);
  if (typeof type === "string" && PER_CHAR_NORMALIZERS.has(type)) return true;
  if (type === "Replace") {
    const pattern = n["pattern"];
    const content = typeof n["content"] === "string" ? n["content"] : undefined;
    if (!isRecord(pattern) || content === undefined) return false;
    const ws = (s: string): boolean => /^\p{White_Space}*$/u.test(s);
    const nonWs = (s: string): boolean => !/\p{White_Space}/u.test(s);
    if (typeof pattern["String"] === "string") {
      const p = pattern["String"];
      return p.length > 0 && ((ws(p) && ws(content)) || (nonWs(p) && nonWs(content)));
    }
    return typeof pattern["Regex"] === "string" && WHITESPACE_REGEXES.has(pattern["Regex"]) && ws(content);
  }
  return false;
}

const WHITESPACE_SPLITTERS = new Set(["BertPreTokenizer", "Whitespace", "WhitespaceSplit"]);
const LOCAL_SPLITTERS = new Set(["Punctuation", "Digits", "UnicodeScripts"]);

/** At least one step splits at whitespace, and every step is local. */
function splitsAtWhitespace(p: unknown): boolean {
  const steps = isRecord(p) && p["type"] === "Sequence" && Array.isArray(p["pretokenizers"]) ? (p["pretokenizers"] as unknown[]) : [p];
  let splits = false;
  for (const s of steps) {
    if (!isRecord(s)) return false;
    const type = s["type"];
    if (typeof type === "string" && WHITESPACE_SPLITTERS.has(type)) splits = true;
    else if (type === "Metaspace" && s["split"] !== false) splits = true;
    else if (type === "ByteLevel" && s["use_regex"] !== false) splits = true;
    else if (!(typeof type === "string" && LOCAL_SPLITTERS.has(type))) return false;
  }
  return splits;
}

/** A pre-tokenizer that splits at every whitespace AND keeps a lone CJK ideograph a pre-token of its own. */
function isBertLike(p: unknown): boolean {
  return isRecord(p) && (p["type"] === "BertPreTokenizer" || p["type"] === "WhitespaceSplit" || p["type"] === "Whitespace");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
