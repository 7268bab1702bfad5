/**
 * Bounded tokenization (bounded-prefix.ts) changes no result: for random texts built to stress the
 * cut (long whitespace runs, leading characters the tokenizer drops, emoji sequences, CJK, combining
 * marks, control and format characters, lone surrogates, words longer than WordPiece's limit),
 * `encode(..., { maxLength })` equals the same tokenizer with bounding switched off, for WordPiece,
 * byte-level BPE and SentencePiece Unigram fixtures, single texts and pairs; and the prefixes of
 * `truncationPrefixes` give the same ids again. A 20 MB line costs the tokenizer a few thousand
 * characters, counted at the library's `encode`.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { cutRulesOf, findCut } from "./bounded-prefix.js";
import { TextTokenizer } from "./text-tokenizer.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
const MODELS = ["st-bert-mean", "st-roberta-bpe-mean-normalize", "st-xlmr-spm-mean-dense"] as const;

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** The fixture's tokenizer, and the same one with bounding off (an added token with a space disables it; no text holds it). */
function pairOfTokenizers(name: string): { bounded: TextTokenizer; whole: TextTokenizer } {
  const json = readJson(`${FIXTURES}${name}/tokenizer.json`);
  const config = readJson(`${FIXTURES}${name}/tokenizer_config.json`);
  const added = [...((json["added_tokens"] as unknown[]) ?? [])];
  const id = 1_000_000;
  added.push({ id, content: "\uE000 \uE000", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  expect(cutRulesOf(json)).toBeDefined();
  expect(cutRulesOf({ ...json, added_tokens: added })).toBeUndefined();
  return { bounded: TextTokenizer.fromJson(json, config), whole: TextTokenizer.fromJson({ ...json, added_tokens: added }, config) };
}

/** mulberry32: a small seeded generator, so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "the", "quick", "brown", "fox", "jumps", "über", "naïve", "café", "Ελληνικά", "ΟΔΟΣ", "русский", "العربية", "नमस्ते", "हिन्दी",
  "中文", "日本語", "한국어", "東京都", "😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "e\u0301", "a\u0308\u0301", "\u0301\u0302", "x\u200dy", "\u200b", "\u200c", "\ufeff",
  "\u2581", "\ufffd", "\ud800", "\udc00", "\u0000", "\u0007", "\u0085", "\u00a0", "\u3000", "\u2028", "\u0600", "\u0d4e", "\ue001",
  "can't", "I'm", "3.14159", "12345", "$%&", "...", "--", "\u00a8", "\ufdfa", "ﬁ", "Ⅻ", "𝔘𝔫𝔦", "𠀋", "a".repeat(120), "xyz".repeat(40),
];
const SPACES = [" ", "  ", "\t", "\n", "\r\n", " ".repeat(50), "\u3000", "\u00a0", "\u2003", "", "", ""];

function randomText(r: () => number, length: number): string {
  let out = "";
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  while (out.length < length) {
    const roll = r();
    if (roll < 0.02) out += " ".repeat(Math.floor(r() * 1500));
    else if (roll < 0.03) out += "\u0301".repeat(Math.floor(r() * 500));
    else if (roll < 0.04) out += "中文字".repeat(Math.floor(r() * 400));
    else if (roll < 0.05) out += "\u0000\u0007\u200b".repeat(Math.floor(r() * 300));
    else if (roll < 0.06) out += String.fromCodePoint(Math.floor(r() * 0x2ffff));
    else out += pick(PIECES) + pick(SPACES);
  }
  return out;
}

/** Texts whose first thousands of characters give no tokens at all, then some. */
function leadingDropped(): string[] {
  const tail = "the quick brown fox jumps over the lazy dog ".repeat(20);
  return [
    " ".repeat(5000) + tail,
    "\u0000\u0007\u200b\ufeff".repeat(600) + tail,
    "\u0301".repeat(2000) + tail,
    "\u3000\u00a0\t\n".repeat(600) + tail,
    "\ue001 ".repeat(1500) + tail,
    `${"中".repeat(2000)} ${tail}`,
    "a".repeat(2000) + tail,
    `${"word ".repeat(400)}${"\u0301".repeat(2000)}${tail}`,
    "😀".repeat(1000) + tail,
    `${"x".repeat(5000)} y`,
  ];
}

describe.each(MODELS)("bounded tokenization equals whole tokenization: %s", (name) => {
  const { bounded, whole } = pairOfTokenizers(name);
  const r = rng(0x5eed ^ name.length);
  const texts = [...leadingDropped(), ...Array.from({ length: 16 }, () => randomText(r, 600 + Math.floor(r() * 1500)))];
  const lengths = [3, 9, 31];

  it("single texts, every maxLength", () => {
    for (const [i, text] of texts.entries()) {
      for (const maxLength of lengths) {
        const expected = whole.encode(text, undefined, { maxLength });
        expect(bounded.encode(text, undefined, { maxLength }), `text ${i}, maxLength ${maxLength}`).toEqual(expected);
        const p = bounded.truncationPrefixes(text, undefined, maxLength);
        expect(p.text.length).toBeLessThanOrEqual(text.length);
        expect(whole.encode(p.text, undefined, { maxLength }), `prefix of text ${i}, maxLength ${maxLength}`).toEqual(expected);
        expect(p.tokens).toBe(expected.ids.length);
      }
    }
  });

  it("pairs (longest-first), odd and even budgets, through the prefixes too", () => {
    const rows: [string, string][] = [];
    for (let i = 0; i + 1 < texts.length; i += 2) rows.push([texts[i] as string, texts[i + 1] as string]);
    const long = "alpha beta gamma delta ".repeat(400);
    rows.push([long, `${long}omega`], [`${long}omega`, long], [long, long], [long, "short"], ["short", long]);
    for (const [i, [a, b]] of rows.entries()) {
      for (const maxLength of [9, 24]) {
        const expected = whole.encodeRows([[a, b]], { maxLength });
        expect(bounded.encodeRows([[a, b]], { maxLength }), `pair ${i}, maxLength ${maxLength}`).toEqual(expected);
        const p = bounded.truncationPrefixes(a, b, maxLength);
        expect(whole.encodeRows([[p.text, p.pair ?? ""]], { maxLength }), `prefixes of pair ${i}, maxLength ${maxLength}`).toEqual(expected);
      }
    }
  });

  it("a prompt and lower-casing applied to each prefix", () => {
    const prepare = (s: string): string => `query: ${s}`.toLowerCase();
    for (const text of texts.slice(0, 8)) {
      const p = bounded.truncationPrefixes(text, undefined, 24, prepare);
      expect(whole.encode(prepare(p.text), undefined, { maxLength: 24 })).toEqual(whole.encode(prepare(text), undefined, { maxLength: 24 }));
    }
  });
});

describe("work per input is bounded by the truncation length", () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(MODELS)("%s: a 20 MB line is given to the tokenizer as a few thousand characters", async (name) => {
    const tok = await TextTokenizer.fromFolder(`${FIXTURES}${name}`);
    const spy = vi.spyOn(Tokenizer.prototype, "encode");
    const charsGiven = (text: string, pair?: string): number => {
      spy.mockClear();
      tok.encode(text, pair, { maxLength: 24 });
      return spy.mock.calls.reduce((s: number, c: unknown[]) => s + String(c[0]).length, 0);
    };
    const line = "the quick brown fox jumps over the lazy dog ".repeat(20_000_000 / 44);
    const small = line.slice(0, 20_000);
    expect(charsGiven(line)).toBeLessThan(4 * charsGiven(small) + 1);
    expect(charsGiven(line)).toBeLessThan(10_000);
    expect(charsGiven(line, line)).toBeLessThan(1 << 18);
    // Leading characters that give no token are read, but not the rest of the line.
    expect(charsGiven(" ".repeat(100_000) + line)).toBeLessThan(1_000_000);
  });
});

describe("findCut", () => {
  it("cuts between a character and whitespace, never after a format character, U+2581 or U+FFFD", () => {
    const rules = { afterCjk: false };
    expect(findCut("ab cd", 1, 4, rules)).toBe(2);
    expect(findCut("a\u200b cd", 1, 5, rules)).toBe(-1);
    expect(findCut("a\u2581 cd", 1, 5, rules)).toBe(-1);
    expect(findCut("a\ufffd cd", 1, 5, rules)).toBe(-1);
    expect(findCut("中文字", 1, 3, rules)).toBe(-1);
    expect(findCut("中文字", 1, 3, { afterCjk: true })).toBe(1);
    expect(findCut("中\u0301文", 1, 3, { afterCjk: true })).toBe(-1);
  });
});
