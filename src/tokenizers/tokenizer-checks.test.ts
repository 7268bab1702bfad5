/**
 * Broken tokenizers are refused at load (issue 17.6, 17.10): a WordPiece / WordLevel vocabulary
 * without its unknown token, BPE merges outside the vocabulary, an empty Unigram vocabulary or an
 * out-of-range unk_id, post-processor ids outside the vocabulary, a tokenizer with more ids than
 * the model's embedding table, and a tokenizer file too large to be one.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { TextTokenizer } from "./text-tokenizer.js";
import { MAX_TOKENIZER_FILE_BYTES } from "./tokenizer-checks.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
const readJson = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`${FIXTURES}${name}/tokenizer.json`, "utf8")) as Record<string, unknown>;
const tmp = mkdtempSync(path.join(os.tmpdir(), "sbert-tok-checks-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const refused = (json: unknown, pattern: RegExp): void => {
  let error: unknown;
  try {
    TextTokenizer.fromJson(json);
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({ code: "INVALID_MODEL_FILE" });
  expect((error as Error).message).toMatch(pattern);
};

describe("tokenizer.json model checks", () => {
  it("refuses a WordPiece vocabulary without its unknown token (the Rust library's error)", () => {
    refused({ model: { type: "WordPiece", vocab: {} } }, /WordPiece error: Missing \[UNK\] token from the vocabulary/);
    refused({ model: { type: "WordPiece", unk_token: "<unk>", vocab: { "[UNK]": 0, a: 1 } } }, /Missing <unk> token/);
    refused({ model: { type: "WordLevel", unk_token: "[UNK]", vocab: { a: 0 } } }, /WordLevel error: Missing \[UNK\] token/);
  });

  it("refuses BPE merges that name tokens outside the vocabulary, and an empty vocabulary", () => {
    refused({ model: { type: "BPE", vocab: { a: 0, b: 1 }, merges: ["a b"] } }, /Token `ab` out of vocabulary \(merge 0\)/);
    refused({ model: { type: "BPE", vocab: { a: 0, ab: 2 }, merges: [["a", "c"]] } }, /Token `c` out of vocabulary/);
    refused({ model: { type: "BPE", vocab: {}, merges: [] } }, /vocabulary is empty/);
  });

  it("refuses an empty Unigram vocabulary and an unk_id outside it", () => {
    refused({ model: { type: "Unigram", vocab: [] } }, /The vocabulary is empty but at least <unk> is needed/);
    refused({ model: { type: "Unigram", unk_id: 5, vocab: [["<unk>", 0], ["a", -1]] } }, /Unk token id 5 is not within the vocabulary/);
  });

  it("refuses a post-processor whose special ids are outside the vocabulary", () => {
    const json = readJson("st-bert-mean");
    const pp = structuredClone(json["post_processor"]) as { special_tokens: Record<string, { ids: number[] }> };
    (pp.special_tokens["[CLS]"] as { ids: number[] }).ids = [999_999];
    refused({ ...json, post_processor: pp }, /post_processor adds token id 999999, outside the vocabulary/);
  });

  it("accepts every tokenizer fixture", () => {
    for (const name of ["st-bert-mean", "st-roberta-bpe-mean-normalize", "st-xlmr-spm-mean-dense", "st-mpnet-mean-normalize", "st-distilbert-cased-mean"]) {
      const tok = TextTokenizer.fromJson(readJson(name));
      expect(tok.vocabSize).toBeGreaterThan(0);
    }
  });
});

describe("tokenizer against the model", () => {
  it("refuses a tokenizer with more ids than the embedding table", async () => {
    const dir = path.join(tmp, "too-many-ids");
    cpSync(`${FIXTURES}st-bert-mean`, dir, { recursive: true });
    const json = readJson("st-bert-mean");
    (json["added_tokens"] as unknown[]).push({ id: 50_000, content: "[EXTRA]", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(json));
    await expect(SentenceTransformer.load(dir)).rejects.toMatchObject({ code: "INVALID_MODEL_FILE", message: expect.stringMatching(/50001 token ids but the model's embedding table has \d+ rows/) });
  });

  it("refuses a tokenizer.json over the size limit before reading it, naming the limit and the size", async () => {
    const dir = path.join(tmp, "huge");
    cpSync(`${FIXTURES}st-bert-mean`, dir, { recursive: true });
    const fh = await open(path.join(dir, "tokenizer.json"), "r+");
    await fh.truncate(MAX_TOKENIZER_FILE_BYTES + 1); // sparse: no disk space used
    await fh.close();
    await expect(TextTokenizer.fromFolder(dir)).rejects.toMatchObject({
      code: "INVALID_MODEL_FILE",
      message: expect.stringMatching(new RegExp(`is ${MAX_TOKENIZER_FILE_BYTES + 1} bytes; tokenizer files over ${MAX_TOKENIZER_FILE_BYTES} bytes`)),
    });
  });
});
