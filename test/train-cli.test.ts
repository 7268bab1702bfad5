import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddingSimilarityEvaluator } from "../src/evaluation/embedding-similarity.js";
import { SentenceTransformer } from "../src/models/sentence-transformer.js";
import { type CliResult, runCli } from "./helpers/cli.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");
// dropout 0.1 in config.json: the resumed run must also restore the dropout generator
const MODEL = join(ROOT, "test/fixtures/st-bert-mean");

let tmp: string;
let trainFile: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-train-cli-"));
  trainFile = join(tmp, "train.jsonl");
  const nouns = ["cat", "dog", "child", "man", "woman", "bird", "horse", "boy"];
  const rows = Array.from({ length: 24 }, (_, i) => ({ sentence1: `A ${nouns[i % 8]} is playing ${i}.`, sentence2: `The ${nouns[(i * 3) % 8]} runs ${i % 5}.`, score: (i % 6) / 5 }));
  await writeFile(trainFile, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const cli = (args: string[]): Promise<CliResult> => runCli(args);

const base = (out: string) => ["train", "--model", MODEL, "--train", trainFile, "--loss", "CosineSimilarityLoss", "--batch-size", "4", "--lr", "1e-3", "--max-steps", "3", "--output", out];

describe("sbert train: bad input", () => {
  it("--threads: 2 trains to the same weights as 1; outside 1..64 is a usage error", async () => {
    const saved: Buffer[] = [];
    for (const threads of ["1", "2"]) {
      const out = join(tmp, `threads-${threads}`);
      const r = await cli([...base(out), "--threads", threads]);
      expect(r.code, r.stderr).toBe(0);
      saved.push(await readFile(join(out, "model.safetensors")));
    }
    expect(saved[1]?.equals(saved[0] as Buffer)).toBe(true);
    for (const bad of ["0", "65", "x"]) {
      const r = await cli([...base(join(tmp, "threads-bad")), "--threads", bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--threads/);
    }
  });

  it("refuses a non-empty output folder unless --overwrite", async () => {
    const out = join(tmp, "busy");
    await mkdir(out);
    await writeFile(join(out, "x"), "");
    const r = await cli(base(out));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/output folder .*busy" exists and is not empty; .*--overwrite/);
    expect(await readdir(out)).toEqual(["x"]);
    const ok = await cli([...base(out), "--overwrite"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ output: out, steps: 3 });
  });

  it("names the line of a row with a missing column and of a label out of range", async () => {
    const f = join(tmp, "missing.tsv");
    await writeFile(f, "sentence1\tsentence2\tlabel\na\tb\t0\nc\t2\n");
    const r = await cli(["train", "--model", MODEL, "--train", f, "--loss", "SoftmaxLoss", "--num-labels", "3", "--output", join(tmp, "o1")]);
    expect([r.code, r.stderr]).toEqual([1, `sbert: ${f} line 3 has no column "label": 2 fields for the 3 columns of the header\n`]);
    const g = join(tmp, "range.csv");
    await writeFile(g, "sentence1,sentence2,label\na,b,0\nc,d,3\n");
    const s = await cli(["train", "--model", MODEL, "--train", g, "--loss", "SoftmaxLoss", "--num-labels", "3", "--output", join(tmp, "o2")]);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/range\.csv line 3 label 3 is out of range: SoftmaxLoss has 3 classes, so labels must be integers 0\.\.2/);
    expect(existsSync(join(tmp, "o1")) || existsSync(join(tmp, "o2"))).toBe(false);
  });

  it("stops on a diverging loss with a clear message and writes no model", async () => {
    const out = join(tmp, "diverged");
    const r = await cli([...base(out).filter((a) => a !== "1e-3" && a !== "--lr"), "--lr", "1e30", "--max-grad-norm", "0", "--warmup-ratio", "0", "--checkpoint-steps", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sbert: training stopped: the (loss|gradient norm) is (NaN|Infinity) at step \d/);
    expect(r.stderr).toMatch(/checkpoints in .*diverged-checkpoints are untouched/);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses --max-seq-length beyond the position table as a usage error naming the limit", async () => {
    const out = join(tmp, "too-long");
    const r = await cli([...base(out), "--max-seq-length", "65"]);
    expect([r.code, r.stderr]).toEqual([2, "sbert: --max-seq-length 65 is longer than this bert model can take: its position table has 64 rows (max_position_embeddings), so a sequence holds at most 64 tokens; set maxSeqLength (--max-seq-length) to 64 or less\n"]);
    expect(existsSync(out)).toBe(false);
  });

  it("rejects --epochs with --max-steps and unknown losses", async () => {
    expect((await cli([...base(join(tmp, "o3")), "--epochs", "2"])).code).toBe(2);
    const r = await cli(["train", "--model", MODEL, "--train", trainFile, "--loss", "NoSuchLoss", "--output", join(tmp, "o4")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown loss "NoSuchLoss"; bi-encoder losses: SoftmaxLoss/);
  });
});

/** Runs `sbert` (from source, through tsx) as a child process. */
function child(args: string[]): { proc: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: ROOT, env: { ...process.env, SBERT_PROGRESS: "0" } });
  let stderr = "";
  proc.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal, stderr })));
  return { proc, done };
}

describe("sbert train: killed with SIGKILL and resumed", () => {
  it("ends with the same weights and log as an uninterrupted run", async () => {
    const args = (out: string, log: string) => ["train", "--model", MODEL, "--train", trainFile, "--loss", "CosineSimilarityLoss", "--batch-size", "4", "--lr", "5e-4", "--epochs", "3", "--seed", "9", "--checkpoint-steps", "2", "--output", out, "--log", log];
    const ref = child(args(join(tmp, "ref"), join(tmp, "ref.jsonl")));
    const refResult = await ref.done;
    expect(refResult.code, refResult.stderr).toBe(0);

    // kill after a random number of logged steps (1..16 of 18), a random few milliseconds later
    const out = join(tmp, "killed");
    const log = join(tmp, "killed.jsonl");
    const killAfter = 1 + Math.floor(Math.random() * 16);
    const delayMs = Math.floor(Math.random() * 30);
    const victim = child(args(out, log));
    const lines = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0);
    while (lines() < killAfter && victim.proc.exitCode === null) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, delayMs));
    victim.proc.kill("SIGKILL");
    const killed = await victim.done;
    expect(killed.signal, `killed after ${killAfter} steps + ${delayMs} ms`).toBe("SIGKILL");
    expect(existsSync(out)).toBe(false);

    const resumed = child([...args(out, log), "--resume"]);
    const res = await resumed.done;
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(join(out, "model.safetensors")).equals(readFileSync(join(tmp, "ref", "model.safetensors")))).toBe(true);
    expect(readFileSync(log, "utf8")).toBe(readFileSync(join(tmp, "ref.jsonl"), "utf8"));
    expect((await readdir(`${out}-checkpoints`)).sort()).toEqual(["checkpoint-16", "checkpoint-18"]);
  }, 120_000);
});

describe("sbert train --resume: a damaged newest checkpoint", () => {
  it("is skipped with the file and the reason, and the run continues from the previous one to the same weights", async () => {
    const out = join(tmp, "damaged");
    const args = [...base(out).filter((a, i, all) => a !== "--max-steps" && all[i - 1] !== "--max-steps"), "--max-steps", "6", "--checkpoint-steps", "2", "--seed", "5"];
    const first = await cli(args);
    expect(first.code, first.stderr).toBe(0);
    const want = readFileSync(join(out, "model.safetensors"));
    await rm(out, { recursive: true });
    const state = join(`${out}-checkpoints`, "checkpoint-6", "trainer_state.json");
    await writeFile(state, readFileSync(state, "utf8").slice(0, 100)); // cut short, as by a full disk
    const resumed = await cli([...args, "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const lines = resumed.stderr.split("\n");
    expect(lines[0]).toMatch(/^sbert: skipping .*checkpoint-6: .*checkpoint-6[/\\]trainer_state\.json is not valid JSON \(.*; 100 characters\); the checkpoint is damaged$/);
    expect(lines[1]).toBe(`sbert: resuming from ${join(`${out}-checkpoints`, "checkpoint-4")}`);
    expect(readFileSync(join(out, "model.safetensors")).equals(want)).toBe(true);
  });
});

describe("sbert evaluate", () => {
  const metricsOf = (stdout: string) => (JSON.parse(stdout) as { primary_metric: string; metrics: Record<string, number> });

  it("scores STS pairs from a dataset file and from an STS-B file, as the evaluator does", async () => {
    const model = await SentenceTransformer.load(MODEL, { backend: "native" });
    const s1 = ["A man plays a guitar.", "A dog runs.", "Kids play in a park.", "The stock market fell."];
    const s2 = ["A person plays music.", "A cat sleeps.", "Children are playing outside.", "Markets dropped today."];
    const gold = [4.2, 0.8, 4.6, 3.9];
    const want = await new EmbeddingSimilarityEvaluator(s1, s2, gold.map((g) => g / 5), { name: "dev" }).evaluate(model);
    const jsonl = join(tmp, "sts.jsonl");
    await writeFile(jsonl, s1.map((a, i) => `${JSON.stringify({ s1: a, s2: s2[i], score: gold[i] })}\n`).join(""));
    const stsb = join(tmp, "sts-dev.csv");
    await writeFile(stsb, s1.map((a, i) => `main-captions\tMSRvid\t2012test\t000${i}\t${gold[i]?.toFixed(3)}\t${a}\t${s2[i]}\n`).join(""));
    for (const data of [jsonl, stsb]) {
      const r = await cli(["evaluate", "--model", MODEL, "--backend", "native", "--evaluator", "sts", "--data", data, "--name", "dev"]);
      expect(r.code, r.stderr).toBe(0);
      const got = metricsOf(r.stdout);
      expect(got.primary_metric).toBe("dev_spearman_cosine");
      for (const [k, v] of Object.entries(want)) expect(got.metrics[k], k).toBeCloseTo(v, 12);
    }
  });

  it("scores binary pairs and a BEIR folder, and explains wrong data", async () => {
    const pairs = join(tmp, "pairs.csv");
    await writeFile(pairs, "a,b,label\nA man eats.,Someone has a meal.,1\nA man eats.,The sky is blue.,0\nDogs bark.,A dog is barking.,1\n");
    const b = await cli(["evaluate", "--model", MODEL, "--backend", "native", "--evaluator", "binary", "--data", pairs]);
    expect(b.code, b.stderr).toBe(0);
    expect(metricsOf(b.stdout).primary_metric).toBe("cosine_ap");
    const beir = join(tmp, "beir");
    await mkdir(join(beir, "qrels"), { recursive: true });
    await writeFile(join(beir, "corpus.jsonl"), '{"_id":"d1","title":"","text":"Cats purr."}\n{"_id":"d2","title":"Sky","text":"It is blue."}\n');
    await writeFile(join(beir, "queries.jsonl"), '{"_id":"q1","text":"what color is the sky"}\n');
    await writeFile(join(beir, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\nq1\td2\t1\n");
    const ir = await cli(["evaluate", "--model", MODEL, "--backend", "native", "--evaluator", "ir", "--data", beir]);
    expect(ir.code, ir.stderr).toBe(0);
    expect(metricsOf(ir.stdout).metrics["cosine_recall@10"]).toBe(1);
    const wrong = await cli(["evaluate", "--model", MODEL, "--evaluator", "ir", "--data", pairs]);
    expect([wrong.code, wrong.stderr]).toEqual([2, "sbert: --evaluator ir needs --data to be a BEIR folder (corpus.jsonl, queries.jsonl, qrels/)\n"]);
  });
});
