/**
 * The masked-LM head's decoder: tied to the word embeddings unless config.json says
 * `tie_word_embeddings: false`, then the checkpoint's own `cls.predictions.decoder.weight`.
 * Checked on copies of test/fixtures/sparse-splade-bert (native backend).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SbertError } from "../src/errors.js";
import { readFloatTensors, writeSafetensors } from "../src/io/safetensors.js";
import { SparseEncoder } from "../src/models/sparse-encoder.js";
import { copyFixture } from "./helpers/temp-model.js";

const TEXTS = ["The quick brown fox jumps over the lazy dog.", "Hello, world!!! How are you??"];
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** A copy of the fixture with `tie_word_embeddings: false` and the decoder matrix `decoder(word)` stored (or none). */
async function untied(decoder: ((word: Float32Array) => Float32Array) | undefined): Promise<string> {
  const copy = await copyFixture("sparse-splade-bert");
  cleanup = copy.cleanup;
  const cfgPath = join(copy.dir, "config.json");
  await writeFile(cfgPath, JSON.stringify({ ...JSON.parse(await readFile(cfgPath, "utf8")), tie_word_embeddings: false }));
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  await readFloatTensors(join(copy.dir, "model.safetensors"), (name, shape, data) => void tensors.set(name, { shape, data: data.slice() }));
  const word = tensors.get("bert.embeddings.word_embeddings.weight") as { shape: number[]; data: Float32Array };
  if (decoder) tensors.set("cls.predictions.decoder.weight", { shape: word.shape, data: decoder(word.data) });
  await writeSafetensors(join(copy.dir, "model.safetensors"), tensors, { format: "pt" });
  return copy.dir;
}

describe("MLM head decoder", () => {
  it("untied with a decoder equal to the embeddings gives the tied results exactly", async () => {
    const tied = await (await SparseEncoder.load("test/fixtures/sparse-splade-bert", { backend: "native" })).encode(TEXTS);
    const same = await (await SparseEncoder.load(await untied((w) => w), { backend: "native" })).encode(TEXTS);
    expect(same.toArrays()).toEqual(tied.toArrays());
  });
  it("untied uses the checkpoint's own decoder (a different matrix gives different rows)", async () => {
    const tied = await (await SparseEncoder.load("test/fixtures/sparse-splade-bert", { backend: "native" })).encode(TEXTS);
    const other = await (await SparseEncoder.load(await untied((w) => w.map((x) => 3 * x)), { backend: "native" })).encode(TEXTS);
    expect(other.toArrays()).not.toEqual(tied.toArrays());
  });
  it("untied without a decoder matrix is INVALID_MODEL_FILE", async () => {
    const dir = await untied(undefined);
    const model = await SparseEncoder.load(dir, { backend: "native" }).catch((e: unknown) => e);
    const err = model instanceof SparseEncoder ? await model.encode(TEXTS).catch((e: unknown) => e) : model;
    expect(err).toBeInstanceOf(SbertError);
    expect((err as SbertError).code).toBe("INVALID_MODEL_FILE");
  });
});
