/**
 * SparseEncoder: text → one vocabulary-sized sparse vector (SPLADE: MLMTransformer →
 * SpladePooling; inference-free: a Router whose query route is a SparseStaticEmbedding), computed
 * as Python's `sentence_transformers/sparse_encoder/model.py` (`SparseEncoder.encode`,
 * `encode_query`, `encode_document`, `decode`, `sparsity`; `select_max_active_dims` of
 * util/tensor.py) computes it. Results are CSR `SparseEmbeddings` (util/sparse-embeddings.ts).
 *
 * @example
 * const model = await SparseEncoder.load("test/fixtures/sparse-splade-bert");
 * const e = await model.encode(["The weather is nice"], { maxActiveDims: 64 });
 * e.entries(0); // [{ index: 1996, value: 0.41 }, ...] indices ascending
 * model.decode(e, 5)[0]; // [["weather", 1.9], ...] weight descending
 */
import { type BackendOptions, backendOptions } from "../backends/backend.js";
import { SbertError } from "../errors.js";
import { hubLoadOptions, resolveModelDir } from "../hub/model-dir.js";
import type { HubOptions } from "../hub/resolve.js";
import { readJsonObject } from "../io/json-file.js";
import { folderModelKind } from "../modules/folder-kind.js";
import type { InputModule } from "../modules/input-module.js";
import { Transformer } from "../modules/transformer.js";
import type { PipelineModule } from "../modules/module.js";
import { type ShowProgressBar, startProgress } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import type { DenseMatrix } from "../tensor/dense.js";
import { SparseEmbeddings, type SparseSimilarityName, selectMaxActiveDims, sparseSimilarity, sparsity } from "../util/sparse-embeddings.js";
import { torchTopk } from "../util/topk.js";
import { tokenizedBatches } from "./batch-stream.js";
import { requirePositiveInt, requireStrings } from "./batching.js";
import { MODEL_LOAD_KEY_RECORD } from "./load-options.js";
import { type SentenceTransformerConfig, parseSentenceTransformerConfig } from "./model-config.js";
import { requireFiniteRows } from "./non-finite.js";
import { firstInputModule, loadPipeline, runPipeline } from "./pipeline.js";

export interface SparseEncodeOptions {
  /** Texts per forward pass (default 32), formed after sorting by token count. */
  batchSize?: number;
  /**
   * Cap each batch at this many padded tokens (rows × longest row). Default for a masked-LM model:
   * what keeps its (tokens × vocab) float32 logits within 256 MiB.
   */
  maxBatchTokens?: number;
  /** Keep only the N largest |values| per row (Python's `max_active_dims`); 1 ≤ N ≤ vocabulary size. */
  maxActiveDims?: number;
  /** Name of a prompt from config_sentence_transformers.json, prepended to every text. */
  promptName?: string;
  /** Literal prompt text; wins over promptName. */
  prompt?: string;
  /** The Router route (`query`, `document`); undefined = the default route. Ignored without a Router. */
  task?: string;
  /** Tokenize on a worker thread while the model computes (as the dense `encode`). */
  overlapTokenization?: boolean | "auto";
  showProgressBar?: ShowProgressBar;
}

const ENCODE_KEYS = optionKeys<SparseEncodeOptions>({
  batchSize: true,
  maxBatchTokens: true,
  maxActiveDims: true,
  promptName: true,
  prompt: true,
  task: true,
  overlapTokenization: true,
  showProgressBar: true,
});

export type SparseEncoderLoadOptions = BackendOptions & HubOptions;
const LOAD_KEYS = optionKeys<SparseEncoderLoadOptions>(MODEL_LOAD_KEY_RECORD);

/** Float32 logits one batch may hold by default (bytes). */
const LOGITS_BUDGET_BYTES = 256 * 1024 * 1024;

export class SparseEncoder {
  readonly modules: readonly PipelineModule[];
  readonly prompts: Readonly<Record<string, string>>;
  readonly defaultPromptName: string | undefined;
  /** `dot` unless the model says `cosine`. */
  readonly similarityFnName: SparseSimilarityName;

  constructor(modules: readonly PipelineModule[], config: SentenceTransformerConfig, dir = "model") {
    if (modules.length === 0) throw new SbertError("UNSUPPORTED_FORMAT", `${dir}: a SparseEncoder needs at least one module`);
    this.modules = modules;
    this.prompts = config.prompts;
    this.defaultPromptName = config.defaultPromptName;
    const fn = config.similarityFnName ?? "dot";
    if (fn !== "dot" && fn !== "cosine") throw new SbertError("INVALID_MODEL_FILE", `${dir}: similarity_fn_name "${fn}" is not supported for sparse embeddings; use "dot" or "cosine"`);
    this.similarityFnName = fn;
    for (const task of this.routeTasks()) firstInputModule(this.pipeline(task), dir);
  }

  /** Loads a SparseEncoder folder (or Hugging Face id): SPLADE, or an inference-free Router model. */
  static async load(nameOrPath: string, opts: SparseEncoderLoadOptions = {}): Promise<SparseEncoder> {
    checkOptions(opts, LOAD_KEYS, "SparseEncoder.load");
    const dir = await resolveModelDir(nameOrPath, hubLoadOptions(opts));
    const found = await folderModelKind(dir);
    if (found?.kind === "cross-encoder") {
      throw new SbertError("INVALID_MODEL_FILE", `${dir} holds a cross-encoder (${found.because}), not a sparse encoder: load it with CrossEncoder.load`);
    }
    const [modules, raw] = await Promise.all([loadPipeline(dir, backendOptions(opts)), readJsonObject(dir, "config_sentence_transformers.json", { optional: true })]);
    return new SparseEncoder(modules, parseSentenceTransformerConfig(raw), dir);
  }

  /** The route names of the leading Router (`["query", "document"]`), or `[undefined]` without one. */
  private routeTasks(): (string | undefined)[] {
    const first = this.modules[0] as PipelineModule;
    return first.route && first.routeNames ? [...first.routeNames] : [undefined];
  }

  /** The modules a batch of `task` runs through: the Router's route expanded in place. */
  pipeline(task?: string): readonly PipelineModule[] {
    const [first, ...rest] = this.modules as [PipelineModule, ...PipelineModule[]];
    return first.route ? [...first.route(task), ...rest] : this.modules;
  }

  /** The module that tokenizes for `task`. */
  inputModule(task?: string): InputModule {
    return firstInputModule(this.pipeline(task), "this SparseEncoder");
  }

  /**
   * The Transformer of the default route (its tokenizer, backend, max length); UNSUPPORTED_FORMAT
   * when that route has none (an inference-free model whose default route is the query side).
   */
  get transformer(): Transformer {
    const t = this.pipeline().find((m): m is Transformer => m instanceof Transformer);
    if (!t) throw new SbertError("UNSUPPORTED_FORMAT", `this SparseEncoder's default route (${this.pipeline().map((m) => m.typeName).join(" → ")}) has no Transformer`);
    return t;
  }

  /** Vocabulary size: the width of every embedding. */
  getEmbeddingDimension(task?: string): number {
    let dim: number | undefined;
    for (const m of this.pipeline(task)) dim = m.outputDimension() ?? dim;
    return dim ?? this.inputModule(task).outputDimension();
  }

  /** Longest token sequence of the default route (special tokens included). */
  get maxSeqLength(): number {
    return this.inputModule().maxSeqLength;
  }

  /**
   * Sparse embeddings of `texts`, rows in input order, indices ascending. Steps as in Python:
   * prompt, length-sorted batches, the route's modules, then `maxActiveDims` per row. INVALID_INPUT
   * for a bad option, a task without a route, a `maxActiveDims` outside 1..vocabulary size.
   */
  async encode(texts: string | readonly string[], opts: SparseEncodeOptions = {}): Promise<SparseEmbeddings> {
    checkOptions(opts, ENCODE_KEYS, "encode");
    const list = typeof texts === "string" ? [texts] : texts;
    requireStrings(list);
    const batchSize = requirePositiveInt(opts.batchSize ?? 32, "batchSize");
    if (opts.task !== undefined && typeof opts.task !== "string") throw new SbertError("INVALID_INPUT", "task must be a string");
    const modules = this.pipeline(opts.task);
    const input = firstInputModule(modules, "this SparseEncoder");
    const dim = this.getEmbeddingDimension(opts.task);
    const k = opts.maxActiveDims === undefined ? undefined : requirePositiveInt(opts.maxActiveDims, "maxActiveDims");
    if (k !== undefined && k > dim) throw new SbertError("INVALID_INPUT", `maxActiveDims ${k} is larger than the vocabulary (${dim} dimensions)`);
    const prompt = this.resolvePrompt(opts);
    const inputs = prompt ? list.map((t) => prompt + t) : list;
    const maxBatchTokens =
      opts.maxBatchTokens !== undefined ? requirePositiveInt(opts.maxBatchTokens, "maxBatchTokens") : input.task === "fill-mask" ? Math.max(1, Math.floor(LOGITS_BUDGET_BYTES / (4 * dim))) : undefined;
    const batches = tokenizedBatches(input, inputs, { batchSize, maxBatchTokens, overlap: opts.overlapTokenization ?? "auto" });
    const progress = startProgress(opts.showProgressBar, "encode", list.length, "texts");
    const rows: SparseEmbeddings[] = new Array(list.length);
    for await (const { batch, indices } of batches) {
      const f = await runPipeline(modules, opts.task === undefined ? { batch } : { batch, task: opts.task });
      const emb = f.sentenceEmbedding;
      if (!emb || emb.dim(-1) !== dim) throw new SbertError("INVALID_OPERATION", "the model's modules produced no sparse embedding of the vocabulary's size; is SpladePooling missing?");
      requireFiniteRows(emb.data, dim, indices, "encode");
      indices.forEach((orig, r) => {
        const row = emb.data.slice(r * dim, (r + 1) * dim);
        if (k !== undefined) selectMaxActiveDims(row, k);
        rows[orig] = SparseEmbeddings.fromDense(row, 1, dim);
      });
      progress?.tick(indices.length);
    }
    progress?.finish();
    return concatRows(rows, dim);
  }

  /** encode through the `query` route, with the "query" prompt when the model has one and none is given. */
  encodeQuery(texts: string | readonly string[], opts: SparseEncodeOptions = {}): Promise<SparseEmbeddings> {
    checkOptions(opts, ENCODE_KEYS, "encodeQuery");
    return this.encode(texts, this.withDefaults(opts, "query", ["query"]));
  }

  /** encode through the `document` route, with the first of the "document", "passage", "corpus" prompts the model has. */
  encodeDocument(texts: string | readonly string[], opts: SparseEncodeOptions = {}): Promise<SparseEmbeddings> {
    checkOptions(opts, ENCODE_KEYS, "encodeDocument");
    return this.encode(texts, this.withDefaults(opts, "document", ["document", "passage", "corpus"]));
  }

  /**
   * Each row's tokens and weights, weight descending (Python's `decode`): the `topK` largest
   * (torch.topk's order) or every non-zero when `topK` is undefined.
   */
  decode(embeddings: SparseEmbeddings, topK?: number): [string, number][][] {
    if (topK !== undefined) requirePositiveInt(topK, "topK");
    const tokenizer = this.inputModule().tokenizer;
    return Array.from({ length: embeddings.rows }, (_, r) => {
      const { indices, values } = embeddings.row(r);
      const n = values.length;
      let order: number[];
      if (topK !== undefined && topK < n) order = Array.from(torchTopk(values, 0, n, topK, true).indices);
      else order = Array.from({ length: n }, (_, j) => j).sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
      return order.map((j) => [tokenizer.idToToken(indices[j] as number) ?? `[${indices[j]}]`, values[j] as number] as [string, number]);
    });
  }

  /** All-pairs similarity (a.rows × b.rows) with the model's function (dot unless it says cosine). */
  similarity(a: SparseEmbeddings, b: SparseEmbeddings): DenseMatrix {
    return sparseSimilarity(a, b, this.similarityFnName);
  }

  /** Mean active dimensions per row and the sparsity ratio, as Python's `SparseEncoder.sparsity`. */
  sparsity(embeddings: SparseEmbeddings): { activeDims: number; sparsityRatio: number } {
    return sparsity(embeddings);
  }

  /** The text of prompt `name`, else of the default prompt; INVALID_INPUT for an unknown name. */
  promptText(name?: string): string | undefined {
    const key = name ?? this.defaultPromptName;
    if (key === undefined) return undefined;
    if (Object.hasOwn(this.prompts, key)) return this.prompts[key];
    const known = Object.keys(this.prompts);
    throw new SbertError("INVALID_INPUT", `prompt name "${key}" is not a prompt of this model; it has ${known.length ? known.map((x) => `"${x}"`).join(", ") : "no prompts"}`);
  }

  /** Frees what the modules hold (ONNX sessions, tokenizer threads). */
  async dispose(): Promise<void> {
    await Promise.all(this.modules.map((m) => (m as { dispose?: () => Promise<void> }).dispose?.()));
  }

  private withDefaults(opts: SparseEncodeOptions, task: string, names: readonly string[]): SparseEncodeOptions {
    const out: SparseEncodeOptions = { ...opts, task: opts.task ?? task };
    if (opts.prompt !== undefined || opts.promptName !== undefined) return out;
    const name = names.find((n) => Object.hasOwn(this.prompts, n));
    return name === undefined ? out : { ...out, promptName: name };
  }

  private resolvePrompt(opts: SparseEncodeOptions): string | undefined {
    if (opts.prompt === undefined) return this.promptText(opts.promptName);
    if (typeof opts.prompt !== "string") throw new SbertError("INVALID_INPUT", "prompt must be a string");
    return opts.prompt;
  }
}

/** One CSR matrix from single-row ones, in order. */
function concatRows(rows: readonly SparseEmbeddings[], dim: number): SparseEmbeddings {
  const indptr = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (indptr[i + 1] = (indptr[i] as number) + r.nnz));
  const indices = new Int32Array(indptr[rows.length] as number);
  const values = new Float32Array(indices.length);
  rows.forEach((r, i) => {
    indices.set(r.indices, indptr[i] as number);
    values.set(r.values, indptr[i] as number);
  });
  return new SparseEmbeddings(indptr, indices, values, dim);
}
