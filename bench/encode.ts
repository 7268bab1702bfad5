/**
 * Encode throughput on the benchmark models (make them first: `npx tsx bench/make-bench-models.ts`).
 *
 *   npx tsx bench/encode.ts [--n 3000] [--native-n 200] [--models bench/models] [--rounds 3] [--only mpnet]
 *
 * Same model files, same 3000 STS-B dev sentences, each configuration in its own process. This
 * machine is a shared VM whose speed drifts by ±5% within a minute, so the whole plan runs
 * `--rounds` times round-robin (every case once per round, baseline next to ours) and the table
 * shows each case's median rate; ratios are of medians.
 * transformers.js feature-extraction (batches of 32, mean pooling + normalize, as its docs show)
 * is the baseline; then our onnx backend fp32 and int8 and our native backend, at 1 and 2 threads,
 * and the cross-encoder in pairs/s. GFLOP/s count the useful work on real tokens (no padding)
 * against the machine's fp32 peak (measured: bench/lib/peak.ts), from the checkpoint's matmul weights
 * (bench/lib/flops.ts). When `npm run bench:models:arch` has written them, the ModernBERT-base and
 * Qwen3-0.6B-shaped models run too (onnx at 1 and 2 threads, native; no transformers.js baseline).
 */
import { existsSync, readdirSync, symlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CrossEncoder, SentenceTransformer } from "../src/index.js";
import { paddingFraction, planBatches } from "../src/models/batching.js";
import { type CaseResult, arg, peakRssMb, row, runCase } from "./lib/cases.js";
import { flopCounter } from "./lib/flops.js";
import { peakNote, peakPerCore } from "./lib/peak.js";
import { stsDevPairs, stsDevSentences } from "./lib/sts.js";

const MODELS = arg("--models", join(import.meta.dirname, "models"));
const N = Number(arg("--n", "3000"));
const NATIVE_N = Number(arg("--native-n", "200"));

async function countWork(model: SentenceTransformer | CrossEncoder, inputs: (string | [string, string])[], dir: string): Promise<{ tokens: number; flops: number }> {
  const t = model.transformer;
  const flopsPerToken = await flopCounter(dir);
  let tokens = 0;
  let flops = 0;
  for (let i = 0; i < inputs.length; i += 64) {
    const b = t.tokenize(inputs.slice(i, i + 64));
    for (const len of b.lengths) {
      tokens += len;
      flops += len * flopsPerToken(len);
    }
  }
  return { tokens, flops };
}

/** Texts of at least 128 tokens, made by joining consecutive STS-B sentences (for the 32 × 128 case). */
function longTexts(model: SentenceTransformer, n: number): string[] {
  const all = stsDevSentences() ?? [];
  const out: string[] = [];
  for (let i = 0; out.length < n && i < all.length; ) {
    let text = "";
    while (i < all.length && (model.tokenize([text]).lengths[0] ?? 0) < 130) text += `${all[i++] as string} `;
    out.push(text);
  }
  return out;
}

/** Child process: one configuration. */
async function child(name: string): Promise<CaseResult> {
  const threads = Number(arg("--threads", "1"));
  const dir = arg("--model", "");
  const n = Number(arg("--items", String(N)));
  const onnxFile = arg("--onnx-file", "model.onnx");
  const sentences = (stsDevSentences() ?? []).slice(0, n);
  const t0 = performance.now();
  if (name.startsWith("transformers.js")) {
    const { pipeline, env } = await import("@huggingface/transformers");
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(dir)}/`;
    const int8 = name.endsWith("int8");
    if (int8) {
      // transformers.js looks for onnx/model_quantized.onnx: point it at our int8 graph (same file)
      const link = join(dir, "onnx", "model_quantized.onnx");
      if (!existsSync(link)) symlinkSync(onnxFile, link);
    }
    const extractor = await pipeline("feature-extraction", basename(dir), {
      dtype: int8 ? "q8" : "fp32",
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
    const loadMs = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < sentences.length; i += 32) await extractor(sentences.slice(i, i + 32), { pooling: "mean", normalize: true });
    const seconds = (performance.now() - t1) / 1000;
    const work = await countWork(await SentenceTransformer.load(dir, { backend: "native" }), sentences, dir);
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
    return { name, threads, items: pairs.length, seconds, loadMs, ...(await countWork(ce, pairs, dir)), peakRssMb: peakRssMb() };
  }
  const backend = name === "native" ? "native" : "onnx";
  const model = await SentenceTransformer.load(dir, { backend, threads, onnxFile });
  const loadMs = performance.now() - t0;
  const texts = name.endsWith("-long") ? longTexts(model, sentences.length) : sentences;
  if (name.endsWith("-long")) model.maxSeqLength = 128;
  const t1 = performance.now();
  await model.encode(texts, { batchSize: 32, normalizeEmbeddings: true });
  const seconds = (performance.now() - t1) / 1000;
  // what the batching did: padding of the plan, and the time spent tokenizing (measured apart)
  const t2 = performance.now();
  const lengths = model.transformer.tokenizeRows(texts).map((r) => r.ids.length);
  const tokenizeSeconds = (performance.now() - t2) / 1000;
  const padding = paddingFraction(lengths, planBatches(lengths, 32));
  return { name, threads, items: texts.length, seconds, loadMs, ...(await countWork(model, texts, dir)), peakRssMb: peakRssMb(), padding, tokenizeShare: tokenizeSeconds / seconds };
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
    if (int8) {
      plan.push(["transformers.js-int8", ["--model", bi, "--threads", String(t), "--onnx-file", int8]]);
      plan.push(["onnx-int8", ["--model", bi, "--threads", String(t), "--onnx-file", int8]]);
    }
  }
  plan.push(["onnx-fp32-long", ["--model", bi, "--threads", "2", "--items", "640"]]);
  const mpnet = join(MODELS, "mpnet-base");
  if (existsSync(join(mpnet, "onnx", "model.onnx"))) {
    plan.push(["transformers.js", ["--model", mpnet, "--threads", "2"]]);
    plan.push(["onnx-fp32", ["--model", mpnet, "--threads", "2"]]);
  }
  // the newer architectures (bench/make-arch-bench-models.ts): onnx at 1 and 2 threads, native
  for (const name of ["modernbert-base", "qwen3-0.6b-l7"]) {
    const dir = join(MODELS, name);
    if (!existsSync(join(dir, "model.safetensors"))) continue;
    if (existsSync(join(dir, "onnx", "model.onnx"))) for (const t of [1, 2]) plan.push(["onnx-fp32", ["--model", dir, "--threads", String(t), "--items", String(Math.min(N, 300))]]);
    plan.push(["native", ["--model", dir, "--items", String(Math.min(NATIVE_N, 50))]]);
  }
  plan.push(["native", ["--model", bi, "--items", String(NATIVE_N)]]);
  if (existsSync(ce)) {
    plan.push(["ce-onnx", ["--model", ce, "--threads", "2", "--items", String(Math.min(N, 1500))]]);
    plan.push(["ce-native", ["--model", ce, "--items", String(Math.min(NATIVE_N, 100))]]);
  }
  const only = arg("--only", "");
  const cases = plan.filter(([name, args]) => !only || `${name} ${basename(args[1] ?? "")}`.includes(only));
  const rounds = Number(arg("--rounds", "3"));
  const results: CaseResult[][] = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, [name, args]] of cases.entries()) {
      const res = await runCase(script, name, args);
      (results[i] as CaseResult[]).push(res);
      process.stderr.write(`round ${r + 1}/${rounds} ${name} ${basename(args[1] ?? "")}: ${res.error ?? `${(res.items / res.seconds).toFixed(1)}/s`}\n`);
    }
  }
  const widths = [21, 11, 8, 7, 10, 8, 9, 7, 8, 8, 8, 7, 20];
  const PEAK_PER_CORE = peakPerCore().gflops;
  console.log(`${N} STS-B dev sentences (fewer where items says); ${peakNote()}; int8 GFLOP/s are fp32-equivalent; median of ${rounds} interleaved rounds`);
  console.log(row(["case", "model", "threads", "items", "items/s", "vs tjs", "GFLOP/s", "% peak", "load ms", "RSS MB", "padding", "tok %", "rounds (items/s)"], widths));
  const baseline = new Map<string, number>();
  for (const [i, [name, args]] of cases.entries()) {
    const runs = results[i] as CaseResult[];
    const model = basename(args[1] ?? "");
    const failed = runs.find((x) => x.error);
    if (failed) {
      console.log(row([name, model, args[3] ?? "", "-", `error: ${failed.error}`], widths));
      continue;
    }
    const rates = runs.map((x) => x.items / x.seconds);
    const r = runs[medianIndex(rates)] as CaseResult;
    const rate = r.items / r.seconds;
    const key = `${model}/${r.threads}`;
    if (name === "transformers.js") baseline.set(key, rate);
    if (name === "transformers.js-int8") baseline.set(`${key}/int8`, rate);
    const base = baseline.get(key);
    const vs = name.startsWith("ce-") || name.startsWith("transformers") || name.endsWith("-long") || !base ? "-" : `${(rate / base).toFixed(2)}×`;
    const vsInt8 = name === "onnx-int8" ? baseline.get(`${key}/int8`) : undefined;
    const gflops = r.flops / r.seconds / 1e9;
    console.log(
      row(
        [name, model, r.threads, r.items, rate.toFixed(1), vsInt8 ? `${vs} (${(rate / vsInt8).toFixed(2)}× q8)` : vs, gflops.toFixed(1), `${((100 * gflops) / (PEAK_PER_CORE * r.threads)).toFixed(0)}%`, r.loadMs.toFixed(0), r.peakRssMb.toFixed(0), r.padding === undefined ? "-" : `${(100 * r.padding).toFixed(1)}%`, r.tokenizeShare === undefined ? "-" : `${(100 * r.tokenizeShare).toFixed(1)}%`, rates.map((x) => x.toFixed(0)).join(" ")],
        widths,
      ),
    );
  }
}

/** Index of the median value (the lower middle for an even count). */
function medianIndex(values: readonly number[]): number {
  const order = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  return order[(values.length - 1) >> 1] as number;
}

const caseName = arg("--case", "");
if (caseName) console.log(JSON.stringify(await child(caseName)));
else await main();
