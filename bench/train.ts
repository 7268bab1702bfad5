/**
 * Training throughput: SoftmaxLoss on the MiniLM-L6-shaped benchmark model (6 layers, hidden 384,
 * 12 heads, FFN 1536, vocab 30522; `npx tsx bench/make-bench-models.ts` writes it), batches of 16
 * sentence pairs of STS-B / SNLI length, full steps through the trainer (forward of both columns,
 * loss, backward, gradient clipping, AdamW over all 22.7M parameters, schedule).
 *
 *   npx tsx bench/train.ts [--steps 8] [--baseline-steps 2 (0: no baseline)] [--threads 1] [--model bench/models/minilm-l6]
 *
 * Prints pairs/s with the native GEMM kernel (when built) against the JavaScript kernel measured in
 * the same run, and the share of the machine's fp32 peak: FLOPs are counted on the padded batches
 * the code actually computes — 2·rows·in·out per linear layer plus 4·B·T²·hidden per attention —
 * times 3 for forward + backward, against 114 GFLOP/s per core (AVX-512 FMA at this clock).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readStsb } from "../src/evaluation/datasets.js";
import { SoftmaxLoss } from "../src/losses/softmax.js";
import { SentenceTransformer } from "../src/models/sentence-transformer.js";
import { type GemmKernel, jsGemmKernel, setGemmKernel } from "../src/tensor/kernels.js";
import { Rng } from "../src/tensor/random.js";
import { datasetFromColumns } from "../src/training/data.js";
import { SentenceTransformerTrainer } from "../src/training/trainer.js";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => (argv.includes(name) ? (argv[argv.indexOf(name) + 1] as string) : fallback);
const MODEL = opt("--model", join(import.meta.dirname, "models/minilm-l6"));
const STEPS = Number(opt("--steps", "8"));
const BASELINE_STEPS = Number(opt("--baseline-steps", "2"));
const THREADS = Number(opt("--threads", "1"));
const BATCH = 16;
const PEAK_PER_CORE = 114e9;
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
}

async function measure(kernel: GemmKernel, steps: number, s1: string[], s2: string[]): Promise<Measure> {
  const model = await SentenceTransformer.load(MODEL, { backend: "native" });
  setGemmKernel(kernel); // after loading: creating an encoder installs the native kernel when it is built
  const cfg = model.transformer.encoder.config;
  const rng = new Rng(1);
  const n = (steps + 1) * BATCH; // one untimed warm-up step
  const ds = datasetFromColumns({ premise: s1.slice(0, n), hypothesis: s2.slice(0, n), label: Array.from({ length: n }, () => rng.nextInt(3)) });
  const loss = new SoftmaxLoss({ embeddingDimension: cfg.hiddenSize, numLabels: 3 });
  const times: number[] = [];
  let t = performance.now();
  const trainer = new SentenceTransformerTrainer({
    model,
    sourceDir: MODEL,
    loss,
    trainDataset: ds,
    args: { batchSize: BATCH, lr: 2e-5, maxSteps: steps + 1, shuffle: false },
    onLog: () => {
      const now = performance.now();
      times.push(now - t);
      t = now;
    },
  });
  await trainer.train();
  // FLOPs of the timed steps, on the padded batches the encoder really computes
  let flops = 0;
  const { hiddenSize: h, intermediateSize: ff, numLayers: layers } = cfg;
  for (let b = 1; b <= steps; b++) {
    for (const col of [s1, s2]) {
      const batch = model.transformer.tokenize(col.slice(b * BATCH, (b + 1) * BATCH));
      const rows = batch.batchSize * batch.seqLen;
      const linear = 2 * rows * (4 * h * h + 2 * h * ff);
      const attention = 4 * batch.batchSize * batch.seqLen * batch.seqLen * h;
      flops += 3 * layers * (linear + attention);
    }
  }
  const seconds = times.slice(1).reduce((a, b) => a + b, 0) / 1000;
  return { pairsPerSecond: (steps * BATCH) / seconds, gflops: flops / seconds / 1e9, secondsPerStep: seconds / steps };
}

const { s1, s2 } = await pairs((STEPS + 1) * BATCH);
const report = (name: string, m: Measure, cores: number) =>
  console.log(`${name.padEnd(28)} ${m.pairsPerSecond.toFixed(2).padStart(7)} pairs/s  ${m.secondsPerStep.toFixed(2)} s/step  ${m.gflops.toFixed(1).padStart(6)} GFLOP/s  ${((100 * m.gflops * 1e9) / (PEAK_PER_CORE * cores)).toFixed(1)}% of ${cores}-core peak`);
console.log(`SoftmaxLoss training, ${MODEL}, batch ${BATCH} pairs (STS-B + SNLI sentences), fp32 peak ${PEAK_PER_CORE / 1e9} GFLOP/s per core`);
const baseline = BASELINE_STEPS > 0 ? await measure(jsGemmKernel, BASELINE_STEPS, s1, s2) : undefined;
if (baseline) report("JavaScript GEMM kernel", baseline, 1);
let fast: GemmKernel | undefined;
try {
  const k = await import("../src/tensor/kernels-fast.js");
  fast = k.loadFastKernel();
  if (fast) k.setFastKernelThreads(THREADS);
} catch {
  fast = undefined;
}
if (fast) {
  const m = await measure(fast, STEPS, s1, s2);
  report(`native GEMM, ${THREADS} thread(s)`, m, THREADS);
  if (baseline) console.log(`speed-up over the JavaScript kernel: ${(m.pairsPerSecond / baseline.pairsPerSecond).toFixed(1)}x`);
} else console.log("native GEMM kernel not built (npm run build:native): JavaScript kernel only");
