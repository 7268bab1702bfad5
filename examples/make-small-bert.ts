/**
 * Writes a random-initialised small BERT as a sentence-transformers folder (mean pooling), the
 * starting point of the training recipe: no pretrained weights exist here. Weights are drawn as
 * BERT's initializer does (N(0, 0.02), LayerNorm 1 / 0, biases 0) from a seed; the WordPiece
 * vocabulary is built from the shared datasets' most frequent words (bench/lib/vocab.ts).
 *
 *   npx tsx examples/make-small-bert.ts --out /tmp/small-bert [--layers 4 --hidden 256 --heads 4 --ffn 1024 --vocab 16384 --max-length 64 --seed 7]
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { normal, rng } from "../bench/lib/random.js";
import { buildVocab } from "../bench/lib/vocab.js";
import { writeSafetensors } from "../src/io/safetensors.js";

export interface SmallBertSpec {
  layers: number;
  hidden: number;
  heads: number;
  ffn: number;
  vocab: number;
  /** Position table size = max_seq_length. */
  maxLength: number;
  /** hidden_dropout_prob and attention_probs_dropout_prob. */
  dropout: number;
  seed: number;
}

export const DEFAULT_SPEC: SmallBertSpec = { layers: 4, hidden: 256, heads: 4, ffn: 1024, vocab: 16384, maxLength: 64, dropout: 0.1, seed: 7 };

const ROOT = join(import.meta.dirname, "..");
const TEMPLATE = join(ROOT, "test/fixtures/st-bert-mean");
const DATA = join(ROOT, "../shared/data");

/** Writes the model folder `dir` (replacing it) and returns its parameter count. */
export async function makeSmallBert(dir: string, spec: SmallBertSpec = DEFAULT_SPEC): Promise<number> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "1_Pooling"), { recursive: true });
  const tokenizer = JSON.parse(await readFile(join(TEMPLATE, "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> }; added_tokens: { id: number }[] };
  const specials = Object.entries(tokenizer.model.vocab).sort((a, b) => a[1] - b[1]).slice(0, Math.max(...tokenizer.added_tokens.map((t) => t.id)) + 1).map(([t]) => t);
  const vocab = buildVocab(specials, spec.vocab, DATA);
  tokenizer.model.vocab = Object.fromEntries(vocab.map((t, i) => [t, i]));
  const json = (name: string, v: unknown) => writeFile(join(dir, name), `${JSON.stringify(v, null, 2)}\n`);
  await json("tokenizer.json", tokenizer);
  await writeFile(join(dir, "vocab.txt"), `${vocab.join("\n")}\n`);
  const tokCfg = JSON.parse(await readFile(join(TEMPLATE, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  await json("tokenizer_config.json", { ...tokCfg, model_max_length: spec.maxLength });
  const cfg = JSON.parse(await readFile(join(TEMPLATE, "config.json"), "utf8")) as Record<string, unknown>;
  await json("config.json", {
    ...cfg,
    hidden_size: spec.hidden,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    intermediate_size: spec.ffn,
    vocab_size: spec.vocab,
    max_position_embeddings: spec.maxLength,
    hidden_dropout_prob: spec.dropout,
    attention_probs_dropout_prob: spec.dropout,
    initializer_range: 0.02,
  });
  await json("modules.json", [
    { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
    { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
  ]);
  await json("sentence_bert_config.json", { max_seq_length: spec.maxLength, do_lower_case: false });
  await json(join("1_Pooling", "config.json"), { word_embedding_dimension: spec.hidden, pooling_mode_mean_tokens: true });
  await json("config_sentence_transformers.json", { prompts: {}, default_prompt_name: null, similarity_fn_name: "cosine" });

  const rand = rng(spec.seed);
  const p = new Map<string, { shape: number[]; data: Float32Array }>();
  const w = (name: string, shape: number[]) => p.set(name, { shape, data: normal(rand, shape.reduce((a, b) => a * b, 1), 0.02) });
  const fill = (name: string, n: number, v: number) => p.set(name, { shape: [n], data: new Float32Array(n).fill(v) });
  const ln = (name: string) => (fill(`${name}.weight`, spec.hidden, 1), fill(`${name}.bias`, spec.hidden, 0));
  const lin = (name: string, out: number, inp: number) => (w(`${name}.weight`, [out, inp]), fill(`${name}.bias`, out, 0));
  const h = spec.hidden;
  w("embeddings.word_embeddings.weight", [spec.vocab, h]);
  w("embeddings.position_embeddings.weight", [spec.maxLength, h]);
  w("embeddings.token_type_embeddings.weight", [2, h]);
  ln("embeddings.LayerNorm");
  for (let l = 0; l < spec.layers; l++) {
    const n = `encoder.layer.${l}`;
    for (const x of ["query", "key", "value"]) lin(`${n}.attention.self.${x}`, h, h);
    lin(`${n}.attention.output.dense`, h, h);
    ln(`${n}.attention.output.LayerNorm`);
    lin(`${n}.intermediate.dense`, spec.ffn, h);
    lin(`${n}.output.dense`, h, spec.ffn);
    ln(`${n}.output.LayerNorm`);
  }
  await writeSafetensors(join(dir, "model.safetensors"), p, { format: "pt" });
  return [...p.values()].reduce((n, t) => n + t.data.length, 0);
}

if (process.argv[1] && import.meta.filename === (await import("node:fs")).realpathSync(process.argv[1])) {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const out = process.argv[process.argv.indexOf("--out") + 1] ?? "/tmp/small-bert";
  const d = DEFAULT_SPEC;
  const spec: SmallBertSpec = {
    layers: arg("--layers", d.layers),
    hidden: arg("--hidden", d.hidden),
    heads: arg("--heads", d.heads),
    ffn: arg("--ffn", d.ffn),
    vocab: arg("--vocab", d.vocab),
    maxLength: arg("--max-length", d.maxLength),
    dropout: arg("--dropout", d.dropout),
    seed: arg("--seed", d.seed),
  };
  console.log(`${out}: ${(await makeSmallBert(out, spec)).toLocaleString()} parameters`);
}
