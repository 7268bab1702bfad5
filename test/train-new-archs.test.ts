/** `sbert train` runs on the deberta-v2 cross-encoder and the t5 bi-encoder, and the saved folders reload on both backends with equal outputs. */
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
  tmp = await mkdtemp(join(tmpdir(), "sbert-train-t5deb-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const words = ["cat", "dog", "bird", "fish", "tree", "car"];

describe("training the t5 and deberta-v2 definitions (eager autograd)", () => {
  it("deberta-v2: 3 CrossEntropyLoss steps change the logits; the saved folder reloads (native = onnx)", async () => {
    const train = join(tmp, "nli.jsonl");
    await writeFile(train, words.map((w, i) => JSON.stringify({ premise: `the ${w} is here`, hypothesis: `a ${w} is ${i % 2 ? "not " : ""}here`, label: i % 3 })).join("\n"));
    const out = join(tmp, "deberta");
    const model = join(FIXTURES, "ce-deberta-v2-3label");
    const r = await runCli(["train", "--model", model, "--train", train, "--loss", "CrossEntropyLoss", "--batch-size", "3", "--lr", "1e-2", "--max-steps", "3", "--output", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const pairs = readGolden(model)["pairs"] as [string, string][];
    const trained = await CrossEncoder.load(out, { backend: "native" });
    const logits = await trained.predict(pairs, { activation: "identity" });
    expect(maxAbsDiff(logits, readGolden(model)["logits_identity_activation"])).toBeGreaterThan(1e-3);
    if (CAN_EXPORT) expect(maxAbsDiff(await (await CrossEncoder.load(out, { backend: "onnx" })).predict(pairs, { activation: "identity" }), logits)).toBeLessThanOrEqual(1e-5);
  });

  it("t5: 3 MultipleNegativesRankingLoss steps change the embeddings; the saved folder reloads (native = onnx)", async () => {
    const train = join(tmp, "pairs.jsonl");
    await writeFile(train, words.map((w) => JSON.stringify({ anchor: `where is the ${w}?`, positive: `the ${w} is right here.` })).join("\n"));
    const out = join(tmp, "t5");
    const model = join(FIXTURES, "st-t5-mean-dense");
    const r = await runCli(["train", "--model", model, "--train", train, "--loss", "MultipleNegativesRankingLoss", "--batch-size", "3", "--lr", "1e-2", "--max-steps", "3", "--output", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const sentences = readGolden(model)["sentences"] as string[];
    const trained = await SentenceTransformer.load(out, { backend: "native" });
    const emb = await trained.encode(sentences);
    expect(maxAbsDiff(emb, readGolden(model)["embeddings"])).toBeGreaterThan(1e-3);
    if (CAN_EXPORT) expect(maxAbsDiff(await (await SentenceTransformer.load(out, { backend: "onnx" })).encode(sentences), emb)).toBeLessThanOrEqual(1e-5);
  });
});
