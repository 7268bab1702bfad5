/**
 * Long CLI commands draw a progress bar (items, items/s, ETA) on stderr when it is a terminal or
 * SBERT_PROGRESS=1, and none otherwise (the in-process runner's stderr is not a terminal).
 * Before, encode, search, cluster, mine-paraphrases and evaluate printed nothing even with
 * SBERT_PROGRESS=1.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { FIXTURES } from "./helpers/fixtures.js";

const ST = join(FIXTURES, "st-bert-mean");
const CE = join(FIXTURES, "ce-bert-1label");
let tmp: string;
let texts: string;
let pairs: string;
let sts: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-progress-"));
  texts = join(tmp, "texts.txt");
  await writeFile(texts, "a cat sits\na dog runs\na car drives\na cat sleeps\n");
  pairs = join(tmp, "pairs.jsonl");
  await writeFile(pairs, '["a cat", "a kitten"]\n["a cat", "a car"]\n');
  sts = join(tmp, "sts.jsonl");
  await writeFile(sts, '{"s1": "a cat", "s2": "a kitten", "score": 4}\n{"s1": "a cat", "s2": "a car", "score": 1}\n{"s1": "a dog", "s2": "a puppy", "score": 4.5}\n');
});

afterAll(() => rm(tmp, { recursive: true, force: true }));

const native = ["--backend", "native"];
const commands: [string, () => string[], RegExp][] = [
  ["encode", () => ["encode", "-m", ST, ...native, "-i", texts], /encode {2}\[#+\] {2}100% {2}4\/4 texts .*texts\/s {2}ETA/],
  ["search", () => ["search", "-m", ST, ...native, "-c", texts, "-q", texts], /encode .*4\/4 texts/],
  ["cluster", () => ["cluster", "-m", ST, ...native, "-i", texts, "--min-community-size", "1"], /community detection .*4\/4 rows/],
  ["mine-paraphrases", () => ["mine-paraphrases", "-m", ST, ...native, "-i", texts], /encode .*4\/4 texts/],
  ["evaluate", () => ["evaluate", "-m", ST, ...native, "--evaluator", "sts", "--data", sts], /encode .*texts\/s/],
  ["predict", () => ["predict", "-m", CE, ...native, "-i", pairs], /predict .*2\/2 pairs .*pairs\/s {2}ETA/],
  ["rank", () => ["rank", "-m", CE, ...native, "-q", "a cat", "-i", texts], /predict .*4\/4 pairs/],
];

describe("progress bars of long commands", () => {
  it.each(commands)("%s draws a bar with SBERT_PROGRESS=1, none without (stderr is no terminal)", async (_name, args, bar) => {
    const on = await runCli(args(), { env: { SBERT_PROGRESS: "1" } });
    expect(on.code, on.stderr).toBe(0);
    expect(on.stderr).toMatch(bar);
    expect(on.stderr.endsWith("\n")).toBe(true);
    const off = await runCli(args(), { env: {} });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).toBe("");
    expect(off.stdout).toBe(on.stdout);
    const forcedOff = await runCli(args(), { env: { SBERT_PROGRESS: "0" } });
    expect(forcedOff.stderr).toBe("");
  });
});
