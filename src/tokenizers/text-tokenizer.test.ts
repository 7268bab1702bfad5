import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { TextTokenizer, toWellFormed, type TokenBatch } from "./text-tokenizer.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
/** The max_seq_length / max_length the fixture models were saved with (the CLIP fixtures' golden says 32). */
const FIXTURE_MAX_LENGTH = 24;
const maxLengthOf = (golden: Json | null | undefined): number => {
  // cross-encoder goldens state max_length, multi-vector goldens the longest document (= max_seq_length)
  // a Router's goldens state one per route (`query_route_max_seq_length`)
  const perRoute = Object.entries(golden ?? {}).find(([k, v]) => k.endsWith("_max_seq_length") && typeof v === "number")?.[1];
  const stated = golden?.["max_seq_length"] ?? golden?.["max_length"] ?? golden?.["document_length"] ?? perRoute;
  return typeof stated === "number" ? stated : FIXTURE_MAX_LENGTH;
};

type Json = Record<string, unknown>;
interface TokenizationRecord {
  text: string | [string, string];
  input_ids: number[];
  input_ids_truncated: number[];
  attention_mask_truncated: number[];
  /** Fixtures whose model tokenizes WITHOUT special tokens (StaticEmbedding): `input_ids` have none, these have them. */
  input_ids_with_special_tokens?: number[];
  token_type_ids_truncated?: number[];
  /**
   * The second fixture batch records pairs in the BATCH form `tokenizer([a], [b])` (what
   * CrossEncoder.predict feeds the model: an empty second text stays an empty segment with its own
   * separator); where the single-call form `tokenizer(a, b)` differs, it is here. The first batch
   * recorded the single-call form and has no such key.
   */
  input_ids_tokenizer_single_call?: number[];
}

/** Whether the record's `input_ids*` are the batch form of an empty second text (one separator more than a single call). */
const batchFormRecord = (r: TokenizationRecord): boolean => r.input_ids_tokenizer_single_call !== undefined;
interface ModelFolder {
  /** Path relative to test/fixtures, e.g. `st-bert-mean` or `st-bert-mean-mnrl/initial_model`. */
  name: string;
  dir: string;
  /** golden.json of the folder itself, else of its parent folder. */
  golden: Json | null;
}

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, "utf8")) as Json;
}

/** Every fixture folder (and nested model folder) holding a tokenizer.json. */
function discoverModelFolders(): ModelFolder[] {
  const found: ModelFolder[] = [];
  const visit = (dir: string, name: string, parentGolden: Json | null, depth: number): void => {
    const goldenPath = path.join(dir, "golden.json");
    const golden = existsSync(goldenPath) ? readJson(goldenPath) : parentGolden;
    if (existsSync(path.join(dir, "tokenizer.json"))) found.push({ name, dir, golden });
    if (depth >= 2) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) visit(path.join(dir, entry.name), name === "" ? entry.name : `${name}/${entry.name}`, golden, depth + 1);
    }
  };
  visit(FIXTURES, "", null, 0);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

const folders = discoverModelFolders();
const withTokenization = folders.filter((f) => Array.isArray(f.golden?.["tokenization"]) && existsSync(path.join(f.dir, "golden.json")));
const withTrainingBatch = folders.filter((f) => {
  const batch = f.golden?.["batch"] as Json | undefined;
  return batch !== undefined && Array.isArray(batch["sentence_a"]) && batch["features_a"] !== undefined;
});

const cache = new Map<string, Promise<TextTokenizer>>();
function load(dir: string): Promise<TextTokenizer> {
  let t = cache.get(dir);
  if (t === undefined) {
    t = TextTokenizer.fromFolder(dir);
    cache.set(dir, t);
  }
  return t;
}
const fixture = (name: string): Promise<TextTokenizer> => load(path.join(FIXTURES, name));

/** Row `i` of a padded batch as plain arrays. */
function row(batch: TokenBatch, key: "inputIds" | "attentionMask" | "tokenTypeIds", i: number): number[] {
  return Array.from(batch[key].subarray(i * batch.seqLen, (i + 1) * batch.seqLen));
}
function rows(batch: TokenBatch, key: "inputIds" | "attentionMask" | "tokenTypeIds"): number[][] {
  return Array.from({ length: batch.batchSize }, (_, i) => row(batch, key, i));
}

/** Compares a padded batch with a `model.tokenize` dump (`modality` is not a tensor). */
function expectBatchEquals(batch: TokenBatch, expected: Json): void {
  const keys = Object.keys(expected).filter((k) => k !== "modality");
  expect(keys.sort()).toEqual(expect.arrayContaining(["attention_mask", "input_ids"]));
  for (const key of keys) {
    const field = ({ input_ids: "inputIds", attention_mask: "attentionMask", token_type_ids: "tokenTypeIds" } as const)[
      key as "input_ids" | "attention_mask" | "token_type_ids"
    ];
    expect(field, `unexpected key ${key}`).toBeDefined();
    expect(rows(batch, field), key).toEqual(expected[key]);
  }
  const mask = expected["attention_mask"] as number[][];
  expect(Array.from(batch.lengths)).toEqual(mask.map((r) => r.reduce((s, x) => s + x, 0)));
}

describe("fixture discovery", () => {
  it("finds the tokenizers of every architecture, nested model folders included", () => {
    expect(withTokenization.length).toBeGreaterThanOrEqual(15);
    const names = withTokenization.map((f) => f.name);
    for (const arch of ["bert", "distilbert", "mpnet", "roberta", "xlmr", "ce-"]) {
      expect(names.some((n) => n.includes(arch)), arch).toBe(true);
    }
    expect(withTrainingBatch.some((f) => f.name.endsWith("/initial_model"))).toBe(true);
    expect(withTrainingBatch.some((f) => f.name.endsWith("/trained_model_lr1e-3"))).toBe(true);
  });

  it.each(folders.map((f) => [f.name, f] as const))("%s loads", async (_name, f) => {
    const tok = await load(f.dir);
    // a folder without tokenizer_config.json (StaticEmbedding's: tokenizer.json only) has no model_max_length
    expect(tok.modelMaxLength).toBe(existsSync(path.join(f.dir, "tokenizer_config.json")) ? maxLengthOf(f.golden) : undefined);
    const golden = (f.golden ?? {}) as Json;
    const side = (golden["batch_tokenize"] as Json | undefined)?.["padding_side"] ?? golden["padding_side"] ?? "right";
    expect(tok.paddingSide).toBe(side);
  });
});

describe.each(withTokenization.map((f) => [f.name, f] as const))("golden tokenization: %s", (_name, f) => {
  const golden = f.golden as Json;
  const maxLength = maxLengthOf(golden);
  const records = golden["tokenization"] as TokenizationRecord[];
  // `adds_special_tokens: false` (StaticEmbedding): `input_ids` are encode(text, add_special_tokens=False)
  const addSpecialTokens = golden["adds_special_tokens"] !== false;
  const encodeRecord = (tok: TextTokenizer, r: TokenizationRecord, maxLength?: number, special = addSpecialTokens) =>
    typeof r.text === "string" ? tok.encode(r.text, undefined, { maxLength, addSpecialTokens: special }) : tok.encode(r.text[0], r.text[1], { maxLength, addSpecialTokens: special });

  it("untruncated ids", async () => {
    const tok = await load(f.dir);
    for (const r of records) {
      const single = r.input_ids_tokenizer_single_call ?? r.input_ids;
      expect(encodeRecord(tok, r).ids, JSON.stringify(r.text)).toEqual(single);
      expect(encodeRecord(tok, r, Infinity).ids).toEqual(single);
      if (batchFormRecord(r)) expect(row(tok.encodeBatch([r.text as [string, string]]), "inputIds", 0)).toEqual(r.input_ids);
      if (r.input_ids_with_special_tokens !== undefined) expect(encodeRecord(tok, r, undefined, true).ids).toEqual(r.input_ids_with_special_tokens);
    }
  });

  it.skipIf(records.every((r) => r.input_ids_truncated === undefined))(`ids, mask and type ids truncated to ${maxLength}`, async () => {
    const tok = await load(f.dir);
    for (const r of records) {
      if (batchFormRecord(r)) {
        // an empty second text: the record is the batch form, which the batch of one gives
        const batch = tok.encodeBatch([r.text as [string, string]], { maxLength });
        expect(row(batch, "inputIds", 0), JSON.stringify(r.text)).toEqual(r.input_ids_truncated);
        expect(row(batch, "attentionMask", 0)).toEqual(r.attention_mask_truncated);
        if (r.token_type_ids_truncated !== undefined) expect(row(batch, "tokenTypeIds", 0)).toEqual(r.token_type_ids_truncated);
        continue;
      }
      const { ids, typeIds } = encodeRecord(tok, r, maxLength);
      expect(ids, JSON.stringify(r.text)).toEqual(r.input_ids_truncated);
      if (r.token_type_ids_truncated !== undefined) expect(typeIds).toEqual(r.token_type_ids_truncated);
      // the batch of one gives the mask (a batch keeps an empty second text as a pair: checked below)
      if (typeof r.text !== "string" && r.text[1] === "") continue;
      const input = typeof r.text === "string" ? r.text : ([r.text[0], r.text[1]] as const);
      const batch = tok.encodeBatch([input], { maxLength: maxLength });
      expect(row(batch, "attentionMask", 0)).toEqual(r.attention_mask_truncated);
      expect(row(batch, "tokenTypeIds", 0)).toEqual(typeIds);
    }
  });

  if (golden["batch_tokenize"] !== undefined) {
    it("padded batch equals model.tokenize(sentences)", async () => {
      const tok = await load(f.dir);
      const batch = tok.encodeBatch(golden["sentences"] as string[], { maxLength: maxLength });
      expectBatchEquals(batch, golden["batch_tokenize"] as Json);
    });
  }

  if (Array.isArray(golden["pairs"])) {
    it("padded batch of the pairs equals the per-pair goldens", async () => {
      const tok = await load(f.dir);
      const batch = tok.encodeBatch(golden["pairs"] as [string, string][], { maxLength: maxLength });
      records.forEach((r, i) => {
        const n = r.input_ids_truncated.length;
        expect(row(batch, "inputIds", i).slice(0, n)).toEqual(r.input_ids_truncated);
        // the batch call keeps ("a", "") a pair: one more separator than the single-pair record
        const extra = r.text[1] === "" && !batchFormRecord(r) ? 1 : 0;
        expect(row(batch, "attentionMask", i).filter((m) => m === 1).length).toBe(n + extra);
        expect(row(batch, "inputIds", i).slice(n + extra).every((id) => id === tok.padTokenId)).toBe(true);
      });
    });
  }

  const sentences = golden["sentences"] as string[] | undefined;
  const prompts = golden["prompts"] as Record<string, string> | undefined;
  const promptGoldens: [string, number[][], number][] = [];
  if (sentences !== undefined && prompts?.["query"] !== undefined) {
    const all = golden["tokenization_with_query_prompt_all_sentences"];
    const oneToFour = golden["tokenization_with_query_prompt_sentences_1_4"];
    const one = golden["tokenization_with_query_prompt_sentence_1"];
    if (Array.isArray(all)) promptGoldens.push(["all sentences", all as number[][], 0]);
    if (Array.isArray(oneToFour)) promptGoldens.push(["sentences 1-4", oneToFour as number[][], 1]);
    if (Array.isArray(one)) promptGoldens.push(["sentence 1", [one as number[]], 1]);
  }
  if (promptGoldens.length > 0) {
    it("prompt + text tokenization", async () => {
      const tok = await load(f.dir);
      const prompt = (prompts as Record<string, string>)["query"] as string;
      for (const [, expected, offset] of promptGoldens) {
        expected.forEach((ids, i) => {
          const text = prompt + (sentences as string[])[offset + i];
          expect(tok.encode(text, undefined, { maxLength: maxLength }).ids, text).toEqual(ids);
        });
      }
    });
  }
});

describe.each(withTrainingBatch.map((f) => [f.name, f] as const))("training batch features: %s", (_name, f) => {
  it("encodeBatch(sentence_a / sentence_b) equals the stored features", async () => {
    const tok = await load(f.dir);
    const batch = (f.golden as Json)["batch"] as Json;
    for (const side of ["a", "b"]) {
      const texts = batch[`sentence_${side}`] as string[];
      expectBatchEquals(tok.encodeBatch(texts, { maxLength: FIXTURE_MAX_LENGTH }), batch[`features_${side}`] as Json);
    }
  });
});

describe("pairs", () => {
  it("count the special tokens of each post-processor", async () => {
    expect([(await fixture("st-bert-mean")).countSpecialTokens(false), (await fixture("st-bert-mean")).countSpecialTokens(true)]).toEqual([2, 3]);
    for (const name of ["st-roberta-bpe-mean-normalize", "st-xlmr-spm-mean-dense", "st-mpnet-mean-normalize"]) {
      const tok = await fixture(name);
      expect([tok.countSpecialTokens(false), tok.countSpecialTokens(true)], name).toEqual([2, 4]);
    }
  });

  it("truncate longest first: only the longer side is cut while the shorter fits", async () => {
    const tok = await fixture("ce-bert-1label");
    const long = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen";
    const a = tok.encode(long, undefined, { addSpecialTokens: false }).ids;
    const b = tok.encode("short one", undefined, { addSpecialTokens: false }).ids;
    expect(b).toHaveLength(6);
    const out = tok.encode(long, "short one", { maxLength: 20 });
    expect(out.ids).toEqual([2, ...a.slice(0, 11), 3, ...b, 3]);
    const swapped = tok.encode("short one", long, { maxLength: 20 });
    expect(swapped.ids).toEqual([2, ...b, 3, ...a.slice(0, 11), 3]);
    expect(swapped.typeIds).toEqual([...new Array<number>(8).fill(0), ...new Array<number>(12).fill(1)]);
  });

  it("truncate longest first: both sides when the shorter takes more than half", async () => {
    const tok = await fixture("ce-bert-1label");
    const long = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen";
    const a = tok.encode(long, undefined, { addSpecialTokens: false }).ids;
    const b = tok.encode("short one", undefined, { addSpecialTokens: false }).ids;
    // budget 12 - 3 = 9: the shorter gets floor(9 / 2) = 4, the longer 5
    expect(tok.encode(long, "short one", { maxLength: 12 }).ids).toEqual([2, ...a.slice(0, 5), 3, ...b.slice(0, 4), 3]);
    expect(tok.encode("short one", long, { maxLength: 12 }).ids).toEqual([2, ...b.slice(0, 4), 3, ...a.slice(0, 5), 3]);
  });

  it("encode drops an empty second text (as transformers does for one pair); batches keep it; an empty first text is kept", async () => {
    const tok = await fixture("ce-bert-1label");
    expect(tok.encode("a b", "")).toEqual(tok.encode("a b"));
    expect(tok.encode("", "")).toEqual({ ids: [2, 3], typeIds: [0, 0] });
    const b = tok.encode("a b", undefined, { addSpecialTokens: false }).ids;
    expect(tok.encode("", "a b")).toEqual({ ids: [2, 3, ...b, 3], typeIds: [0, 0, 1, 1, 1] });
    // whitespace-only is not empty: the pair layout stays even though it has no tokens
    expect(tok.encode("a b", "   ")).toEqual({ ids: [2, ...b, 3, 3], typeIds: [0, 0, 0, 0, 1] });
    const batch = tok.encodeBatch([["a b", ""]]);
    expect(row(batch, "inputIds", 0)).toEqual([...tok.encode("a b").ids, 3]);
    expect(row(batch, "tokenTypeIds", 0)).toEqual([0, 0, 0, 0, 1]);
  });

  it("RoBERTa pairs have type ids 0 everywhere and a double separator", async () => {
    const tok = await fixture("st-roberta-bpe-mean-normalize");
    const a = tok.encode("hello", undefined, { addSpecialTokens: false }).ids;
    const b = tok.encode("world", undefined, { addSpecialTokens: false }).ids;
    const out = tok.encode("hello", "world");
    expect(out.ids).toEqual([0, ...a, 2, 2, ...b, 2]);
    expect(out.typeIds.every((t) => t === 0)).toBe(true);
  });

  it("without special tokens the budget is the whole maxLength", async () => {
    const tok = await fixture("st-bert-mean");
    const text = "the quick brown fox jumps over the lazy dog";
    const out = tok.encode(text, undefined, { maxLength: 5, addSpecialTokens: false });
    expect(out.ids).toEqual(tok.encode(text, undefined, { addSpecialTokens: false }).ids.slice(0, 5));
  });
});

describe("batches", () => {
  it("pad mixed lengths on the right with the pad id", async () => {
    for (const [name, padId] of [["st-bert-mean", 0], ["st-roberta-bpe-mean-normalize", 1], ["st-xlmr-spm-mean-dense", 1]] as const) {
      const tok = await fixture(name);
      expect(tok.padTokenId, name).toBe(padId);
      const texts = ["a", "the quick brown fox", ""];
      const batch = tok.encodeBatch(texts);
      const singles = texts.map((t) => tok.encode(t).ids);
      expect(batch.batchSize).toBe(3);
      expect(batch.seqLen).toBe(Math.max(...singles.map((s) => s.length)));
      singles.forEach((ids, i) => {
        const pad = batch.seqLen - ids.length;
        expect(row(batch, "inputIds", i)).toEqual([...ids, ...new Array<number>(pad).fill(padId)]);
        expect(row(batch, "attentionMask", i)).toEqual([...new Array<number>(ids.length).fill(1), ...new Array<number>(pad).fill(0)]);
        expect(batch.lengths[i]).toBe(ids.length);
      });
    }
  });

  it("pad on the left when tokenizer_config.json says so", async () => {
    const json = readJson(path.join(FIXTURES, "st-bert-mean", "tokenizer.json"));
    const tok = TextTokenizer.fromJson(json, { padding_side: "left", pad_token: "[PAD]" });
    expect(tok.paddingSide).toBe("left");
    const batch = tok.encodeBatch(["a", "a b c"]);
    const ids = tok.encode("a").ids;
    expect(row(batch, "inputIds", 0)).toEqual([0, 0, ...ids]);
    expect(row(batch, "attentionMask", 0)).toEqual([0, 0, 1, 1, 1]);
  });

  it("mix single texts and pairs, and give an empty batch for no input", async () => {
    const tok = await fixture("ce-bert-1label");
    const batch = tok.encodeBatch(["a", ["a", "b"]]);
    expect(row(batch, "tokenTypeIds", 1)).toEqual(tok.encode("a", "b").typeIds);
    const empty = tok.encodeBatch([]);
    expect([empty.batchSize, empty.seqLen, empty.inputIds.length]).toEqual([0, 0, 0]);
  });

  it("equal each input encoded alone", async () => {
    const tok = await fixture("st-xlmr-spm-mean-dense");
    const texts = ["Hello", "   spaced   out   ", "日本語のテキスト", "Emoji 😀"];
    const batch = tok.encodeBatch(texts, { maxLength: 8 });
    texts.forEach((t, i) => {
      const single = tok.encode(t, undefined, { maxLength: 8 }).ids;
      expect(row(batch, "inputIds", i).slice(0, single.length)).toEqual(single);
    });
  });
});

describe("edge inputs", () => {
  it("an empty string gives just the special tokens", async () => {
    expect((await fixture("st-bert-mean")).encode("")).toEqual({ ids: [2, 3], typeIds: [0, 0] });
    expect((await fixture("st-roberta-bpe-mean-normalize")).encode("").ids).toEqual([0, 2]);
    expect((await fixture("st-xlmr-spm-mean-dense")).encode("").ids).toEqual([0, 2]);
  });

  it.each(["st-bert-mean", "st-roberta-bpe-mean-normalize", "st-xlmr-spm-mean-dense"])(
    "a 1 MB text (%s) truncates to maxLength",
    async (name) => {
      const tok = await fixture(name);
      const sentence = "The quick brown fox jumps over the lazy dog, 我爱自然语言处理。 ";
      const big = sentence.repeat(Math.ceil(1_000_000 / sentence.length)).slice(0, 1_000_000);
      const out = tok.encode(big, undefined, { maxLength: 24 });
      expect(out.ids).toHaveLength(24);
      expect(out.ids.slice(0, 23)).toEqual(tok.encode(sentence.repeat(3), undefined, { maxLength: 24 }).ids.slice(0, 23));
      // one 1 MB "word" (no spaces): the library overflowed its stack on the Unigram model;
      // WordPiece maps a word over max_input_chars_per_word (100) to [UNK]
      const word = tok.encode("abcdefghij".repeat(100_000), undefined, { maxLength: 24 });
      expect(word.ids).toHaveLength(name === "st-bert-mean" ? 3 : 24);
    },
    60_000,
  );

  it("lone surrogates are replaced by U+FFFD instead of throwing", async () => {
    expect(toWellFormed("a\uD800b\uDC00c\uD83D\uDE00")).toBe("a\uFFFDb\uFFFDc\uD83D\uDE00");
    for (const name of ["st-bert-mean", "st-roberta-bpe-mean-normalize", "st-xlmr-spm-mean-dense"]) {
      const tok = await fixture(name);
      expect(tok.encode("lone \uD800 surrogate\uDFFF")).toEqual(tok.encode("lone \uFFFD surrogate\uFFFD"));
      expect(() => tok.encodeBatch(["\uDBFF", ["\uDC00", "x"]])).not.toThrow();
    }
  });

  it("non-string inputs throw INVALID_INPUT naming the index", async () => {
    const tok = await fixture("st-bert-mean");
    const bad = [["ok", 42], ["ok", null], ["ok", ["a"]], ["ok", ["a", 1]], ["ok", { text: "a" }]] as unknown as string[][];
    for (const inputs of bad) {
      const error = catchError(() => tok.encodeBatch(inputs));
      expect(error).toBeInstanceOf(SbertError);
      expect((error as SbertError).code).toBe("INVALID_INPUT");
      expect((error as SbertError).message).toContain("input 1");
    }
    expect(codeOf(() => tok.encode(42 as unknown as string))).toBe("INVALID_INPUT");
    expect(codeOf(() => tok.encode("a", 7 as unknown as string))).toBe("INVALID_INPUT");
    expect(codeOf(() => tok.encodeBatch("a b" as unknown as string[]))).toBe("INVALID_INPUT");
  });

  it("reject a maxLength that is not an integer or leaves no room for the special tokens", async () => {
    const tok = await fixture("st-bert-mean");
    for (const maxLength of [-1, 2.5, Number.NaN]) {
      expect(codeOf(() => tok.encode("a", undefined, { maxLength })), String(maxLength)).toBe("INVALID_INPUT");
    }
    expect(codeOf(() => tok.encode("a", undefined, { maxLength: 1 }))).toBe("INVALID_INPUT");
    expect(codeOf(() => tok.encode("a", "b", { maxLength: 2 }))).toBe("INVALID_INPUT");
    expect(tok.encode("a b c", undefined, { maxLength: 2 }).ids).toEqual([2, 3]);
  });
});

describe("tokenizer.json settings", () => {
  const trained = path.join(FIXTURES, "st-bert-mean-softmaxloss", "trained_model_lr1e-3");
  const long = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen ".repeat(3);

  it("our maxLength wins over the stored truncation; no maxLength means no truncation", async () => {
    const json = readJson(path.join(trained, "tokenizer.json"));
    expect((json["truncation"] as Json)["max_length"]).toBe(24);
    const tok = await load(trained);
    expect(tok.encode(long, undefined, { maxLength: 30 }).ids).toHaveLength(30);
    expect(tok.encode(long).ids.length).toBeGreaterThan(30);
    expect(tok.encodeBatch([long, "a"]).seqLen).toBeGreaterThan(30);
  });

  it("pad id: padding.pad_id, else the config's pad_token, else [PAD]/<pad>, else 0", () => {
    const json = readJson(path.join(trained, "tokenizer.json"));
    const padding = json["padding"] as Json;
    expect(TextTokenizer.fromJson({ ...json, padding: { ...padding, pad_id: 7 } }, { pad_token: "[UNK]" }).padTokenId).toBe(7);
    expect(TextTokenizer.fromJson({ ...json, padding: null }, { pad_token: "[UNK]" }).padTokenId).toBe(1);
    expect(TextTokenizer.fromJson({ ...json, padding: null }, { pad_token: { content: "[MASK]" } }).padTokenId).toBe(4);
    expect(TextTokenizer.fromJson({ ...json, padding: null }).padTokenId).toBe(0);
    const roberta = readJson(path.join(FIXTURES, "st-roberta-bpe-mean-normalize", "tokenizer.json"));
    expect(TextTokenizer.fromJson(roberta).padTokenId).toBe(1);
    const padded = TextTokenizer.fromJson({ ...json, padding: { ...padding, pad_id: 7, pad_type_id: 2 } });
    expect(row(padded.encodeBatch(["a", "a b"]), "tokenTypeIds", 0)).toEqual([0, 0, 0, 2]);
  });

  it("modelMaxLength ignores Hugging Face's 1e30 'unset' value", () => {
    const json = readJson(path.join(FIXTURES, "st-bert-mean", "tokenizer.json"));
    expect(TextTokenizer.fromJson(json, { model_max_length: 1000000000000000019884624838656 }).modelMaxLength).toBeUndefined();
    expect(TextTokenizer.fromJson(json, { model_max_length: 512 }).modelMaxLength).toBe(512);
    expect(TextTokenizer.fromJson(json).modelMaxLength).toBeUndefined();
  });
});

describe("decode", () => {
  it("turns ids back into text", async () => {
    const tok = await fixture("st-bert-mean");
    const ids = tok.encode("The quick brown fox.").ids;
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe("the quick brown fox.");
    expect(tok.decode(ids)).toContain("[CLS]");
    expect(tok.decode([])).toBe("");
    expect(codeOf(() => tok.decode([1.5]))).toBe("INVALID_INPUT");
    const roberta = await fixture("st-roberta-bpe-mean-normalize");
    expect(roberta.decode(roberta.encode("Hello, world!").ids, { skipSpecialTokens: true })).toBe("Hello, world!");
  });
});

describe("loading errors", () => {
  let tmp = "";
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "sbert-tokenizer-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("a missing tokenizer.json is FILE_NOT_FOUND naming the file", async () => {
    const error = await TextTokenizer.fromFolder(path.join(tmp, "nowhere")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SbertError);
    expect((error as SbertError).code).toBe("FILE_NOT_FOUND");
    expect((error as SbertError).message).toContain(path.join(tmp, "nowhere", "tokenizer.json"));
  });

  it("a corrupt tokenizer.json is INVALID_MODEL_FILE", async () => {
    for (const [i, content] of ['{"model": {"type": "WordPiece", "vo', "[1, 2]", '{"version": "1.0"}', ""].entries()) {
      const dir = path.join(tmp, `corrupt-${i}`);
      await rm(dir, { recursive: true, force: true });
      await import("node:fs/promises").then((fs) => fs.mkdir(dir));
      await writeFile(path.join(dir, "tokenizer.json"), content);
      const error = await TextTokenizer.fromFolder(dir).catch((e: unknown) => e);
      expect((error as SbertError).code, content).toBe("INVALID_MODEL_FILE");
      expect((error as SbertError).message).toContain("tokenizer.json");
    }
  });

  it("a corrupt tokenizer_config.json is INVALID_MODEL_FILE", async () => {
    const dir = path.join(tmp, "bad-config");
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    await writeFile(path.join(dir, "tokenizer.json"), readFileSync(path.join(FIXTURES, "st-bert-mean", "tokenizer.json")));
    await writeFile(path.join(dir, "tokenizer_config.json"), "{oops");
    expect(await TextTokenizer.fromFolder(dir).catch((e: unknown) => (e as SbertError).code)).toBe("INVALID_MODEL_FILE");
  });

  it("an unknown component type is UNSUPPORTED_FORMAT", () => {
    const json = readJson(path.join(FIXTURES, "st-bert-mean", "tokenizer.json"));
    expect(codeOf(() => TextTokenizer.fromJson({ ...json, post_processor: { type: "Fancy" } }))).toBe("UNSUPPORTED_FORMAT");
    expect(codeOf(() => TextTokenizer.fromJson({ ...json, normalizer: { type: "Fancy" } }))).toBe("UNSUPPORTED_FORMAT");
    expect(codeOf(() => TextTokenizer.fromJson(json, "not an object"))).toBe("INVALID_MODEL_FILE");
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

function codeOf(fn: () => unknown): string {
  const error = catchError(fn);
  return error instanceof SbertError ? error.code : `not an SbertError: ${String(error)}`;
}
