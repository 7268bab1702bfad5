import { cp, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseEncoderConfig } from "../../src/architectures/config.js";
import { ParamStore } from "../../src/architectures/params.js";
import { architectureOf } from "../../src/architectures/registry.js";
import { writeSafetensors } from "../../src/io/safetensors.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { normal, rng } from "./random.js";

/**
 * A checkpoint that makes every tensor an architecture's `load` asks for, at the shape it asks:
 * N(0, 0.02²) weights, norm gammas 1, biases 0. Optional weights (`has` before `get`) are left out.
 * So a benchmark model of any registered architecture needs no weight table of its own.
 */
export class RecordingParams extends ParamStore {
  readonly made = new Map<string, Tensor>();
  private readonly rand: () => number;

  constructor(seed: number) {
    super(new Map(), "synthesized");
    this.rand = rng(seed);
  }

  override has(name: string): boolean {
    return this.made.has(this.prefix + name);
  }

  override get(name: string, shape?: readonly number[]): Tensor {
    const full = this.prefix + name;
    let t = this.made.get(full);
    if (!t) {
      const s = shape ?? [1];
      const n = s.reduce((a, b) => a * b, 1);
      const gamma = /norm[^.]*\.weight$|LayerNorm\.weight$/i.test(full);
      const data = gamma ? new Float32Array(n).fill(1) : /\.bias$/.test(full) ? new Float32Array(n) : normal(this.rand, n, 0.02);
      t = new Tensor(data, [...s]);
      this.made.set(full, t);
    }
    return t;
  }

  override withPrefix(prefix: string): ParamStore {
    const view = Object.create(this) as RecordingParams;
    Object.defineProperty(view, "prefix", { value: this.prefix + prefix });
    return view;
  }
}

/**
 * Writes a benchmark model folder: the template fixture's files (tokenizer, modules, pooling, ...)
 * with config.json overridden by `config` and `max_seq_length`, and random weights of the shapes the
 * architecture's definition reads.
 */
export async function writeSynthesizedModel(template: string, dir: string, config: Record<string, unknown>, maxSeqLength: number, seed: number): Promise<number> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const e of await readdir(template, { withFileTypes: true })) {
    if (["golden.json", "model.safetensors", "onnx", "README.md"].includes(e.name)) continue;
    await cp(join(template, e.name), join(dir, e.name), { recursive: true });
  }
  const base = JSON.parse(await readFile(join(template, "config.json"), "utf8")) as Record<string, unknown>;
  const merged = { ...base, ...config };
  await writeFile(join(dir, "config.json"), `${JSON.stringify(merged, null, 2)}\n`);
  const stPath = join(dir, "sentence_bert_config.json");
  const st = JSON.parse(await readFile(stPath, "utf8").catch(() => "{}")) as Record<string, unknown>;
  await writeFile(stPath, `${JSON.stringify({ ...st, max_seq_length: maxSeqLength }, null, 2)}\n`);
  await resizePooling(dir, Number(merged["hidden_size"]));
  const parsed = parseEncoderConfig(merged);
  const store = new RecordingParams(seed);
  architectureOf(parsed).load(parsed, store, store);
  const tensors = new Map([...store.made].map(([k, t]) => [k, { shape: [...t.shape], data: t.data }]));
  await writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
  return [...store.made.values()].reduce((s, t) => s + t.size, 0);
}

/** Module folders whose config.json states the token-embedding width (Pooling) get the new hidden size. */
async function resizePooling(dir: string, hidden: number): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const path = join(dir, e.name, "config.json");
    const cfg = JSON.parse(await readFile(path, "utf8").catch(() => "null")) as Record<string, unknown> | null;
    if (!cfg) continue;
    for (const key of ["word_embedding_dimension", "embedding_dimension"]) if (key in cfg) cfg[key] = hidden;
    await writeFile(path, `${JSON.stringify(cfg, null, 2)}\n`);
  }
}
