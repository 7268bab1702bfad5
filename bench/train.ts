/**
 * Training throughput on the MiniLM-L6-shaped benchmark model (6 layers, hidden 384, 12 heads, FFN
 * 1536, vocab 30522; `npm run bench:models` writes it), batches of 16 sentence pairs of STS-B /
 * SNLI length, full steps through the trainer (forward of both columns, loss, backward, gradient
 * clipping, AdamW over all 22.7M parameters, schedule), for SoftmaxLoss and
 * MultipleNegativesRankingLoss at each thread count:
 *
 *   npx tsx bench/train.ts [--steps 10] [--warmup 12] [--threads 1,2] [--losses softmax,mnrl] [--baseline-steps 3 (0: none)] [--model bench/models/minilm-l6] [--kernel-times]
 *
 * Every case runs in a process of its own (this script again, with --child), after `--warmup`
 * untimed steps: a case measured after another in the same process inherits its warm heap and
 * kernels' scratch, and the first steps of a process are slower (page faults while the heap, the
 * step's buffer arena and the optimizer state grow), so the order of the cases changed the
 * figures by up to 30% (the 2-thread over 1-thread ratio between 1.06x and 1.7x). A fresh process
 * reaches its steady state after about 10 steps (page faults per step, printed, fall from
 * thousands to tens), hence the 12 warm-up steps.
 *
 * Prints pairs/s, GFLOP/s, the share of the fp32 peak and a per-step breakdown (tokenization, the
 * rest of the forward, backward, clipping, optimizer). The baseline, measured in the same run (the
 * machine is shared: compare ratios, not absolute figures), is SoftmaxLoss at 1 thread with the
 * native GEMM and the TypeScript row-wise kernels (op-kernels.ts), i.e. this code before the
 * native row-wise kernels. FLOPs are counted on the padded batches the code actually computes —
 * 2·rows·in·out per linear layer plus 4·B·T²·hidden per attention — times 3 for forward +
 * backward, against the measured fp32 FMA peak per core (bench/lib/peak.ts). Peak RSS is each case's process's.
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readStsb } from "../src/evaluation/datasets.js";
import type { EmbeddingLoss } from "../src/losses/loss.js";
import { MultipleNegativesRankingLoss } from "../src/losses/multiple-negatives-ranking.js";
import { SoftmaxLoss } from "../src/losses/softmax.js";
import { SentenceTransformer } from "../src/models/sentence-transformer.js";
import { loadFastKernel, loadFastOpKernels, setFastKernelThreads } from "../src/tensor/kernels-fast.js";
import { type GemmKernel, jsGemmKernel, setGemmKernel } from "../src/tensor/kernels.js";
import { type OpKernels, jsOpKernels, setOpKernels } from "../src/tensor/op-kernels.js";
import { Rng } from "../src/tensor/random.js";
import { datasetFromColumns } from "../src/training/data.js";
import { peakNote, peakPerCore } from "./lib/peak.js";
import { SentenceTransformerTrainer } from "../src/training/trainer.js";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => (argv.includes(name) ? (argv[argv.indexOf(name) + 1] as string) : fallback);
const MODEL = opt("--model", join(import.meta.dirname, "models/minilm-l6"));
const STEPS = Number(opt("--steps", "10"));
const WARMUP = Number(opt("--warmup", "12"));
const BASELINE_STEPS = Number(opt("--baseline-steps", "3"));
const THREADS = opt("--threads", "1,2").split(",").map(Number);
const LOSSES = opt("--losses", "softmax,mnrl").split(",") as Array<"softmax" | "mnrl">;
/** `--kernel-times`: also time every GEMM and row-wise kernel call (adds a little overhead). */
const KERNEL_TIMES = argv.includes("--kernel-times");
const kernelMs = new Map<string, number>();

/** The same kernels, each call timed into `kernelMs` under its name (GEMMs by shape class). */
function timed<T extends object>(kernels: T, prefix: string): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(kernels)) {
    out[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      const r = (fn as (...a: unknown[]) => unknown)(...args);
      const key = `${prefix}${name}`;
      kernelMs.set(key, (kernelMs.get(key) ?? 0) + performance.now() - t0);
      return r; // sumSquares and softmaxCrossEntropy return their sums
    };
  }
  return out as T;
}
const BATCH = 16;
const PEAK_PER_CORE = (): number => peakPerCore().gflops * 1e9;
const DATA = join(import.meta.dirname, "../../shared/data");

/** Half STS-B train pairs, half SNLI dev pairs, interleaved; random 3-class labels. */
async function pairs(n: number): Promise<{ s1: string[]; s2: string[] }> {
  const sts = await readStsb(join(DATA, "stsbenchmark/sts-train.csv"));
  const lines = async (f: string) => (await readFile(join(DATA, f), "utf8")).split("\n").filter((l) => l.trim() !== "").map((l) => l.trim());
  const [p, h] = await Promise.all([lines("snli-dev/s1.dev"), lines("snli-dev/s2.dev")]);
  const s1: string[] = [];
  const s2: string[] = [];
  for (let i = 0; s1.length < n; i++) {
    s1.push(i % 2 ? (p[i * 7] as string) : (sts.sentences1[i] as string));
    s2.push(i % 2 ? (h[i * 7] as string) : (sts.sentences2[i] as string));
  }
  return { s1, s2 };
}

interface Measure {
  pairsPerSecond: number;
  gflops: number;
  secondsPerStep: number;
  /** Pairs per second of process CPU time (all threads): on a shared machine, the steadier figure. */
  pairsPerCpuSecond: number;
  /** ms per step */
  phases: Record<"tokenize" | "forward" | "backward" | "clip" | "optimizer", number>;
  /** the case's own process */
  peakRssMiB: number;
  /** minor page faults per timed step (fresh memory touched: each costs the kernel a zeroed page) */
  faultsPerStep: number;
  /** with --kernel-times: ms per step of each kernel, one line */
  kernels?: string;
}

interface Engine {
  gemm: GemmKernel;
  ops: OpKernels;
  threads: number;
}

async function measure(engine: Engine, lossName: "softmax" | "mnrl", steps: number, s1: string[], s2: string[]): Promise<Measure> {
  const model = await SentenceTransformer.load(MODEL, { backend: "native" });
  // after loading: creating an encoder installs the native kernels when they are built
  setGemmKernel(KERNEL_TIMES ? timed(engine.gemm, "") : engine.gemm);
  setOpKernels(KERNEL_TIMES ? timed(engine.ops, "") : engine.ops);
  kernelMs.clear();
  setFastKernelThreads(engine.threads);
  const cfg = model.transformer.encoder.config;
  const rng = new Rng(1);
  const n = (steps + WARMUP) * BATCH; // WARMUP untimed steps first
  const ds =
    lossName === "softmax"
      ? datasetFromColumns({ premise: s1.slice(0, n), hypothesis: s2.slice(0, n), label: Array.from({ length: n }, () => rng.nextInt(3)) })
      : datasetFromColumns({ anchor: s1.slice(0, n), positive: s2.slice(0, n) });
  const loss: EmbeddingLoss = lossName === "softmax" ? new SoftmaxLoss({ embeddingDimension: cfg.hiddenSize, numLabels: 3 }) : new MultipleNegativesRankingLoss();
  const times: number[] = [];
  const cpu: number[] = [];
  let t = performance.now();
  let c = process.cpuUsage();
  let warmPhases: Record<string, number> = {};
  let faultsAtWarm = 0;
  const trainer: SentenceTransformerTrainer = new SentenceTransformerTrainer({
    model,
    sourceDir: MODEL,
    loss,
    trainDataset: ds,
    // batch_sampler keeps the rows in order for both losses (no_duplicates would skip repeats)
    args: { batchSize: BATCH, lr: 2e-5, maxSteps: steps + WARMUP, shuffle: false, batchSampler: "batch_sampler" },
    onLog: () => {
      const now = performance.now();
      times.push(now - t);
      t = now;
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1e6);
      c = process.cpuUsage();
      if (times.length === WARMUP) faultsAtWarm = process.resourceUsage().minorPageFault;
      if (times.length === WARMUP) {
        // the breakdowns cover the timed steps only: reset the kernel times, note the phases so far
        kernelMs.clear();
        warmPhases = { ...(trainer as unknown as { phases: Record<string, number> }).phases };
      }
    },
  });
  const result = await trainer.train();
  // FLOPs of the timed steps, on the padded batches the encoder really computes; tokenization timed on the same batches
  let flops = 0;
  let tokenizeMs = 0;
  const { hiddenSize: h, intermediateSize: ff, numLayers: layers } = cfg;
  for (let b = WARMUP; b < WARMUP + steps; b++) {
    for (const col of [s1, s2]) {
      const t0 = performance.now();
      const batch = model.transformer.tokenize(col.slice(b * BATCH, (b + 1) * BATCH));
      tokenizeMs += performance.now() - t0;
      const rows = batch.batchSize * batch.seqLen;
      const linear = 2 * rows * (4 * h * h + 2 * h * ff);
      const attention = 4 * batch.batchSize * batch.seqLen * batch.seqLen * h;
      flops += 3 * layers * (linear + attention);
    }
  }
  const seconds = times.slice(WARMUP).reduce((a, b) => a + b, 0) / 1000;
  const kernels = KERNEL_TIMES ? `kernels, ms/step: ${[...kernelMs].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / steps).toFixed(0)}`).join(", ")}` : undefined;
  // phases of the timed steps, per step
  const ph = result.phaseSeconds;
  const per = (k: keyof typeof ph) => (1000 * (ph[k] - (warmPhases[k] ?? 0))) / steps;
  const tok = tokenizeMs / steps;
  return {
    pairsPerSecond: (steps * BATCH) / seconds,
    gflops: flops / seconds / 1e9,
    secondsPerStep: seconds / steps,
    pairsPerCpuSecond: (steps * BATCH) / cpu.slice(WARMUP).reduce((a, b) => a + b, 0),
    phases: { tokenize: tok, forward: per("forward") - tok, backward: per("backward"), clip: per("clip"), optimizer: per("optimizer") },
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    faultsPerStep: (process.resourceUsage().minorPageFault - faultsAtWarm) / steps,
    ...(kernels ? { kernels } : {}),
  };
}

const { s1, s2 } = await pairs((Math.max(STEPS, BASELINE_STEPS) + WARMUP) * BATCH);
const report = (name: string, m: Measure, cores: number) => {
  const p = m.phases;
  if (m.kernels) console.log(`  ${m.kernels}`);
  console.log(
    `${name.padEnd(44)} ${m.pairsPerSecond.toFixed(2).padStart(6)} pairs/s ${m.secondsPerStep.toFixed(2)} s/step ${m.gflops.toFixed(1).padStart(5)} GFLOP/s ${((100 * m.gflops * 1e9) / (PEAK_PER_CORE() * cores)).toFixed(1).padStart(4)}% of ${cores}-core peak ${m.pairsPerCpuSecond.toFixed(2).padStart(6)} pairs/CPU-s | ms/step: ` +
      `tokenize ${p.tokenize.toFixed(0)}, forward ${p.forward.toFixed(0)}, backward ${p.backward.toFixed(0)}, clip ${p.clip.toFixed(0)}, optimizer ${p.optimizer.toFixed(0)} | peak RSS ${m.peakRssMiB.toFixed(0)} MiB, ${m.faultsPerStep.toFixed(0)} page faults/step`,
  );
};

interface Case {
  ts: boolean;
  loss: "softmax" | "mnrl";
  threads: number;
  steps: number;
}

const CHILD = argv.includes("--child") ? (JSON.parse(opt("--child", "{}")) as Case) : undefined;
const gemm = loadFastKernel();
const ops = loadFastOpKernels();
if (!gemm || !ops) {
  console.log("native kernels not built (npm run build:native): nothing to measure");
  process.exit(1);
}
if (CHILD) {
  const m = await measure({ gemm, ops: CHILD.ts ? jsOpKernels : ops, threads: CHILD.threads }, CHILD.loss, CHILD.steps, s1, s2);
  console.log(`RESULT ${JSON.stringify(m)}`);
  process.exit(0);
}

/** One case in a fresh process (this script with --child): see the header for why. */
function run(c: Case): Measure {
  const args = [...process.execArgv, process.argv[1] as string, ...argv, "--child", JSON.stringify(c)];
  const out = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
  const line = out.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (out.status !== 0 || !line) throw new Error(`the case ${JSON.stringify(c)} failed (exit ${out.status}):\n${out.stdout}`);
  return JSON.parse(line.slice("RESULT ".length)) as Measure;
}

console.log(`training, ${MODEL}, batch ${BATCH} pairs (STS-B + SNLI sentences), ${WARMUP} warm-up steps then ${STEPS} timed, each case in its own process, ${peakNote()}`);
const baseline = BASELINE_STEPS > 0 ? run({ ts: true, loss: "softmax", threads: 1, steps: BASELINE_STEPS }) : undefined;
if (baseline) report("baseline: SoftmaxLoss, TS row-wise kernels, 1t", baseline, 1);
const results: Record<string, Measure> = {};
for (const lossName of LOSSES) {
  for (const threads of THREADS) {
    const m = run({ ts: false, loss: lossName, threads, steps: STEPS });
    results[`${lossName}/${threads}`] = m;
    report(`${lossName === "softmax" ? "SoftmaxLoss" : "MultipleNegativesRankingLoss"}, native kernels, ${threads}t`, m, threads);
  }
}
const one = results["softmax/1"];
if (baseline && one) {
  console.log(`SoftmaxLoss 1 thread vs the baseline of this run: ${(one.pairsPerSecond / baseline.pairsPerSecond).toFixed(2)}x (wall), ${(one.pairsPerCpuSecond / baseline.pairsPerCpuSecond).toFixed(2)}x (CPU time)`);
}
for (const lossName of LOSSES) {
  const [a, b] = [results[`${lossName}/1`], results[`${lossName}/2`]];
  if (a && b) console.log(`${lossName}: 2 threads vs 1: ${(b.pairsPerSecond / a.pairsPerSecond).toFixed(2)}x`);
}
