/**
 * `sbert index build` / `sbert index add` / `sbert search --index` on real folders: the index
 * answers what `sbert search --corpus` answers (same corpus ids, scores within 1e-6), `index add`
 * equals a fresh build of the whole corpus, another model is refused, a failed build leaves no
 * folder, and a damaged index is an error naming the file.
 */
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { FIXTURES } from "./helpers/fixtures.js";

const ST = join(FIXTURES, "st-bert-mean");
const OTHER = join(FIXTURES, "st-bert-max");
const native = ["--backend", "native"];
const WORDS = "the a cat dog sits runs on mat quickly slowly red blue house tree river over under big small garden city".split(" ");
/** Distinct texts: the base-22 digits of i pick three words, then 0 to 6 more follow. */
const text = (i: number): string =>
  [i % 22, Math.floor(i / 22) % 22, Math.floor(i / 484) % 22, ...Array.from({ length: i % 7 }, (_, j) => (i * 13 + j * 7) % 22)].map((w) => WORDS[w]).join(" ");
const CORPUS = Array.from({ length: 300 }, (_, i) => text(i));
const QUERIES = Array.from({ length: 12 }, (_, i) => text(1000 + 37 * i));

let dir: string;
let corpusFile: string, headFile: string, tailFile: string, queryFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sbert-cli-index-"));
  const jsonl = (texts: string[]) => texts.map((t) => JSON.stringify({ text: t }) + "\n").join("");
  await writeFile((corpusFile = join(dir, "corpus.jsonl")), jsonl(CORPUS));
  await writeFile((headFile = join(dir, "head.jsonl")), jsonl(CORPUS.slice(0, 180)));
  await writeFile((tailFile = join(dir, "tail.jsonl")), jsonl(CORPUS.slice(180)));
  await writeFile((queryFile = join(dir, "queries.txt")), QUERIES.join("\n") + "\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Hit = { corpus_id: number; score: number };
const parse = (stdout: string): Hit[][] => stdout.trim().split("\n").map((l) => JSON.parse(l) as Hit[]);
const ok = async (args: string[]): Promise<string> => {
  const r = await runCli([...args, ...native]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
};

function expectSameHits(got: Hit[][], want: Hit[][]): void {
  expect(got).toHaveLength(want.length);
  got.forEach((hits, q) => {
    expect(hits.map((h) => h.score)).toHaveLength(want[q]!.length);
    hits.forEach((h, j) => expect(Math.abs(h.score - want[q]![j]!.score)).toBeLessThanOrEqual(1e-6));
    // ids agree wherever the score is not tied with a neighbour
    hits.forEach((h, j) => {
      const tied = want[q]!.some((w, k) => k !== j && Math.abs(w.score - want[q]![j]!.score) <= 1e-6);
      if (!tied) expect(h.corpus_id).toBe(want[q]![j]!.corpus_id);
    });
  });
}

describe("sbert index build + sbert search --index", () => {
  for (const precision of ["float32", "int8", "binary"]) {
    it(`${precision}: the hits of sbert search --corpus`, async () => {
      const idx = join(dir, `idx-${precision}`);
      await ok(["index", "build", "-m", ST, "-i", corpusFile, "--index", idx, "--precision", precision, "--rescore", "100", "--chunk-size", "64"]);
      const manifest = JSON.parse(await readFile(join(idx, "index.json"), "utf8")) as Record<string, unknown>;
      expect(manifest).toMatchObject({ dimension: 48, precision, count: 300, rescore_multiplier: 100 });
      const viaIndex = parse(await ok(["search", "-m", ST, "--index", idx, "-q", queryFile, "-k", "5"]));
      const viaCorpus = parse(await ok(["search", "-m", ST, "-c", corpusFile, "-q", queryFile, "-k", "5"]));
      expectSameHits(viaIndex, viaCorpus);
    });
  }

  it("index add continues the corpus ids: build(head) + add(tail) searches as build(all)", async () => {
    const whole = join(dir, "whole"), parts = join(dir, "parts");
    await ok(["index", "build", "-m", ST, "-i", corpusFile, "--index", whole, "--precision", "int8"]);
    await ok(["index", "build", "-m", ST, "-i", headFile, "--index", parts, "--precision", "int8"]);
    await ok(["index", "add", "-m", ST, "-i", tailFile, "--index", parts]);
    const a = await ok(["search", "-m", ST, "--index", parts, "-q", queryFile, "-k", "10"]);
    const b = await ok(["search", "-m", ST, "--index", whole, "-q", queryFile, "-k", "10"]);
    expect(a).toBe(b);
    expect(JSON.parse(await readFile(join(parts, "index.json"), "utf8"))).toMatchObject({ count: 300 });
  });

  it("refuses another model (search and add), an existing folder, and leaves no folder after a failed build", async () => {
    const idx = join(dir, "idx-float32");
    const s = await runCli(["search", "-m", OTHER, "--index", idx, "-q", queryFile, ...native]);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/was built with model ".*st-bert-mean".*not comparable/);
    const a = await runCli(["index", "add", "-m", OTHER, "-i", tailFile, "--index", idx, ...native]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("not comparable");
    expect(JSON.parse(await readFile(join(idx, "index.json"), "utf8"))).toMatchObject({ count: 300 });
    const again = await runCli(["index", "build", "-m", ST, "-i", corpusFile, "--index", idx, ...native]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("exists and is not empty");
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, '"one"\n{"no_text": 1}\n');
    const failed = await runCli(["index", "build", "-m", ST, "-i", bad, "--index", join(dir, "never"), ...native]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("line 2");
    expect((await readdir(dir)).filter((n) => n.includes("never"))).toEqual([]);
    const both = await runCli(["search", "-m", ST, "--index", idx, "-c", corpusFile, "-q", queryFile, ...native]);
    expect(both.code).toBe(2);
    const neither = await runCli(["search", "-m", ST, "-q", queryFile, ...native]);
    expect(neither.code).toBe(2);
  });

  it("a truncated index file is an error naming it", async () => {
    const idx = join(dir, "damaged");
    await ok(["index", "build", "-m", ST, "-i", headFile, "--index", idx]);
    await truncate(join(idx, "vectors.f32"), 1000);
    const r = await runCli(["search", "-m", ST, "--index", idx, "-q", queryFile, ...native]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/vectors\.f32 is truncated or damaged/);
  });
});
