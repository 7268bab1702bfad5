/**
 * Writes random-initialised benchmark models with real shapes as complete sentence-transformers
 * folders (full-size WordPiece tokenizer.json, safetensors weights, ONNX from our exporter when
 * it is available). Deterministic from the seed.
 *
 *   npx tsx bench/make-bench-models.ts [--out bench/models] [--seed 42]
 *
 * minilm-l6:    BERT, 6 layers, hidden 384, 12 heads, FFN 1536, vocab 30522, max length 256, mean + Normalize
 * mpnet-base:   MPNet, 12 layers, hidden 768, 12 heads, FFN 3072, vocab 30527, max length 384, mean + Normalize
 * minilm-l6-ce: BertForSequenceClassification with MiniLM-L6 shapes, 1 label, max length 512
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeSafetensors } from "../src/io/safetensors.js";
import { exportOnnx } from "../src/onnx/export.js";
import { normal, rng } from "./lib/random.js";
import { buildVocab } from "./lib/vocab.js";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] as string) : fallback;
};
const OUT = arg("--out", join(import.meta.dirname, "models"));
const SEED = Number(arg("--seed", "42"));
const FIXTURES = join(import.meta.dirname, "../test/fixtures");
const DATA = join(import.meta.dirname, "../../shared/data");

interface Spec {
  name: string;
  kind: "bert" | "mpnet";
  layers: number;
  hidden: number;
  heads: number;
  ffn: number;
  vocab: number;
  maxPositions: number;
  maxSeqLength: number;
  classifier: boolean;
  template: string;
}

const SPECS: Spec[] = [
  { name: "minilm-l6", kind: "bert", layers: 6, hidden: 384, heads: 12, ffn: 1536, vocab: 30522, maxPositions: 512, maxSeqLength: 256, classifier: false, template: "st-bert-mean" },
  { name: "mpnet-base", kind: "mpnet", layers: 12, hidden: 768, heads: 12, ffn: 3072, vocab: 30527, maxPositions: 514, maxSeqLength: 384, classifier: false, template: "st-mpnet-mean-normalize" },
  { name: "minilm-l6-ce", kind: "bert", layers: 6, hidden: 384, heads: 12, ffn: 1536, vocab: 30522, maxPositions: 512, maxSeqLength: 512, classifier: true, template: "ce-bert-1label" },
];

type Params = Map<string, { shape: number[]; data: Float32Array }>;

function makeParams(s: Spec, seed: number): Params {
  const rand = rng(seed);
  const p: Params = new Map();
  const pre = s.classifier ? "bert." : "";
  const w = (name: string, shape: number[]): void => void p.set(name, { shape, data: normal(rand, shape.reduce((a, b) => a * b, 1), 0.02) });
  const zeros = (name: string, n: number): void => void p.set(name, { shape: [n], data: new Float32Array(n) });
  const ln = (name: string): void => {
    p.set(`${name}.weight`, { shape: [s.hidden], data: new Float32Array(s.hidden).fill(1) });
    zeros(`${name}.bias`, s.hidden);
  };
  const lin = (name: string, out: number, inp: number): void => {
    w(`${name}.weight`, [out, inp]);
    zeros(`${name}.bias`, out);
  };
  const h = s.hidden;
  w(`${pre}embeddings.word_embeddings.weight`, [s.vocab, h]);
  w(`${pre}embeddings.position_embeddings.weight`, [s.maxPositions, h]);
  if (s.kind === "bert") w(`${pre}embeddings.token_type_embeddings.weight`, [2, h]);
  ln(`${pre}embeddings.LayerNorm`);
  if (s.kind === "mpnet") w(`${pre}encoder.relative_attention_bias.weight`, [32, s.heads]);
  for (let l = 0; l < s.layers; l++) {
    const n = `${pre}encoder.layer.${l}`;
    if (s.kind === "bert") {
      for (const x of ["query", "key", "value"]) lin(`${n}.attention.self.${x}`, h, h);
      lin(`${n}.attention.output.dense`, h, h);
      ln(`${n}.attention.output.LayerNorm`);
    } else {
      for (const x of ["q", "k", "v", "o"]) lin(`${n}.attention.attn.${x}`, h, h);
      ln(`${n}.attention.LayerNorm`);
    }
    lin(`${n}.intermediate.dense`, s.ffn, h);
    lin(`${n}.output.dense`, h, s.ffn);
    ln(`${n}.output.LayerNorm`);
  }
  lin(`${pre}pooler.dense`, h, h);
  if (s.classifier) lin("classifier", 1, h);
  return p;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function writeModel(s: Spec, seed: number): Promise<string> {
  const dir = join(OUT, s.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const tmpl = join(FIXTURES, s.template);
  const tokenizer = JSON.parse(await readFile(join(tmpl, "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> }; added_tokens: { id: number }[] };
  const oldVocab = Object.entries(tokenizer.model.vocab).sort((a, b) => a[1] - b[1]);
  const nSpecial = Math.max(...tokenizer.added_tokens.map((t) => t.id)) + 1;
  const vocab = buildVocab(oldVocab.slice(0, nSpecial).map(([t]) => t), s.vocab, DATA);
  tokenizer.model.vocab = Object.fromEntries(vocab.map((t, i) => [t, i]));
  await writeJson(join(dir, "tokenizer.json"), tokenizer);
  await writeFile(join(dir, "vocab.txt"), `${vocab.join("\n")}\n`);
  const tokCfg = JSON.parse(await readFile(join(tmpl, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  await writeJson(join(dir, "tokenizer_config.json"), { ...tokCfg, model_max_length: s.maxPositions === 514 ? 512 : s.maxPositions });
  const cfg = JSON.parse(await readFile(join(tmpl, "config.json"), "utf8")) as Record<string, unknown>;
  await writeJson(join(dir, "config.json"), {
    ...cfg,
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.ffn,
    vocab_size: s.vocab,
    max_position_embeddings: s.maxPositions,
    initializer_range: 0.02,
  });
  await writeSafetensors(join(dir, "model.safetensors"), makeParams(s, seed), { format: "pt" });
  if (s.classifier) {
    await writeJson(join(dir, "modules.json"), [{ idx: 0, name: "0", path: "", type: "sentence_transformers.base.modules.transformer.Transformer" }]);
    await writeJson(join(dir, "sentence_bert_config.json"), { transformer_task: "sequence-classification", max_seq_length: s.maxSeqLength });
    await writeJson(join(dir, "config_sentence_transformers.json"), { model_type: "CrossEncoder", activation_fn: "torch.nn.modules.activation.Sigmoid" });
  } else {
    await writeJson(join(dir, "modules.json"), [
      { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
      { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
      { idx: 2, name: "2", path: "2_Normalize", type: "sentence_transformers.models.Normalize" },
    ]);
    await writeJson(join(dir, "sentence_bert_config.json"), { max_seq_length: s.maxSeqLength, do_lower_case: false });
    await mkdir(join(dir, "1_Pooling"));
    await writeJson(join(dir, "1_Pooling", "config.json"), { word_embedding_dimension: s.hidden, pooling_mode_mean_tokens: true });
    await mkdir(join(dir, "2_Normalize"));
    await writeJson(join(dir, "config_sentence_transformers.json"), { prompts: {}, default_prompt_name: null, similarity_fn_name: "cosine" });
  }
  return dir;
}

/** Builds onnx/model.onnx and the int8 variant (model_qint8_avx512_vnni.onnx) with our exporter. */
async function writeOnnx(dir: string): Promise<string> {
  try {
    await exportOnnx(dir, {});
    await exportOnnx(dir, { quantize: "int8" });
    return "onnx fp32 + int8";
  } catch (e) {
    return `no ONNX (${(e as Error).message})`;
  }
}

for (const [i, s] of SPECS.entries()) {
  const t0 = performance.now();
  const dir = await writeModel(s, SEED + i);
  const onnx = await writeOnnx(dir);
  console.log(`${dir}: ${((performance.now() - t0) / 1000).toFixed(1)} s, ${onnx}`);
}
