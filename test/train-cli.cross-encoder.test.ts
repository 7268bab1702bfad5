import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrossEncoder } from "../src/models/cross-encoder.js";
import { FIXTURES } from "./helpers/fixtures.js";
import { type CliResult, runCli } from "./helpers/cli.js";

/** `sbert train` on cross-encoder folders: the CrossEncoderTrainer path, its evaluator and its saved folder. */
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-train-ce-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const cli = (args: string[]): Promise<CliResult> => runCli(args);

const words = ["cat", "dog", "bird", "fish", "tree", "car"];
const rows = words.flatMap((w) => [
  { query: `where is the ${w}?`, doc: `yes, the ${w} is right here.`, label: 1 },
  { query: `where is the ${w}?`, doc: "no idea at all, sorry.", label: 0 },
]);

describe("sbert train (cross-encoder)", () => {
  it("trains a 1-label cross-encoder with BinaryCrossEntropyLoss, evaluates it and saves a CrossEncoder folder", async () => {
    const train = join(tmp, "train.jsonl");
    await writeFile(train, rows.map((r) => JSON.stringify(r)).join("\n"));
    const out = join(tmp, "out-1");
    const log = join(tmp, "log.jsonl");
    const r = await cli(["train", "--model", join(FIXTURES, "ce-bert-1label"), "--train", train, "--eval", train, "--loss", "BinaryCrossEntropyLoss", "--batch-size", "4", "--lr", "1e-3", "--max-steps", "3", "--output", out, "--log", log]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, number>;
    expect(summary["steps"]).toBe(3);
    expect(summary["eval_loss"]).toBeGreaterThan(0);
    expect(summary["eval_eval_average_precision"]).toBeGreaterThan(0);
    expect(readFileSync(log, "utf8").trim().split("\n")).toHaveLength(3);
    const ce = await CrossEncoder.load(out, { backend: "native" });
    expect(ce.numLabels).toBe(1);
    expect(await ce.predict([["a", "b"]])).toBeInstanceOf(Float32Array);
  });

  it("refuses a bi-encoder loss on a cross-encoder and bad labels", async () => {
    const train = join(tmp, "bad.jsonl");
    await writeFile(train, [JSON.stringify({ a: "x", b: "y", label: 0 }), JSON.stringify({ a: "x", b: "z", label: 5 })].join("\n"));
    const wrongLoss = await cli(["train", "--model", join(FIXTURES, "ce-bert-1label"), "--train", train, "--loss", "CosineSimilarityLoss", "--output", join(tmp, "o2")]);
    expect(wrongLoss.code).not.toBe(0);
    expect(wrongLoss.stderr).toMatch(/is a cross-encoder; train it with --loss BinaryCrossEntropyLoss or CrossEntropyLoss/);
    const range = await cli(["train", "--model", join(FIXTURES, "ce-bert-3label"), "--train", train, "--loss", "CrossEntropyLoss", "--output", join(tmp, "o3")]);
    expect(range.code).not.toBe(0);
    expect(range.stderr).toMatch(/line 2 label 5 is out of range/);
  });
});
