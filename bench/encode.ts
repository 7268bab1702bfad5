/**
 * Encode throughput on the benchmark models (make them first: `npx tsx bench/make-bench-models.ts`).
 *
 *   npx tsx bench/encode.ts [--n 3000] [--native-n 200] [--models bench/models]
 *
 * Same model files, same 3000 STS-B dev sentences, each configuration in its own process:
 * transformers.js feature-extraction (batches of 32, mean pooling + normalize, as its docs show)
 * is the baseline; then our onnx backend fp32 and int8 and our native backend, at 1 and 2 threads,
 * and the cross-encoder in pairs/s. GFLOP/s count the useful work on real tokens (no padding)
 * against the machine's fp32 peak (~114 GFLOP/s per core).
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CrossEncoder, SentenceTransformer } from "../src/index.js";
import { type CaseResult, arg, flopsPerToken, peakRssMb, row, runCase } from "./lib/cases.js";
import { stsDevPairs, stsDevSentences } from "./lib/sts.js";

const PEAK_PER_CORE = 114;
const MODELS = arg("--models", join(import.meta.dirname, "models"));
const N = Number(arg("--n", "3000"));
const NATIVE_N = Number(arg("--native-n", "200"));

async function countWork(model: SentenceTransformer | CrossEncoder, inputs: (string | [string, string])[]): Promise<{ tokens: number; flops: number }> {
  const t = model.transformer;
  let tokens = 0;
  let flops = 0;
  for (let i = 0; i < inputs.length; i += 64) {
    const b = t.tokenize(inputs.slice(i, i + 64));
    for (const len of b.lengths) {
      tokens += len;
      flops += len * flopsPerToken(t.config, len);
    }
  }
  return { tokens, flops };
}

/** Child process: one configuration. */
async function child(name: string): Promise<CaseResult> {
  const threads = Number(arg("--threads", "1"));
  const dir = arg("--model", "");
  const n = Number(arg("--items", String(N)));
  const onnxFile = arg("--onnx-file", "model.onnx");
  const sentences = (stsDevSentences() ?? []).slice(0, n);
  const t0 = performance.now();
  if (name === "transformers.js") {
    const { pipeline, env } = await import("@huggingface/transformers");
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(dir)}/`;
    const extractor = await pipeline("feature-extraction", basename(dir), {
      dtype: "fp32",
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
    const loadMs = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < sentences.length; i += 32) await extractor(sentences.slice(i, i + 32), { pooling: "mean", normalize: true });
    const seconds = (performance.now() - t1) / 1000;
    const work = await countWork(await SentenceTransformer.load(dir, { backend: "native" }), sentences);
    return { name, threads, items: sentences.length, seconds, loadMs, ...work, peakRssMb: peakRssMb() };
  }
  if (name.startsWith("ce-")) {
    const pairs = (stsDevPairs() ?? []).slice(0, n).map((p) => [p.a, p.b] as [string, string]);
    const backend = name === "ce-native" ? "native" : "onnx";
    const ce = await CrossEncoder.load(dir, { backend, threads, onnxFile });
    const loadMs = performance.now() - t0;
    const t1 = performance.now();
    await ce.predict(pairs, { batchSize: 32 });
    const seconds = (performance.now() - t1) / 1000;
    return { name, threads, items: pairs.length, seconds, loadMs, ...(await countWork(ce, pairs)), peakRssMb: peakRssMb() };
  }
  const backend = name === "native" ? "native" : "onnx";
  const model = await SentenceTransformer.load(dir, { backend, threads, onnxFile });
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  await model.encode(sentences, { batchSize: 32, normalizeEmbeddings: true });
  const seconds = (performance.now() - t1) / 1000;
  return { name, threads, items: sentences.length, seconds, loadMs, ...(await countWork(model, sentences)), peakRssMb: peakRssMb() };
}

async function main(): Promise<void> {
  if (!stsDevSentences()) throw new Error("../shared/data/stsbenchmark/sts-dev.csv is missing");
  const bi = join(MODELS, "minilm-l6");
  const ce = join(MODELS, "minilm-l6-ce");
  if (!existsSync(bi)) throw new Error(`${bi} is missing: run npx tsx bench/make-bench-models.ts`);
  const onnxFiles = existsSync(join(bi, "onnx")) ? readdirSync(join(bi, "onnx")).filter((f) => f.endsWith(".onnx")) : [];
  const int8 = onnxFiles.find((f) => f !== "model.onnx");
  const script = join(import.meta.dirname, "encode.ts");
  const plan: [string, string[]][] = [];
  for (const t of [1, 2]) {
    plan.push(["transformers.js", ["--model", bi, "--threads", String(t)]]);
    plan.push(["onnx-fp32", ["--model", bi, "--threads", String(t)]]);
    if (int8) plan.push(["onnx-int8", ["--model", bi, "--threads", String(t), "--onnx-file", int8]]);
  }
  plan.push(["native", ["--model", bi, "--items", String(NATIVE_N)]]);
  if (existsSync(ce)) {
    plan.push(["ce-onnx", ["--model", ce, "--threads", "2", "--items", String(Math.min(N, 1500))]]);
    plan.push(["ce-native", ["--model", ce, "--items", String(Math.min(NATIVE_N, 100))]]);
  }
  const widths = [16, 8, 7, 12, 10, 9, 8, 9, 9];
  console.log(`model ${bi}; ${N} STS-B dev sentences; peak ${PEAK_PER_CORE} GFLOP/s per core`);
  console.log(row(["case", "threads", "items", "items/s", "vs tjs", "GFLOP/s", "% peak", "load ms", "RSS MB"], widths));
  const baseline = new Map<number, number>();
  for (const [name, args] of plan) {
    const r = await runCase(script, name, args);
    if (r.error) {
      console.log(row([name, args[3] ?? "", "-", `error: ${r.error}`], widths));
      continue;
    }
    const rate = r.items / r.seconds;
    if (name === "transformers.js") baseline.set(r.threads, rate);
    const base = baseline.get(r.threads);
    const gflops = r.flops / r.seconds / 1e9;
    console.log(
      row(
        [name, r.threads, r.items, rate.toFixed(1), name.startsWith("ce-") || !base ? "-" : `${(rate / base).toFixed(2)}×`, gflops.toFixed(1), `${((100 * gflops) / (PEAK_PER_CORE * r.threads)).toFixed(0)}%`, r.loadMs.toFixed(0), r.peakRssMb.toFixed(0)],
        widths,
      ),
    );
  }
}

const caseName = arg("--case", "");
if (caseName) console.log(JSON.stringify(await child(caseName)));
else await main();
