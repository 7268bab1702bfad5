import { readFileSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { TextTokenizer } from "./text-tokenizer.js";
import { prepareInputs } from "./token-rows.js";
import { TokenizerThread } from "./tokenizer-thread.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
const TEXTS = ["Hello World!", "", "A much longer sentence, with punctuation; and ÜNICODE — çà 日本語 text.", "x".repeat(300), "\ud800 lone surrogate"];
const PAIRS: [string, string][] = [
  ["What is it?", "It is a test."],
  ["", "second only"],
  ["first only", ""],
];

const threads: TokenizerThread[] = [];
afterAll(async () => {
  await Promise.all(threads.map((t) => t.close()));
});

describe("TokenizerThread", () => {
  for (const name of ["st-bert-mean", "st-roberta-bpe-mean-normalize", "st-xlmr-spm-mean-dense", "ce-bert-1label"]) {
    it(`gives the rows of this thread's tokenizer (${name})`, async () => {
      const tokenizer = await TextTokenizer.fromFolder(path.join(FIXTURES, name));
      const thread = new TokenizerThread(tokenizer);
      threads.push(thread);
      for (const lowerCase of [false, true]) {
        for (const maxLength of [undefined, 8]) {
          const inputs = [...TEXTS, ...PAIRS];
          const expected = tokenizer.encodeRows(prepareInputs(inputs, lowerCase), { maxLength });
          expect(await thread.encodeRows(inputs, { maxLength, lowerCase })).toEqual(expected);
        }
      }
    });
  }

  it("builds a tokenizer given as JSON (no folder) the same way", async () => {
    const dir = path.join(FIXTURES, "st-bert-mean");
    const json = JSON.parse(readFileSync(path.join(dir, "tokenizer.json"), "utf8")) as unknown;
    const tokenizer = TextTokenizer.fromJson(json);
    const thread = new TokenizerThread(tokenizer);
    threads.push(thread);
    expect(await thread.encodeRows(TEXTS, { maxLength: 16, lowerCase: false })).toEqual(tokenizer.encodeRows(TEXTS, { maxLength: 16 }));
  });

  it("serves concurrent calls in order, each with its own rows", async () => {
    const tokenizer = await TextTokenizer.fromFolder(path.join(FIXTURES, "st-bert-mean"));
    const thread = new TokenizerThread(tokenizer);
    threads.push(thread);
    const chunks = Array.from({ length: 8 }, (_, i) => TEXTS.map((t) => `${i} ${t}`));
    const results = await Promise.all(chunks.map((c) => thread.encodeRows(c, { maxLength: undefined, lowerCase: false })));
    results.forEach((rows, i) => expect(rows).toEqual(tokenizer.encodeRows(chunks[i] as string[])));
  });

  it("passes the tokenizer's typed errors through", async () => {
    const tokenizer = await TextTokenizer.fromFolder(path.join(FIXTURES, "st-bert-mean"));
    const thread = new TokenizerThread(tokenizer);
    threads.push(thread);
    const err = await thread.encodeRows(["a"], { maxLength: 1, lowerCase: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SbertError);
    expect((err as SbertError).code).toBe("INVALID_INPUT");
    expect((err as Error).message).toMatch(/special tokens/);
    // the thread is still usable afterwards
    expect(await thread.encodeRows(["a"], { maxLength: 8, lowerCase: false })).toEqual(tokenizer.encodeRows(["a"], { maxLength: 8 }));
    expect(thread.usable).toBe(true);
  });

  it("close() fails pending calls; a later call starts a new thread", async () => {
    const tokenizer = await TextTokenizer.fromFolder(path.join(FIXTURES, "st-bert-mean"));
    const thread = new TokenizerThread(tokenizer);
    threads.push(thread);
    const pending = thread.encodeRows(TEXTS, { maxLength: undefined, lowerCase: false });
    await thread.close();
    await expect(pending).rejects.toThrow(/closed/);
    expect(await thread.encodeRows(["again"], { maxLength: undefined, lowerCase: false })).toEqual(tokenizer.encodeRows(["again"]));
  });

  it("refuses to tokenize with tokenizer files that changed after loading", async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), "sbert-tokthread-"));
    try {
      await cp(path.join(FIXTURES, "st-bert-mean"), tmp, { recursive: true });
      const tokenizer = await TextTokenizer.fromFolder(tmp);
      // same content, rewritten: the thread cannot know it is the same tokenizer, so it refuses
      await writeFile(path.join(tmp, "tokenizer_config.json"), `${readFileSync(path.join(tmp, "tokenizer_config.json"), "utf8")}\n`);
      const thread = new TokenizerThread(tokenizer);
      threads.push(thread);
      await expect(thread.encodeRows(["a"], { maxLength: undefined, lowerCase: false })).rejects.toThrow(/changed after the model was loaded/);
      expect(thread.usable).toBe(false);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it("becomes unusable, with a clear error, when the worker cannot load the tokenizer", async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), "sbert-tokthread-"));
    try {
      await cp(path.join(FIXTURES, "st-bert-mean"), tmp, { recursive: true });
      const tokenizer = await TextTokenizer.fromFolder(tmp);
      await rm(path.join(tmp, "tokenizer.json"));
      const thread = new TokenizerThread(tokenizer);
      threads.push(thread);
      const err = await thread.encodeRows(["a"], { maxLength: undefined, lowerCase: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SbertError);
      expect((err as Error).message).toMatch(/could not load the tokenizer/);
      expect(thread.usable).toBe(false);
      await expect(thread.encodeRows(["b"], { maxLength: undefined, lowerCase: false })).rejects.toThrow(/could not load/);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
