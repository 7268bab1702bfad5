/**
 * SPLADE encode throughput against the same encoder's dense encode, measured in the same run.
 *
 *   npx tsx bench/sparse-encode.ts [--from bench/models/minilm-l6] [--n 512] [--backend onnx] [--threads 2] [--rounds 1]
 *
 * `--from` is a dense benchmark folder (`npx tsx bench/make-bench-models.ts`; a BERT-base-shaped
 * one with `--from <folder>`). The script writes a SPLADE variant of it to a temp folder: the same
 * encoder weights plus a random masked-LM head (transform dense + gelu + LayerNorm, decoder tied
 * to the word embeddings, bias shifted by -1.6 so the outputs are sparse as trained models'),
 * modules MLMTransformer → SpladePooling(max, relu). Each case runs in its own process (own load
 * time and peak RSS): the dense model's `encode`, the sparse model's `encode` (the graph gives the
 * head's logits, SpladePooling runs in JS), and `sparse-pooled` (onnx/model_pooled.onnx from
 * `exportOnnx(dir, { withPooling: true })`: head and pooling inside ONNX Runtime). The head's (tokens × vocab) logits are bounded per batch by
 * SparseEncoder's default `maxBatchTokens` (256 MiB of float32 logits).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SentenceTransformer, SparseEncoder } from "../src/index.js";
import { readFloatTensors, writeSafetensors } from "../src/io/safetensors.js";
import { exportOnnx } from "../src/onnx/export.js";
import { arg, peakRssMb, row, runCase } from "./lib/cases.js";
import { normal, rng } from "./lib/random.js";
import { stsDevSentences } from "./lib/sts.js";

const FROM = arg("--from", join(import.meta.dirname, "models", "minilm-l6"));
const N = Number(arg("--n", "512"));
const BACKEND = arg("--backend", "onnx") as "onnx" | "native";
const THREADS = Number(arg("--threads", "2"));
const ROUNDS = Number(arg("--rounds", "1"));

/** The SPLADE folder for `from`: its tokenizer and config, its encoder weights and a random MLM head. */
async function writeSplade(from: string, out: string): Promise<void> {
  const cfg = JSON.parse(await readFile(join(from, "config.json"), "utf8")) as Record<string, unknown>;
  const h = cfg["hidden_size"] as number;
  const v = cfg["vocab_size"] as number;
  await writeFile(join(out, "config.json"), JSON.stringify({ ...cfg, architectures: [cfg["model_type"] === "bert" ? "BertForMaskedLM" : "MPNetForMaskedLM"], tie_word_embeddings: true }));
  for (const f of ["tokenizer.json", "tokenizer_config.json", "sentence_bert_config.json"]) await writeFile(join(out, f), await readFile(join(from, f)));
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  await readFloatTensors(join(from, "model.safetensors"), (name, shape, data) => void tensors.set(name, { shape, data: data.slice() }));
  const rand = rng(7);
  // the head's checkpoint names (architectures/mlm-head.ts): BERT's, or RoBERTa / MPNet's lm_head
  const bert = cfg["model_type"] === "bert";
  const [dense, norm, bias] = bert ? ["cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.bias"] : ["lm_head.dense", "lm_head.layer_norm", "lm_head.bias"];
  tensors.set(`${dense}.weight`, { shape: [h, h], data: normal(rand, h * h, 0.02) });
  tensors.set(`${dense}.bias`, { shape: [h], data: new Float32Array(h) });
  tensors.set(`${norm}.weight`, { shape: [h], data: new Float32Array(h).fill(1) });
  tensors.set(`${norm}.bias`, { shape: [h], data: new Float32Array(h) });
  tensors.set(bias, { shape: [v], data: new Float32Array(v).fill(-1.6) });
  await writeSafetensors(join(out, "model.safetensors"), tensors, { format: "pt" });
  await writeFile(
    join(out, "modules.json"),
    JSON.stringify([
      { idx: 0, name: "0", path: "", type: "sentence_transformers.sparse_encoder.modules.mlm_transformer.MLMTransformer" },
      { idx: 1, name: "1", path: "1_SpladePooling", type: "sentence_transformers.sparse_encoder.modules.splade_pooling.SpladePooling" },
    ]),
  );
  await mkdir(join(out, "1_SpladePooling"));
  await writeFile(join(out, "1_SpladePooling", "config.json"), JSON.stringify({ pooling_strategy: "max", activation_function: "relu", embedding_dimension: null }));
  await writeFile(join(out, "config_sentence_transformers.json"), JSON.stringify({ model_type: "SparseEncoder", prompts: {}, default_prompt_name: null, similarity_fn_name: "dot" }));
}

async function runOne(name: string, dir: string, cache: string): Promise<void> {
  const texts = (stsDevSentences() ?? Array.from({ length: N }, (_, i) => `benchmark sentence number ${i} about a topic`)).slice(0, N);
  const pooled = name === "sparse-pooled" ? { onnxFile: "model_pooled.onnx" } : {};
  const opts = { backend: BACKEND, threads: THREADS, onnxCache: cache, ...pooled };
  const t0 = performance.now();
  const model = name === "dense" ? await SentenceTransformer.load(dir, opts) : await SparseEncoder.load(dir, opts);
  const loadMs = performance.now() - t0;
  await model.encode(texts.slice(0, 32)); // warm-up
  const t1 = performance.now();
  const out = await model.encode(texts, { batchSize: 32 });
  const seconds = (performance.now() - t1) / 1000;
  const extra = out instanceof Object && "nnz" in out ? { activeDims: (out as { nnz: number }).nnz / texts.length } : {};
  console.log(JSON.stringify({ name, threads: THREADS, items: texts.length, seconds, loadMs, tokens: 0, flops: 0, peakRssMb: peakRssMb(), ...extra }));
  await model.dispose();
}

const caseName = arg("--case", "");
if (caseName) {
  await runOne(caseName, arg("--dir", ""), arg("--cache", ""));
} else {
  const tmp = await mkdtemp(join(tmpdir(), "sbert-bench-sparse-"));
  try {
    const sparseDir = join(tmp, "splade");
    await mkdir(sparseDir);
    await writeSplade(FROM, sparseDir);
    if (BACKEND === "onnx") await exportOnnx(sparseDir, { withPooling: true }); // onnx/model_pooled.onnx
    const cache = join(tmp, "onnx-cache");
    const common = ["--n", String(N), "--backend", BACKEND, "--threads", String(THREADS), "--cache", cache];
    await runCase(join(import.meta.dirname, "sparse-encode.ts"), "sparse", [...common, "--dir", sparseDir]); // exports the graph once
    const names = BACKEND === "onnx" ? (["dense", "sparse", "sparse-pooled"] as const) : (["dense", "sparse"] as const);
    const results: Record<string, { rate: number[]; rss: number[]; active?: number }> = Object.fromEntries(names.map((n) => [n, { rate: [], rss: [] }]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of names) {
        const dir = name === "dense" ? FROM : sparseDir;
        const c = await runCase(join(import.meta.dirname, "sparse-encode.ts"), name, [...common, "--dir", dir]);
        if (c.error) throw new Error(`${name}: ${c.error}`);
        const slot = results[name] as { rate: number[]; rss: number[]; active?: number };
        slot.rate.push(c.items / c.seconds);
        slot.rss.push(c.peakRssMb);
        const active = (c as unknown as { activeDims?: number }).activeDims;
        if (active !== undefined) slot.active = active;
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const w = [14, 16, 14, 14];
    console.log(`${FROM} on ${BACKEND}, ${THREADS} thread(s), ${N} STS-B sentences, batch 32, ${ROUNDS} round(s)`);
    console.log(row(["case", "sentences/s", "vs dense", "peak RSS MB"], w));
    const dense = median(results["dense"]?.rate ?? []);
    for (const name of names) {
      const s = results[name] as { rate: number[]; rss: number[]; active?: number };
      console.log(row([name, median(s.rate).toFixed(1), (median(s.rate) / dense).toFixed(3), Math.max(...s.rss).toFixed(0)], w));
    }
    if (results["sparse"]?.active !== undefined) console.log(`sparse: ${results["sparse"].active.toFixed(1)} active dims per text`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
