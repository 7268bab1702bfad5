import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, readdir, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import type { Evaluator, SentenceEncoder } from "../evaluation/evaluator.js";
import { CosineSimilarityLoss } from "../losses/cosine-similarity.js";
import type { EmbeddingLoss } from "../losses/loss.js";
import { MultipleNegativesRankingLoss } from "../losses/multiple-negatives-ranking.js";
import { SoftmaxLoss } from "../losses/softmax.js";
import { saveSentenceTransformer } from "../models/save.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { fastKernelInfo } from "../tensor/kernels-fast.js";
import { Tensor } from "../tensor/tensor.js";
import { listCheckpoints, newestUsableCheckpoint, verifyCheckpoint } from "./checkpoint.js";
import { datasetFromColumns } from "./data.js";
import type { TrainingArguments } from "./trainer-args.js";
import type { LogRecord } from "./trainer-log.js";
import { TrainableSentenceTransformer } from "./trainer-model.js";
import { SentenceTransformerTrainer, type TrainerOptions } from "./trainer.js";

// st-bert-mean has dropout 0.1 in config.json, so these runs also exercise the dropout generator
const MODEL = join(FIXTURES, "st-bert-mean");
const words = ["cat", "dog", "bird", "fish", "tree", "car", "sun", "moon", "rain", "road", "city", "sea"];
const DATA = datasetFromColumns({
  s1: words.map((w, i) => `A ${w} is number ${i}.`),
  s2: words.map((_, i) => `The ${words[(i + 3) % 12]} sat near ${i % 4}.`),
  score: words.map((_, i) => (i % 5) / 4),
});

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-trainer-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const ARGS: TrainingArguments = { batchSize: 4, lr: 1e-3, maxSteps: 7, warmupRatio: 0.3, seed: 3 };

async function trainer(opts: Partial<TrainerOptions> & { args?: TrainingArguments } = {}): Promise<{ t: SentenceTransformerTrainer; model: SentenceTransformer }> {
  const model = await SentenceTransformer.load(MODEL, { backend: "native" });
  const t = new SentenceTransformerTrainer({ model, sourceDir: MODEL, loss: new CosineSimilarityLoss(), trainDataset: DATA, ...opts, args: { ...ARGS, ...opts.args } });
  return { t, model };
}

const weights = (t: SentenceTransformerTrainer): number[] => t.model.params.flatMap((p) => Array.from(p.tensor.data));

describe("SentenceTransformerTrainer", () => {
  it("threads: the same weights at 1 and 2 threads, the previous count back afterwards, phase times reported", async () => {
    const before = fastKernelInfo()?.threads;
    const runs: number[][] = [];
    for (const threads of [1, 2]) {
      const { t } = await trainer({ args: { threads } });
      const r = await t.train();
      runs.push(weights(t));
      expect(fastKernelInfo()?.threads).toBe(before);
      const ph = r.phaseSeconds;
      expect(Math.min(ph.forward, ph.backward, ph.clip, ph.optimizer)).toBeGreaterThanOrEqual(0);
      expect(ph.forward + ph.backward).toBeGreaterThan(0);
    }
    expect(runs[1]).toEqual(runs[0]);
    for (const threads of [0, 65, 1.5]) await expect(trainer({ args: { threads } })).rejects.toThrowError(/threads must be an integer in 1..64/);
  });

  it("is deterministic from the seed (row order and dropout)", async () => {
    const [a, b, c, d] = await Promise.all([trainer(), trainer(), trainer({ args: { seed: 4 } }), trainer({ args: { dropout: false } })]);
    for (const x of [a, b, c, d]) await x.t.train();
    expect(weights(b.t)).toEqual(weights(a.t));
    expect(weights(c.t)).not.toEqual(weights(a.t));
    expect(weights(d.t)).not.toEqual(weights(a.t));
    // after training the weights no longer record graphs; saved and loaded back, the model embeds identically
    expect(a.t.model.params.every((p) => !p.tensor.requiresGrad)).toBe(true);
    await saveSentenceTransformer(a.model, join(tmp, "trained"), { sourceDir: MODEL });
    const loaded = await SentenceTransformer.load(join(tmp, "trained"), { backend: "native" });
    const texts = [...DATA.columns[0] as string[], "unseen text"];
    expect(Array.from((await loaded.encode(texts)).data)).toEqual(Array.from((await a.model.encode(texts)).data));
  });

  it("resumes a killed run from its last checkpoint to the same weights and log", async () => {
    const evalDataset = DATA;
    const full = await trainer({ evalDataset, logFile: join(tmp, "full.jsonl"), args: { checkpointSteps: 2, checkpointDir: join(tmp, "ck-full"), evalSteps: 3, keepBest: true } });
    const r = await full.t.train();
    expect(r.globalStep).toBe(7);

    const dir = join(tmp, "ck-killed");
    const killed = await trainer({
      evalDataset,
      logFile: join(tmp, "resumed.jsonl"),
      args: { checkpointSteps: 2, checkpointDir: dir, evalSteps: 3, keepBest: true },
      onLog: (rec) => {
        if (rec["step"] === 5) throw new Error("killed");
      },
    });
    await expect(killed.t.train()).rejects.toThrow("killed");
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([2, 4]);
    const resumed = await trainer({ evalDataset, logFile: join(tmp, "resumed.jsonl"), resumeFrom: join(dir, "checkpoint-4"), args: { checkpointSteps: 2, checkpointDir: dir, evalSteps: 3, keepBest: true } });
    const r2 = await resumed.t.train();
    expect(r2.best).toEqual(r.best);
    expect(weights(resumed.t)).toEqual(weights(full.t));
    expect(readFileSync(join(tmp, "resumed.jsonl"), "utf8")).toBe(readFileSync(join(tmp, "full.jsonl"), "utf8"));
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([4, 6]); // saveTotalLimit 2
    expect((await readdir(dir)).filter((n) => n.startsWith("."))).toEqual([]);

    const other = await trainer({ resumeFrom: join(dir, "checkpoint-6"), args: { lr: 2e-3, checkpointSteps: 2, checkpointDir: dir } });
    await expect(other.t.train()).rejects.toThrow(/other settings \(lr: checkpoint 0\.001, now 0\.002\)/);
  });

  it("resumes from the newest checkpoint that verifies when the newest is damaged, to the same weights and log", async () => {
    const full = await trainer({ logFile: join(tmp, "fb-full.jsonl"), args: { checkpointSteps: 2, checkpointDir: join(tmp, "fb-ck-full") } });
    await full.t.train();
    for (const damage of ["state", "weights"] as const) {
      const dir = join(tmp, `fb-${damage}`);
      const log = join(tmp, `fb-${damage}.jsonl`);
      const killed = await trainer({ logFile: log, args: { checkpointSteps: 2, checkpointDir: dir }, onLog: (rec) => {
        if (rec["step"] === 5) throw new Error("killed");
      } });
      await expect(killed.t.train()).rejects.toThrow("killed");
      const newest = join(dir, "checkpoint-4");
      const file = join(newest, damage === "state" ? "trainer_state.json" : join("model", "model.safetensors"));
      await truncate(file, Math.floor(statSync(file).size / 2)); // a disk that filled up mid-write
      const skipped: string[] = [];
      const from = await newestUsableCheckpoint(dir, (d, why) => skipped.push(`${d}: ${why}`));
      expect(from).toBe(join(dir, "checkpoint-2"));
      expect(skipped).toHaveLength(1);
      expect(skipped[0]).toMatch(damage === "state" ? /checkpoint-4: .*checkpoint-4[/\\]trainer_state\.json is not valid JSON \(.*\); the checkpoint is damaged$/ : /checkpoint-4: .*model\.safetensors has \d+ bytes, the checkpoint recorded \d+; the file was cut short/);
      const resumed = await trainer({ logFile: log, resumeFrom: from as string, args: { checkpointSteps: 2, checkpointDir: dir } });
      expect((await resumed.t.train()).globalStep).toBe(7);
      expect(weights(resumed.t)).toEqual(weights(full.t));
      expect(readFileSync(log, "utf8")).toBe(readFileSync(join(tmp, "fb-full.jsonl"), "utf8"));
      expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([4, 6]);
      await expect(verifyCheckpoint(newest)).resolves.toBeUndefined(); // rewritten whole by the resumed run
    }
  });

  it("stops on a NaN loss before updating, naming the step and rows, and keeps the checkpoints", async () => {
    const inner = new CosineSimilarityLoss();
    let calls = 0;
    const nanAtThird: EmbeddingLoss = {
      name: "CosineSimilarityLoss",
      computeLossFromEmbeddings: (e, y) => (++calls === 3 ? new Tensor(Float32Array.of(NaN), []) : inner.computeLossFromEmbeddings(e, y)),
      parameters: () => [],
      configDict: () => ({}),
    };
    const dir = join(tmp, "ck-nan");
    const { t } = await trainer({ loss: nanAtThird, args: { checkpointSteps: 1, checkpointDir: dir } });
    const err = (await t.train().then(
      () => new Error("no error"),
      (e: unknown) => e as Error,
    ));
    expect(err.message).toMatch(/training stopped: the loss is NaN at step 3 \(epoch 0, batch 2: <memory> lines \d+, \d+, \d+, \d+\); the weights were not updated/);
    expect(err.message).toMatch(/checkpoints in .*ck-nan are untouched/);
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([1, 2]);
    const saved = await SentenceTransformer.load(join(dir, "checkpoint-2", "model"), { backend: "native" });
    expect(Array.from(saved.transformer.encoder.params.get("encoder.layer.0.output.dense.weight").data)).toEqual(Array.from(t.model.param("encoder.layer.0.output.dense.weight")?.data ?? []));
  });

  it("ends with the best evaluation's weights with keepBest", async () => {
    const values = [0.2, 0.9, 0.4];
    let n = 0;
    const evaluator: Evaluator<SentenceEncoder> = { name: "stub", primaryMetric: "stub_score", greaterIsBetter: true, evaluate: async () => ({ stub_score: values[n++] ?? 0 }) };
    let atBest: number[] = [];
    const logs: LogRecord[] = [];
    const { t } = await trainer({ evaluator, args: { maxSteps: 6, evalSteps: 2, keepBest: true }, onLog: (r) => (logs.push(r), r["step"] === 4 && (atBest = weights(t))) });
    const r = await t.train();
    expect(r.best).toEqual({ step: 4, metric: "eval_stub_score", value: 0.9 });
    expect(weights(t)).toEqual(atBest);
    expect(logs.map((l) => l["eval_stub_score"] ?? null)).toEqual([null, 0.2, null, 0.9, null, 0.4]);
  });

  it("checks the data against the loss and picks the no-duplicates sampler for in-batch negatives", async () => {
    const model = await SentenceTransformer.load(MODEL, { backend: "native" });
    const nli = datasetFromColumns({ a: ["x", "y"], b: ["z", "w"], label: [0, 5] }, "nli.tsv");
    expect(() => new SentenceTransformerTrainer({ model, sourceDir: MODEL, loss: new SoftmaxLoss({ embeddingDimension: 48, numLabels: 3 }), trainDataset: nli })).toThrow(/nli\.tsv line 2 label 5 is out of range/);
    const pairs = datasetFromColumns({ q: ["a", "b"], d: ["c", "d"] });
    expect(new SentenceTransformerTrainer({ model, sourceDir: MODEL, loss: new MultipleNegativesRankingLoss(), trainDataset: pairs }).args.batchSampler).toBe("no_duplicates");
    expect(new SentenceTransformerTrainer({ model, sourceDir: MODEL, loss: new CosineSimilarityLoss(), trainDataset: DATA, args: { epochs: 2, batchSize: 5 } }).totalSteps).toBe(6);
    expect(existsSync(MODEL)).toBe(true);
  });

  it("names a Dense module's weights by module index and restores them from a saved folder", async () => {
    const dir = join(FIXTURES, "st-bert-cls-dense-normalize");
    const model = await SentenceTransformer.load(dir, { backend: "native" });
    const m = new TrainableSentenceTransformer(model);
    expect(m.params.filter((p) => /^\d/.test(p.name)).map((p) => p.name)).toEqual(["2_Dense/linear.weight", "2_Dense/linear.bias"]);
    await saveSentenceTransformer(model, join(tmp, "dense"), { sourceDir: dir });
    const before = m.snapshot();
    for (const p of m.params) p.tensor.data.fill(0.5);
    await m.loadWeights(join(tmp, "dense"));
    expect(m.snapshot()).toEqual(before);
  });
});

