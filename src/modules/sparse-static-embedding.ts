/**
 * SparseStaticEmbedding: the query side of inference-free sparse models (OpenSearch doc-v3
 * layout): one weight per vocabulary id, embedding[v] = weight[v] when token v occurs in the text
 * (presence, not count), else 0 — no transformer at query time. Ported from sentence-transformers
 * `sentence_transformers/sparse_encoder/modules/sparse_static_embedding.py` (formerly
 * `sparse_encoder/models/SparseStaticEmbedding.py`): `preprocess` = `tokenizer(texts, padding=True,
 * truncation=True, add_special_tokens=False)` (truncation at the tokenizer's `model_max_length`),
 * `forward` = `zeros(B, V).scatter_(1, input_ids, attention_mask) * weight`; `model.safetensors`
 * holds `weight` (V,); config.json `{ "frozen": bool }`.
 *
 * @example
 * const m = await SparseStaticEmbedding.load("test/fixtures/sparse-inference-free/query_0_SparseStaticEmbedding");
 * m.forward({ batch: m.tokenize(["what is the weather"]) }).sentenceEmbedding; // (1, 1000)
 */
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { readJsonObject } from "../io/json-file.js";
import { Tensor } from "../tensor/tensor.js";
import { TextTokenizer } from "../tokenizers/text-tokenizer.js";
import type { InputModule } from "./input-module.js";
import type { Features, ModuleSaveOptions } from "./module.js";
import { LookupInputModule } from "./lookup-input-module.js";
import { writeModuleJson, writeModuleWeights } from "./module-files.js";
import { copyTokenizerFiles } from "./transformer-files.js";
import { loadParamStore } from "./weights.js";

const WEIGHT_KEY = "weight";

export class SparseStaticEmbedding extends LookupInputModule implements InputModule {
  readonly typeName = "SparseStaticEmbedding";
  /** (V,): one weight per vocabulary id. */
  readonly weight: Tensor;
  readonly frozen: boolean;
  readonly sourceDir: string;
  private seqLength: number;

  constructor(tokenizer: TextTokenizer, weight: Tensor, opts: { frozen: boolean; sourceDir: string }) {
    super(tokenizer);
    if (weight.shape.length !== 1 || weight.dim(0) === 0) {
      throw new SbertError("INVALID_MODEL_FILE", `${opts.sourceDir}: the SparseStaticEmbedding "weight" must be 1-D (vocab), got [${weight.shape.join(", ")}]`);
    }
    this.weight = weight;
    this.frozen = opts.frozen;
    this.sourceDir = opts.sourceDir;
    this.seqLength = tokenizer.modelMaxLength ?? Number.POSITIVE_INFINITY;
  }

  /** Reads tokenizer.json (+ tokenizer_config.json), `model.safetensors` (`weight`) and config.json. */
  static async load(dir: string): Promise<SparseStaticEmbedding> {
    const [tokenizer, store, cfg] = await Promise.all([TextTokenizer.fromFolder(dir), loadParamStore(dir), readJsonObject(dir, "config.json", { optional: true })]);
    const path = cfg?.["path"];
    if (typeof path === "string" && path.endsWith(".json")) {
      throw new SbertError("UNSUPPORTED_FORMAT", `${join(dir, "config.json")}: SparseStaticEmbedding from an idf.json "path" is not supported; save the module with its model.safetensors weight`);
    }
    const weight = store.get(WEIGHT_KEY);
    tokenizer.requireVocabularyWithin(weight.dim(0), dir);
    return new SparseStaticEmbedding(tokenizer, weight, { frozen: cfg?.["frozen"] === true, sourceDir: dir });
  }

  /** The tokenizer's `model_max_length` (Infinity when unset), as Python's `max_seq_length`. */
  get maxSeqLength(): number {
    return this.seqLength;
  }

  set maxSeqLength(n: number) {
    if (!Number.isInteger(n) || n <= 0) throw new SbertError("INVALID_INPUT", `maxSeqLength must be a positive integer, got ${n}`);
    this.seqLength = n;
  }

  outputDimension(): number {
    return this.weight.dim(0);
  }

  getConfigDict(): Record<string, unknown> {
    return { frozen: this.frozen };
  }

  parameters(): ReadonlyMap<string, Tensor> {
    return new Map([[WEIGHT_KEY, this.weight]]);
  }

  async save(dir: string, opts: ModuleSaveOptions = {}): Promise<void> {
    await copyTokenizerFiles(opts.sourceDir ?? this.sourceDir, dir);
    await writeModuleWeights(dir, this.parameters());
    await writeModuleJson(join(dir, "config.json"), this.getConfigDict());
  }


  /** `sentenceEmbedding` (B, V): weight[v] where token v is attended in the row, else 0. */
  forward(features: Features): Features {
    const { batch } = features;
    const v = this.weight.dim(0);
    const w = this.weight.data;
    const out = new Float32Array(batch.batchSize * v);
    for (let r = 0; r < batch.batchSize; r++) {
      for (let t = 0; t < batch.seqLen; t++) {
        const i = r * batch.seqLen + t;
        if (!batch.attentionMask[i]) continue;
        const id = batch.inputIds[i] as number;
        if (id < 0 || id >= v) throw new SbertError("INVALID_INPUT", `token id ${id} is outside the SparseStaticEmbedding's ${v} weights; tokenizer.json belongs to another model`);
        out[r * v + id] = w[id] as number;
      }
    }
    return { ...features, sentenceEmbedding: new Tensor(out, [batch.batchSize, v]) };
  }
}
