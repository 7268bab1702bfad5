/**
 * The SBERT recipe (Reimers & Gurevych 2019) end to end in TypeScript, from a random-initialised
 * small BERT (no pretrained weights are available here): SoftmaxLoss on NLI pairs (SNLI dev + SICK
 * train, 3 labels), then CosineSimilarityLoss on STS-B train (score / 5), evaluated on STS-B dev by
 * the Spearman correlation of cosine similarities — recording the learning curve and wall time.
 * `--skip-nli` runs the same pipeline without the NLI stage, for comparison.
 *
 *   npx tsx examples/train-sbert-recipe.ts --out /tmp/recipe-nli
 *   npx tsx examples/train-sbert-recipe.ts --out /tmp/recipe-sts --skip-nli
 *
 * Options: --nli-pairs N (default 6400, shuffled from the 14,342), --sts-epochs N (1), --batch-size (16),
 * --lr X (1e-4 both stages), --eval-steps N (100), --seed S (42), --threads N (GEMM threads, 1);
 * for a quick smoke run, --sts-pairs N and --dev-pairs N take the first N rows.
 * Writes <out>/results.json (curve, wall times) and the models <out>/nli, <out>/final.
 *
 * Note: the STS-B readme asks not to train on SICK and then evaluate on STS-B; the recipe
 * does, so the numbers are a pipeline check, not a benchmark result.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readStsb } from "../src/evaluation/datasets.js";
import { EmbeddingSimilarityEvaluator } from "../src/evaluation/embedding-similarity.js";
import { CosineSimilarityLoss } from "../src/losses/cosine-similarity.js";
import type { EmbeddingLoss } from "../src/losses/loss.js";
import { SoftmaxLoss } from "../src/losses/softmax.js";
import { saveSentenceTransformer } from "../src/models/save.js";
import { SentenceTransformer } from "../src/models/sentence-transformer.js";
import { noGrad } from "../src/tensor/autograd.js";
import { Rng } from "../src/tensor/random.js";
import { type TrainingDataset, datasetFromColumns } from "../src/training/data.js";
import { SentenceTransformerTrainer } from "../src/training/trainer.js";
import { DEFAULT_SPEC, makeSmallBert } from "./make-small-bert.js";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => (argv.includes(name) ? (argv[argv.indexOf(name) + 1] as string) : fallback);
const OUT = opt("--out", "/tmp/sbert-recipe");
const SKIP_NLI = argv.includes("--skip-nli");
const NLI_PAIRS = Number(opt("--nli-pairs", "6400"));
const STS_EPOCHS = Number(opt("--sts-epochs", "1"));
const STS_PAIRS = Number(opt("--sts-pairs", "100000"));
const DEV_PAIRS = Number(opt("--dev-pairs", "100000"));
const BATCH = Number(opt("--batch-size", "16"));
const LR = Number(opt("--lr", "1e-4"));
const EVAL_STEPS = Number(opt("--eval-steps", "100"));
const SEED = Number(opt("--seed", "42"));
const THREADS = Number(opt("--threads", "1"));
const DATA = join(import.meta.dirname, "../../shared/data");

/** The native GEMM kernel when it is built (another module of this repository), else the JavaScript one. */
async function installFastKernel(): Promise<string> {
  try {
    const k = await import("../src/tensor/kernels-fast.js");
    if (!k.useFastKernel()) return "js";
    k.setFastKernelThreads(THREADS);
    return `native ${k.fastKernelInfo()?.isa}, ${THREADS} thread(s)`;
  } catch {
    return "js";
  }
}

const LABELS: Record<string, number> = { contradiction: 0, entailment: 1, neutral: 2 };

/** SNLI dev (tokenised text, trimmed) + SICK train: 14,342 three-class pairs, shuffled, the first `n`. */
async function nliPairs(n: number): Promise<TrainingDataset> {
  const lines = async (f: string) => (await readFile(join(DATA, f), "utf8")).split("\n").filter((l) => l.trim() !== "");
  const [s1, s2, y] = await Promise.all([lines("snli-dev/s1.dev"), lines("snli-dev/s2.dev"), lines("snli-dev/labels.dev")]);
  const rows = s1.map((a, i) => [a.trim(), (s2[i] as string).trim(), LABELS[(y[i] as string).trim()] as number] as const);
  for (const line of (await lines("sick/SICK_train.txt")).slice(1)) {
    const c = line.split("\t");
    rows.push([c[1] as string, c[2] as string, LABELS[(c[4] as string).trim().toLowerCase()] as number]);
  }
  const picked = new Rng(SEED).shuffle([...rows]).slice(0, n);
  return datasetFromColumns({ premise: picked.map((r) => r[0]), hypothesis: picked.map((r) => r[1]), label: picked.map((r) => r[2]) }, "SNLI dev + SICK train");
}

interface Point {
  stage: string;
  step: number;
  spearman: number;
  seconds: number;
}

async function runStage(stage: string, model: SentenceTransformer, sourceDir: string, loss: EmbeddingLoss, data: TrainingDataset, epochs: number, evaluator: EmbeddingSimilarityEvaluator, curve: Point[], t0: number): Promise<number> {
  const started = performance.now();
  const trainer = new SentenceTransformerTrainer({
    model,
    sourceDir,
    loss,
    trainDataset: data,
    evaluator,
    logFile: join(OUT, `${stage}-log.jsonl`),
    args: { batchSize: BATCH, lr: LR, epochs, warmupRatio: 0.1, weightDecay: 0.01, scheduler: "linear", evalSteps: EVAL_STEPS, seed: SEED },
    onLog: (r) => {
      const s = r["eval_sts-dev_spearman_cosine"];
      if (typeof s !== "number") return;
      const p = { stage, step: r["step"] as number, spearman: s, seconds: (performance.now() - t0) / 1000 };
      curve.push(p);
      console.log(`${stage} step ${p.step}/${trainer.totalSteps}: dev Spearman ${s.toFixed(4)}  (loss ${(r["loss"] as number).toFixed(4)}, ${p.seconds.toFixed(0)} s)`);
    },
  });
  const r = await trainer.train();
  console.log(`${stage}: ${r.globalStep} steps, ${r.samplesPerSecond.toFixed(1)} pairs/s, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return r.samplesPerSecond;
}

const kernel = await installFastKernel();
const t0 = performance.now();
const base = join(OUT, "base");
const params = await makeSmallBert(base, DEFAULT_SPEC);
console.log(`model: BERT ${DEFAULT_SPEC.layers} layers, hidden ${DEFAULT_SPEC.hidden}, ${DEFAULT_SPEC.heads} heads, FFN ${DEFAULT_SPEC.ffn}, vocab ${DEFAULT_SPEC.vocab}, max length ${DEFAULT_SPEC.maxLength}: ${params.toLocaleString()} parameters, random init; kernel ${kernel}`);
const [stsTrain, stsDev] = await Promise.all([readStsb(join(DATA, "stsbenchmark/sts-train.csv")), readStsb(join(DATA, "stsbenchmark/sts-dev.csv"))]);
const evaluator = new EmbeddingSimilarityEvaluator(stsDev.sentences1.slice(0, DEV_PAIRS), stsDev.sentences2.slice(0, DEV_PAIRS), stsDev.scores.slice(0, DEV_PAIRS), { name: "sts-dev", batchSize: 64 });
const curve: Point[] = [];
let model = await SentenceTransformer.load(base, { backend: "native" });
const initial = (await noGrad(() => evaluator.evaluate(model)))["sts-dev_spearman_cosine"] as number;
curve.push({ stage: "init", step: 0, spearman: initial, seconds: (performance.now() - t0) / 1000 });
console.log(`random init: dev Spearman ${initial.toFixed(4)}`);
const speed: Record<string, number> = {};
let source = base;
if (!SKIP_NLI) {
  const nli = await nliPairs(NLI_PAIRS);
  const loss = new SoftmaxLoss({ embeddingDimension: model.getSentenceEmbeddingDimension(), numLabels: 3, rng: new Rng(SEED) });
  speed["nli"] = await runStage("nli", model, base, loss, nli, 1, evaluator, curve, t0);
  await saveSentenceTransformer(model, join(OUT, "nli"), { sourceDir: base, overwrite: true });
  source = join(OUT, "nli");
  model = await SentenceTransformer.load(source, { backend: "native" });
}
const sts = datasetFromColumns({ sentence1: stsTrain.sentences1.slice(0, STS_PAIRS), sentence2: stsTrain.sentences2.slice(0, STS_PAIRS), score: stsTrain.scores.slice(0, STS_PAIRS) }, "STS-B train");
speed["sts"] = await runStage("sts", model, source, new CosineSimilarityLoss(), sts, STS_EPOCHS, evaluator, curve, t0);
await saveSentenceTransformer(model, join(OUT, "final"), { sourceDir: source, overwrite: true });
const seconds = (performance.now() - t0) / 1000;
const final = curve.at(-1)?.spearman ?? NaN;
const result = { pipeline: SKIP_NLI ? "STS only" : "NLI then STS", kernel, spec: DEFAULT_SPEC, params, nliPairs: SKIP_NLI ? 0 : NLI_PAIRS, stsEpochs: STS_EPOCHS, batchSize: BATCH, lr: LR, seed: SEED, pairsPerSecond: speed, wallSeconds: seconds, finalDevSpearman: final, curve };
await writeFile(join(OUT, "results.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(`${result.pipeline}: final STS-B dev Spearman ${final.toFixed(4)}, wall time ${(seconds / 60).toFixed(1)} min → ${join(OUT, "results.json")}`);
