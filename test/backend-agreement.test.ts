import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CrossEncoder, SentenceTransformer } from "../src/index.js";
import { maxAbsDiff } from "./helpers/fixtures.js";
import { copyFixture } from "./helpers/temp-model.js";

/** Variants no golden covers: the exported ONNX graph must compute what our native code computes (≤ 1e-5). */
const TOL = 1e-5;
const texts = ["", "a", "The quick brown fox jumps over the lazy dog.", "Numbers 12345 and 3.14159, e-mail test@example.com"];

async function withConfig(name: string, patch: Record<string, unknown>, run: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await copyFixture(name);
  try {
    const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(dir, "config.json"), JSON.stringify({ ...cfg, ...patch }));
    // a shipped onnx/ graph was exported from the unpatched config: drop it so ours is built from this one
    await rm(join(dir, "onnx"), { recursive: true, force: true });
    await run(dir);
  } finally {
    await cleanup();
  }
}

describe("onnx equals native on configurations without goldens", () => {
  it.each([
    ["st-bert-mean", "gelu_new"],
    ["st-bert-mean", "relu"],
    ["st-bert-mean", "silu"],
    ["st-distilbert-cased-mean", "gelu_pytorch_tanh"],
    ["st-mpnet-mean-normalize", "relu"],
    ["st-roberta-bpe-mean-normalize", "gelu_new"],
  ])(`%s with hidden_act %s (within ${TOL})`, async (name, act) => {
    const key = name.includes("distilbert") ? "activation" : "hidden_act";
    await withConfig(name, { [key]: act }, async (dir) => {
      const native = await SentenceTransformer.load(dir, { backend: "native" });
      const onnx = await SentenceTransformer.load(dir, { backend: "onnx" });
      expect(maxAbsDiff(await onnx.encode(texts), await native.encode(texts))).toBeLessThanOrEqual(TOL);
    });
  });

  it(`a 3-label cross-encoder with gelu_new (within ${TOL})`, async () => {
    await withConfig("ce-bert-3label", { hidden_act: "gelu_new" }, async (dir) => {
      const pairs: [string, string][] = [["q", "d"], ["a longer query here", "and a document"]];
      const native = await CrossEncoder.load(dir, { backend: "native" });
      const onnx = await CrossEncoder.load(dir, { backend: "onnx" });
      expect(maxAbsDiff(await onnx.logits(pairs), await native.logits(pairs))).toBeLessThanOrEqual(TOL);
    });
  });
});
