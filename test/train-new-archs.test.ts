/**
 * `sbert train` runs on every architecture added after the BERT family (eager autograd through
 * RoPE, RMSNorm, grouped / causal / windowed attention, split, relative buckets, disentangled
 * attention): 3 steps move the outputs away from the fixture's, and the saved folder reloads on
 * both backends with equal outputs.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrossEncoder, SentenceTransformer } from "../src/index.js";
import { CAN_EXPORT } from "./helpers/backends.js";
import { runCli } from "./helpers/cli.js";
import { FIXTURES, maxAbsDiff, readGolden } from "./helpers/fixtures.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-train-archs-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const words = ["cat", "dog", "bird", "fish", "tree", "car"];

/** Trains `name` for 3 steps on `rows` with `loss`; returns the fixture folder and the output folder. */
async function train3(name: string, loss: string, rows: object[]): Promise<{ model: string; out: string }> {
  const data = join(tmp, `${name}.jsonl`);
  await writeFile(data, rows.map((r) => JSON.stringify(r)).join("\n"));
  const out = join(tmp, name);
  const model = join(FIXTURES, name);
  const r = await runCli(["train", "--model", model, "--train", data, "--loss", loss, "--batch-size", "3", "--lr", "1e-2", "--max-steps", "3", "--output", out]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return { model, out };
}

const retrievalPairs = words.map((w) => ({ anchor: `where is the ${w}?`, positive: `the ${w} is right here.` }));

describe("training the new architecture definitions (eager autograd)", () => {
  it.each(["st-t5-mean-dense", "st-qwen3-lasttoken", "st-gemma3-mean-dense"])("%s: 3 MultipleNegativesRankingLoss steps change the embeddings; the saved folder reloads (native = onnx)", async (name) => {
    const { model, out } = await train3(name, "MultipleNegativesRankingLoss", retrievalPairs);
    const sentences = readGolden(model)["sentences"] as string[];
    const trained = await SentenceTransformer.load(out, { backend: "native" });
    const emb = await trained.encode(sentences, { batchSize: 4 });
    expect(maxAbsDiff(emb, readGolden(model)["embeddings"])).toBeGreaterThan(1e-3);
    if (CAN_EXPORT) expect(maxAbsDiff(await (await SentenceTransformer.load(out, { backend: "onnx" })).encode(sentences, { batchSize: 4 }), emb)).toBeLessThanOrEqual(1e-5);
  });

  it.each([
    ["ce-deberta-v2-3label", "CrossEntropyLoss", words.map((w, i) => ({ premise: `the ${w} is here`, hypothesis: `a ${w} is ${i % 2 ? "not " : ""}here`, label: i % 3 }))],
    ["ce-modernbert-1label", "BinaryCrossEntropyLoss", words.map((w, i) => ({ query: `where is the ${w}?`, document: `the ${words[(i + (i % 2)) % words.length]} is here.`, label: 1 - (i % 2) }))],
  ] as const)("%s: 3 %s steps change the logits; the saved folder reloads (native = onnx)", async (name, loss, rows) => {
    const { model, out } = await train3(name, loss, [...rows]);
    const pairs = readGolden(model)["pairs"] as [string, string][];
    const trained = await CrossEncoder.load(out, { backend: "native" });
    const logits = await trained.predict(pairs, { activation: "identity" });
    expect(maxAbsDiff(logits, readGolden(model)["logits_identity_activation"])).toBeGreaterThan(1e-3);
    if (CAN_EXPORT) expect(maxAbsDiff(await (await CrossEncoder.load(out, { backend: "onnx" })).predict(pairs, { activation: "identity" }), logits)).toBeLessThanOrEqual(1e-5);
  });
});
