import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";
import { describe, expect, it } from "vitest";
import { bertNormalize, lowercasePerChar, patchLibraryTokenizer } from "./library-patches.js";
import { TextTokenizer } from "./text-tokenizer.js";

type Json = Record<string, unknown>;
const FIXTURES = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
const fixtureJson = (name: string): Json => JSON.parse(readFileSync(`${FIXTURES}${name}/tokenizer.json`, "utf8")) as Json;

/** The library's tokenizer for `json`, unpatched and patched, with its internals callable. */
function both(json: Json): { before: LibraryInternals; after: LibraryInternals } {
  const full = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json };
  const before = new Tokenizer(full, {}) as unknown as LibraryInternals;
  const after = new Tokenizer(full, {});
  patchLibraryTokenizer(after, full);
  return { before, after: after as unknown as LibraryInternals };
}
interface LibraryInternals {
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: ((text: string, options?: { section_index?: number }) => string[]) | null;
  model: (tokens: string[]) => string[];
}

/** A word-level tokenizer.json around `pre_tokenizer` (vocab: the words given). */
function wordLevel(preTokenizer: Json | null, words: string[], normalizer: Json | null = null): Json {
  const vocab: Record<string, number> = { "[UNK]": 0 };
  words.forEach((w, i) => (vocab[w] = i + 1));
  return { model: { type: "WordLevel", vocab, unk_token: "[UNK]" }, pre_tokenizer: preTokenizer, normalizer };
}

describe("BertNormalizer", () => {
  const uncased = { clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true };

  it("isolates CJK ideographs outside the BMP (the library tests UTF-16 units)", () => {
    expect(bertNormalize("a\u{20000}b", uncased)).toBe("a \u{20000} b");
    expect(bertNormalize("a\u4e00b", uncased)).toBe("a \u4e00 b");
    // Rust's table starts Extension E at U+2B920 (upstream typo), so U+2B820 is not isolated
    expect(bertNormalize("a\u{2b820}b", uncased)).toBe("a\u{2b820}b");
    const { before, after } = both({ ...fixtureJson("st-bert-mean"), post_processor: null });
    expect(after.normalizer?.("x\u{20001}y")).toBe("x \u{20001} y");
    expect(before.normalizer?.("x\u{20001}y")).toBe("x\u{20001}y");
  });

  it("lowercases per character, without the final-sigma rule", () => {
    expect(lowercasePerChar("ΟΔΟΣ ΣΑΣ")).toBe("οδοσ σασ");
    expect("ΟΔΟΣ".toLowerCase()).toBe("οδος");
    expect(bertNormalize("ΟΔΟΣ", uncased)).toBe("οδοσ");
  });

  it("drops controls, format and unassigned characters; maps White_Space to a space", () => {
    expect(bertNormalize("a\u0000b\uFFFDc\u0001d\u200Be\uFEFFf\u0378g", uncased)).toBe("abcdefg");
    expect(bertNormalize("a\tb\nc\u3000d\u00A0e\u2028f", uncased)).toBe("a b c d e f");
    expect(bertNormalize("a\u0085b", uncased)).toBe("ab"); // NEL is Cc: removed before the whitespace map
  });

  it("strips accents before lowercasing, and follows strip_accents / lowercase flags", () => {
    expect(bertNormalize("Café Ångström", uncased)).toBe("cafe angstrom");
    expect(bertNormalize("Café", { ...uncased, lowercase: false })).toBe("Café");
    expect(bertNormalize("Café", { ...uncased, strip_accents: false })).toBe("café");
    expect(bertNormalize("Café", { ...uncased, lowercase: false, strip_accents: true })).toBe("Cafe");
  });
});

describe("pre-tokenizers", () => {
  it("ByteLevel splits on Unicode White_Space (U+0085 yes, U+FEFF no)", () => {
    const { before, after } = both(fixtureJson("st-roberta-bpe-mean-normalize"));
    const bytes = (s: string) => s.length; // byte-level pre-tokens hold one character per UTF-8 byte
    // "\uFEFF!" is one non-space run in Rust; JS \s wrongly counts U+FEFF as space
    expect(after.pre_tokenizer?.("a\uFEFF!").map(bytes)).toEqual([1, 4]);
    expect(before.pre_tokenizer?.("a\uFEFF!").map(bytes)).toEqual([1, 3, 1]);
    // U+0085 (NEL) is whitespace in Rust, not in JS
    expect(after.pre_tokenizer?.("a\u0085!").map(bytes)).toEqual([1, 2, 1]);
    expect(before.pre_tokenizer?.("a\u0085!").map(bytes)).toEqual([1, 3]);
  });

  it("BertPreTokenizer keeps U+FEFF as a word and splits on U+0085", () => {
    const json = { ...fixtureJson("st-bert-mean"), normalizer: null };
    const { before, after } = both(json);
    expect(after.pre_tokenizer?.("\uFEFFab, c\u0085d")).toEqual(["\uFEFFab", ",", "c", "d"]);
    expect(before.pre_tokenizer?.("\uFEFFab, c\u0085d")).toEqual(["ab", ",", "c\u0085d"]);
  });

  it("Whitespace uses Unicode word characters", async () => {
    const json = wordLevel({ type: "Whitespace" }, ["Café", "au", "lait", "!?"]);
    const { before, after } = both(json);
    expect(after.pre_tokenizer?.("Café au lait!?")).toEqual(["Café", "au", "lait", "!?"]);
    expect(before.pre_tokenizer?.("Café au lait!?")).toEqual(["Caf", "é", "au", "lait", "!?"]);
    const tok = TextTokenizer.fromJson(json);
    expect(tok.encode("Café au lait!? unknown").ids).toEqual([1, 2, 3, 4, 0]);
  });

  it("WhitespaceSplit splits on White_Space only", () => {
    const { before, after } = both(wordLevel({ type: "WhitespaceSplit" }, []));
    expect(after.pre_tokenizer?.("a\uFEFFb c\u0085d")).toEqual(["a\uFEFFb", "c", "d"]);
    expect(before.pre_tokenizer?.("a\uFEFFb c\u0085d")).toEqual(["a", "b", "c\u0085d"]);
  });

  it("Metaspace splits before each ▁ (split defaults to true) and honours prepend_scheme", () => {
    const meta = (extra: Json) => both(wordLevel({ type: "Metaspace", replacement: "▁", ...extra }, [])).after;
    expect(meta({ prepend_scheme: "always", split: true }).pre_tokenizer?.("Hello  world")).toEqual(["▁Hello", "▁", "▁world"]);
    expect(meta({ prepend_scheme: "always" }).pre_tokenizer?.("Hello world")).toEqual(["▁Hello", "▁world"]);
    expect(meta({ prepend_scheme: "always", split: false }).pre_tokenizer?.("Hello world")).toEqual(["▁Hello▁world"]);
    expect(meta({ prepend_scheme: "never" }).pre_tokenizer?.("Hello world")).toEqual(["Hello", "▁world"]);
    expect(meta({ add_prefix_space: false }).pre_tokenizer?.("Hello")).toEqual(["Hello"]);
    expect(meta({ prepend_scheme: "first" }).pre_tokenizer?.("Hi", { section_index: 1 })).toEqual(["Hi"]);
    expect(meta({ prepend_scheme: "first" }).pre_tokenizer?.("Hi", { section_index: 0 })).toEqual(["▁Hi"]);
  });
});

describe("normalizers", () => {
  it("Precompiled uses the charsmap, not the library's NFKC approximation", () => {
    const { before, after } = both(fixtureJson("st-xlmr-spm-mean-dense"));
    expect(after.normalizer?.("ｈｅｌｌｏ\u3000①ﬁ")).toBe("hello 1fi");
    // U+200D (ZWJ) has no charsmap entry; the library turns it into a space
    expect(after.normalizer?.("a\u200Db")).toBe("a\u200Db");
    expect(before.normalizer?.("a\u200Db")).toBe("a b");
  });

  it("Lowercase and Strip follow Rust", () => {
    const { after } = both(
      wordLevel(null, [], { type: "Sequence", normalizers: [{ type: "Strip", strip_left: true, strip_right: true }, { type: "Lowercase" }] }),
    );
    expect(after.normalizer?.("\u0085 ΟΔΟΣ \uFEFF")).toBe("οδοσ \uFEFF");
  });
});

describe("Unigram", () => {
  it("encodes a word of 300k pieces without overflowing the stack", () => {
    const { before, after } = both(fixtureJson("st-xlmr-spm-mean-dense"));
    const word = "▁" + "xq".repeat(150_000);
    expect(() => before.model([word])).toThrow(RangeError);
    expect(after.model([word]).length).toBeGreaterThan(100_000);
  });
});
