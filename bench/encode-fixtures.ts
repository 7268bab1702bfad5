/**
 * Encode throughput of the native backend on every bi-encoder fixture model (tiny, random weights).
 *
 *   npx tsx bench/encode-fixtures.ts [--sentences N]
 *
 * Sentences: the STS-B dev set from ../shared/data if present (columns 6 and 7), else the fixture
 * sentences repeated. Baseline in the same run: the plain JS GEMM kernel timed on one
 * [256×384]·[384×1536] product, so GFLOP/s figures compare against the same machine.
 * Machine peak (measured for this project): ~114 GFLOP/s fp32 per core.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SentenceTransformer, jsGemmKernel } from "../src/index.js";
import { biEncoderFixtures } from "../test/helpers/fixtures.js";

const PEAK_GFLOPS = 114;
const argN = process.argv.indexOf("--sentences");
const limit = argN > 0 ? Number(process.argv[argN + 1]) : 1000;

function loadSentences(): string[] {
  const path = join(import.meta.dirname, "../../shared/data/stsbenchmark/sts-dev.csv");
  if (existsSync(path)) {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter(Boolean)
      .flatMap((l) => l.split("\t").slice(5, 7));
  }
  const base = biEncoderFixtures()[0]?.golden["sentences"] as string[];
  return Array.from({ length: 3000 }, (_, i) => base[i % base.length] as string);
}

/** Linear-layer FLOPs per token plus attention FLOPs for a sequence of `t` tokens. */
function flopsPerToken(cfg: { hiddenSize: number; intermediateSize: number; numLayers: number }, t: number): number {
  const { hiddenSize: h, intermediateSize: ff, numLayers: l } = cfg;
  return l * (2 * (4 * h * h + 2 * h * ff) + 4 * t * h);
}

function gemmBaseline(): number {
  const [m, k, n] = [256, 384, 1536];
  const a = new Float32Array(m * k).fill(0.5);
  const b = new Float32Array(n * k).fill(0.25);
  const out = new Float32Array(m * n);
  const t0 = performance.now();
  jsGemmKernel.gemmNT(a, b, out, m, k, n);
  const s = (performance.now() - t0) / 1000;
  return (2 * m * k * n) / s / 1e9;
}

const sentences = loadSentences().slice(0, limit);
console.log(`sentences: ${sentences.length}; JS GEMM baseline ${gemmBaseline().toFixed(2)} GFLOP/s (peak ~${PEAK_GFLOPS}/core)`);
console.log("model\tsentences/s\ttokens/s\tGFLOP/s\t% of 1-core peak");
for (const fx of biEncoderFixtures()) {
  const model = await SentenceTransformer.load(fx.dir);
  const cfg = model.transformer.config;
  let tokens = 0;
  let flops = 0;
  for (let i = 0; i < sentences.length; i += 32) {
    const b = model.tokenize(sentences.slice(i, i + 32));
    for (const len of b.lengths) {
      tokens += len;
      flops += len * flopsPerToken(cfg, b.seqLen);
    }
  }
  const t0 = performance.now();
  await model.encode(sentences, { batchSize: 32 });
  const s = (performance.now() - t0) / 1000;
  const gflops = flops / s / 1e9;
  console.log(`${fx.name}\t${(sentences.length / s).toFixed(0)}\t${(tokens / s).toFixed(0)}\t${gflops.toFixed(2)}\t${((100 * gflops) / PEAK_GFLOPS).toFixed(1)}%`);
}
