import { type BackendOptions, backendOptions } from "../backends/backend.js";
import { SbertError } from "../errors.js";
import { hubLoadOptions, resolveModelDir } from "../hub/model-dir.js";
import type { HubOptions } from "../hub/resolve.js";
import { readJsonObject } from "../io/json-file.js";
import type { Features, PipelineModule } from "../modules/module.js";
import type { InputModule } from "../modules/input-module.js";
import type { Transformer } from "../modules/transformer.js";
import { type ShowProgressBar, startProgress } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { DenseMatrix } from "../tensor/dense.js";
import type { Rng } from "../tensor/random.js";
import type { TokenBatch } from "../tokenizers/text-tokenizer.js";
import { normalizeEmbeddings, pairwiseSimilarityFunction, quantizeEmbeddings, similarityFunction } from "../util/index.js";
import { tokenizedBatches } from "./batch-stream.js";
import { requirePositiveInt, requireStrings } from "./batching.js";
import { type SentenceTransformerConfig, parseSentenceTransformerConfig } from "./model-config.js";
import { folderModelKind } from "../modules/folder-kind.js";
import { MODEL_LOAD_KEY_RECORD } from "./load-options.js";
import { nonFiniteError, requireFiniteRows } from "./non-finite.js";
import { type EncodeInput, type MultimodalHost, encodeWithImages, hasImageInputs } from "./multimodal-encode.js";
import { type ImageInput, isImageInput } from "../modules/image-input.js";
import { firstInputModule, firstTransformer, loadPipeline, runPipeline, setTrainingMode } from "./pipeline.js";
import { type ModelSaveOptions, saveSentenceTransformer } from "./save.js";

export type Precision = "float32" | "int8" | "uint8" | "binary" | "ubinary";

/** `encode`'s first argument: a text, an image (`{ image }`, models that read images), or a list of them. */
export type EncodeInputs = string | ImageInput | readonly EncodeInput[];

/** What `encode` returns: sentence embeddings, or one (tokens × hidden) matrix per text. */
export type OutputValue = "sentence_embedding" | "token_embeddings";

/** The options every `encode` call takes, whatever it returns. */
export interface EncodeCommonOptions {
  /** Texts per forward pass (default 32). Batches are formed after sorting by token count. */
  batchSize?: number;
  /** Also cap each batch at this many padded tokens (rows × longest row); long texts get smaller batches. */
  maxBatchTokens?: number;
  /** L2-normalize each embedding (after truncation). */
  normalizeEmbeddings?: boolean;
  /** Name of a prompt from config_sentence_transformers.json, prepended to every text. */
  promptName?: string;
  /** Literal prompt text; wins over promptName. */
  prompt?: string;
  /** Keep only the first N dimensions (Matryoshka); overrides the model's truncate_dim. */
  truncateDim?: number;
  /**
   * Tokenize the next texts on a worker thread while the model computes the current ones.
   * `auto` (default): only when the backend leaves a core free (e.g. `threads: 1` on a 2-core
   * machine) and the first batches show tokenizing takes ≥ 10% of the time (small models: 1.1–1.4×
   * faster, `npx tsx bench/encode-fixtures.ts`); for larger models it is under 1% of the time.
   */
  overlapTokenization?: boolean | "auto";
  /** Draw a bar (texts, texts/s, ETA) on stderr (`true`) or on a given stream; default none. */
  showProgressBar?: ShowProgressBar;
}

/**
 * Options of an `encode` that returns float32 sentence embeddings (a `DenseMatrix`, ready for
 * `cosSim`, `semanticSearch`, `row()`). A variable of this type keeps that result type:
 *
 * @example
 * const o: EncodeOptions = { batchSize: 64, normalizeEmbeddings: true };
 * semanticSearch(await model.encode(queries, o), await model.encode(corpus, o));
 */
export interface EncodeOptions extends EncodeCommonOptions {
  precision?: "float32";
  outputValue?: "sentence_embedding";
}

/** `encode` options with a quantized (or any) precision: int8/binary → Int8Array, uint8/ubinary → Uint8Array. */
export interface QuantizedEncodeOptions extends EncodeCommonOptions {
  /** Quantize the whole result; int8/uint8 ranges come from this call's embeddings. */
  precision: Precision;
  outputValue?: "sentence_embedding";
}

/** `encode` options for token embeddings: one (tokens × hidden) float32 matrix per text. */
export interface TokenEmbeddingsOptions extends EncodeCommonOptions {
  outputValue: "token_embeddings";
  precision?: "float32";
}

/** Any `encode` options (a value whose output kind is only known at run time). */
export interface AnyEncodeOptions extends EncodeCommonOptions {
  precision?: Precision;
  outputValue?: OutputValue;
}

/** What `encode` returns for `AnyEncodeOptions`. */
export type EncodeResult = DenseMatrix<Float32Array | Int8Array | Uint8Array> | DenseMatrix[];

export const ENCODE_KEYS = optionKeys<AnyEncodeOptions>({
  batchSize: true,
  maxBatchTokens: true,
  normalizeEmbeddings: true,
  promptName: true,
  prompt: true,
  truncateDim: true,
  overlapTokenization: true,
  showProgressBar: true,
  precision: true,
  outputValue: true,
});

export interface SentenceTransformerLoadOptions extends BackendOptions, HubOptions {
  /** Overrides the stored truncate_dim. */
  truncateDim?: number;
}

const LOAD_KEYS = optionKeys<SentenceTransformerLoadOptions>({ ...MODEL_LOAD_KEY_RECORD, truncateDim: true });

/**
 * A bi-encoder: text → one fixed-size vector, computed by the folder's module pipeline
 * (Transformer → Pooling → Dense → Normalize) exactly as Python sentence-transformers does.
 *
 * @example
 * const model = await SentenceTransformer.load("test/fixtures/st-bert-mean");
 * const emb = await model.encode(["Hello world", "Hi"], { normalizeEmbeddings: true }); // DenseMatrix 2 × 48
 * model.similarity(emb, emb); // 2 × 2 cosine
 */
export class SentenceTransformer {
  readonly modules: readonly PipelineModule[];
  /** The first module, which tokenizes: a Transformer, or a StaticEmbedding. */
  readonly inputModule: InputModule;
  readonly prompts: Readonly<Record<string, string>>;
  readonly defaultPromptName: string | undefined;
  /** `cosine` unless the model says otherwise. */
  readonly similarityFnName: string;
  truncateDim: number | undefined;

  constructor(modules: readonly PipelineModule[], config: SentenceTransformerConfig, dir = "model") {
    this.modules = modules;
    this.inputModule = firstInputModule(modules, dir);
    this.prompts = config.prompts;
    this.defaultPromptName = config.defaultPromptName;
    this.similarityFnName = config.similarityFnName ?? "cosine";
    this.truncateDim = config.truncateDim;
    similarityFunction(this.similarityFnName);
  }

  /**
   * Loads a sentence-transformers model folder (classic or 5.4+ format), or a Hugging Face model id
   * (`org/name`, with `revision`) through the cache shared with Python (HF_HUB_CACHE, HF_TOKEN, ...).
   */
  static async load(nameOrPath: string, opts: SentenceTransformerLoadOptions = {}): Promise<SentenceTransformer> {
    checkOptions(opts, LOAD_KEYS, "SentenceTransformer.load");
    const dir = await resolveModelDir(nameOrPath, hubLoadOptions(opts));
    const found = await folderModelKind(dir);
    if (found?.kind === "sparse-encoder") {
      throw new SbertError("INVALID_MODEL_FILE", `${dir} holds a sparse encoder (${found.because}), not a dense bi-encoder: load it with SparseEncoder.load (CLI: sbert encode writes its sparse rows)`);
    }
    if (found?.kind === "cross-encoder") {
      throw new SbertError(
        "INVALID_MODEL_FILE",
        `${dir} holds a cross-encoder (${found.because}), not a bi-encoder: load it with CrossEncoder.load and score pairs with predict / rank (CLI: sbert predict, sbert rank)`,
      );
    }
    if (found?.kind === "multi-vector-encoder") {
      throw new SbertError("INVALID_MODEL_FILE", `${dir} holds a multi-vector (ColBERT) model (${found.because}), not a bi-encoder: load it with MultiVectorEncoder.load and score with MaxSim`);
    }
    const [modules, raw] = await Promise.all([loadPipeline(dir, backendOptions(opts)), readJsonObject(dir, "config_sentence_transformers.json", { optional: true })]);
    const config = parseSentenceTransformerConfig(raw);
    if (opts.truncateDim !== undefined) config.truncateDim = requirePositiveInt(opts.truncateDim, "truncateDim");
    return new SentenceTransformer(modules, config, dir);
  }

  /**
   * The Transformer the pipeline starts with (its backend, encoder, config);
   * UNSUPPORTED_FORMAT for a model that starts with another input module (StaticEmbedding).
   */
  get transformer(): Transformer {
    return firstTransformer(this.modules, `this model (${this.modules.map((m) => m.typeName).join(" → ")})`);
  }

  /** Longest token sequence (special tokens included); longer texts are truncated. `Infinity` for StaticEmbedding. */
  get maxSeqLength(): number {
    return this.inputModule.maxSeqLength;
  }

  /** INVALID_OPERATION for a StaticEmbedding model, which reads every token. */
  set maxSeqLength(n: number) {
    this.inputModule.maxSeqLength = requirePositiveInt(n, "maxSeqLength");
  }

  /**
   * The modules in order over one tokenized batch (`runPipeline`): the forward pass `encode` runs,
   * and training too (recording the autograd graph when the parameters require gradients).
   */
  forward(features: Features): Promise<Features> {
    return runPipeline(this.modules, features);
  }

  /** Training mode for every module (dropout drawing from `rng`), or inference mode (`undefined`, the default); native backend only. */
  setTrainingMode(rng: Rng | undefined): void {
    setTrainingMode(this.modules, rng);
  }

  /** Output size of the pipeline before truncation. */
  fullEmbeddingDimension(): number {
    let dim: number | undefined;
    for (const m of this.modules) dim = m.outputDimension() ?? dim;
    return dim ?? this.inputModule.outputDimension();
  }

  /** Embedding size, after the stored truncate_dim (Python's get_sentence_embedding_dimension). */
  getSentenceEmbeddingDimension(): number {
    const full = this.fullEmbeddingDimension();
    return this.truncateDim === undefined ? full : Math.min(full, this.truncateDim);
  }

  /** Tokenizes texts the way encode does (no prompt). */
  tokenize(texts: readonly string[]): TokenBatch {
    requireStrings(texts);
    return this.inputModule.tokenize(texts);
  }

  encode(texts: EncodeInputs, opts: TokenEmbeddingsOptions): Promise<DenseMatrix[]>;
  encode(texts: EncodeInputs, opts: QuantizedEncodeOptions & { precision: "int8" | "binary" }): Promise<DenseMatrix<Int8Array>>;
  encode(texts: EncodeInputs, opts: QuantizedEncodeOptions & { precision: "uint8" | "ubinary" }): Promise<DenseMatrix<Uint8Array>>;
  encode(texts: EncodeInputs, opts?: EncodeOptions): Promise<DenseMatrix>;
  encode(texts: EncodeInputs, opts: QuantizedEncodeOptions): Promise<DenseMatrix<Float32Array | Int8Array | Uint8Array>>;
  encode(texts: EncodeInputs, opts?: AnyEncodeOptions): Promise<EncodeResult>;
  /**
   * Embeds texts: (texts × dim), rows in input order. Steps as in Python: prompt, length-sorted
   * batches, pipeline, truncate to truncateDim, normalize, then quantize the whole result.
   * A single string gives a 1-row matrix. The result type follows the options: `EncodeOptions` →
   * float32 `DenseMatrix`; `precision: "int8" | "binary"` → Int8Array, `"uint8" | "ubinary"` →
   * Uint8Array; `outputValue: "token_embeddings"` → one matrix per text. Unknown option keys, and
   * NaN / infinite outputs (`NON_FINITE_OUTPUT`, naming the rows), are errors.
   * A model that reads images (CLIP) also takes `{ image: path | Buffer }` inputs, mixed with texts
   * in one call: rows in input order, one modality per batch (`encodeWithImages`).
   */
  async encode(texts: EncodeInputs, opts: AnyEncodeOptions = {}): Promise<EncodeResult> {
    checkOptions(opts, ENCODE_KEYS, "encode");
    const list = typeof texts === "string" || isImageInput(texts) ? [texts] : texts;
    if (hasImageInputs(list)) return encodeWithImages(this.multimodalHost(opts), list, opts);
    requireStrings(list);
    const batchSize = requirePositiveInt(opts.batchSize ?? 32, "batchSize");
    const prompt = this.resolvePrompt(opts);
    const inputs = prompt ? list.map((t) => prompt + t) : list;
    const promptLength = prompt && this.excludesPrompt() ? (this.inputModule.tokenize([prompt]).lengths[0] as number) - 1 : undefined;
    const maxBatchTokens = opts.maxBatchTokens === undefined ? undefined : requirePositiveInt(opts.maxBatchTokens, "maxBatchTokens");
    // lazy: nothing is tokenized until a loop below reads it
    const batches = tokenizedBatches(this.inputModule, inputs, { batchSize, maxBatchTokens, overlap: opts.overlapTokenization ?? "auto" });
    const progress = startProgress(opts.showProgressBar, "encode", list.length, "texts");

    if (opts.outputValue === "token_embeddings") {
      const out: DenseMatrix[] = new Array(list.length);
      for await (const { batch, indices: idx } of batches) {
        const f = await this.forward(promptLength === undefined ? { batch } : { batch, promptLength });
        const tokens = f.tokenEmbeddings;
        if (!tokens) throw new SbertError("INVALID_OPERATION", "this model does not output token embeddings");
        const h = tokens.dim(-1);
        const bad: number[] = [];
        idx.forEach((orig, r) => {
          const len = lastAttended(batch, r) + 1;
          const start = r * batch.seqLen * h;
          const m = new DenseMatrix(tokens.data.slice(start, start + len * h), len, h);
          if (!m.data.every(Number.isFinite)) bad.push(orig);
          out[orig] = m;
        });
        if (bad.length > 0) throw nonFiniteError(bad, "encode (token embeddings)");
        progress?.tick(idx.length);
      }
      progress?.finish();
      return out;
    }
    if (opts.outputValue !== undefined && opts.outputValue !== "sentence_embedding") {
      throw new SbertError("INVALID_INPUT", `outputValue must be "sentence_embedding" or "token_embeddings", got "${String(opts.outputValue)}"`);
    }

    const fullDim = this.fullEmbeddingDimension();
    const dim = this.resolveTruncateDim(opts.truncateDim, fullDim);
    const data = new Float32Array(list.length * dim);
    for await (const { batch, indices: idx } of batches) {
      const f = await this.forward(promptLength === undefined ? { batch } : { batch, promptLength });
      const emb = f.sentenceEmbedding;
      if (!emb) throw new SbertError("INVALID_OPERATION", "the model's modules produced no sentence embedding; is a Pooling module missing?");
      const width = emb.dim(-1);
      requireFiniteRows(emb.data, width, idx, "encode");
      idx.forEach((orig, r) => data.set(emb.data.subarray(r * width, r * width + dim), orig * dim));
      progress?.tick(idx.length);
    }
    progress?.finish();
    // the same normalization as util.normalizeEmbeddings (torch's F.normalize, summed in torch's order)
    const embeddings = new DenseMatrix(data, list.length, dim);
    const result = opts.normalizeEmbeddings ? normalizeEmbeddings(embeddings) : embeddings;
    const precision = opts.precision ?? "float32";
    if (precision === "float32") return result;
    return quantizeEmbeddings(result, precision);
  }

  /** Frees the ONNX Runtime session and the tokenizer thread; `encode` fails afterwards. */
  dispose(): Promise<void> {
    return this.inputModule.dispose();
  }

  /**
   * Saves the model as a sentence-transformers folder (Python's `model.save(path)`), atomically:
   * every module writes its own files, the Transformer keeping the config.json and tokenizer files
   * it was loaded with. Works on either backend (on ONNX Runtime the weight files are copied).
   * A non-empty `dir` is refused unless `overwrite`. `SentenceTransformer.load(dir)` gives the same
   * embeddings.
   *
   * @example
   * await model.save("out/my-model", { overwrite: true });
   */
  save(dir: string, opts: ModelSaveOptions = {}): Promise<void> {
    return saveSentenceTransformer(this, dir, opts);
  }

  encodeQuery(texts: string | readonly string[], opts: TokenEmbeddingsOptions): Promise<DenseMatrix[]>;
  encodeQuery(texts: string | readonly string[], opts: QuantizedEncodeOptions & { precision: "int8" | "binary" }): Promise<DenseMatrix<Int8Array>>;
  encodeQuery(texts: string | readonly string[], opts: QuantizedEncodeOptions & { precision: "uint8" | "ubinary" }): Promise<DenseMatrix<Uint8Array>>;
  encodeQuery(texts: string | readonly string[], opts?: EncodeOptions): Promise<DenseMatrix>;
  encodeQuery(texts: string | readonly string[], opts: QuantizedEncodeOptions): Promise<DenseMatrix<Float32Array | Int8Array | Uint8Array>>;
  encodeQuery(texts: string | readonly string[], opts?: AnyEncodeOptions): Promise<EncodeResult>;
  /** encode with the "query" prompt when the model has one and none is given. */
  encodeQuery(texts: string | readonly string[], opts: AnyEncodeOptions = {}): Promise<EncodeResult> {
    checkOptions(opts, ENCODE_KEYS, "encodeQuery");
    return this.encode(texts, this.withDefaultPrompt(opts, ["query"]));
  }

  encodeDocument(texts: string | readonly string[], opts: TokenEmbeddingsOptions): Promise<DenseMatrix[]>;
  encodeDocument(texts: string | readonly string[], opts: QuantizedEncodeOptions & { precision: "int8" | "binary" }): Promise<DenseMatrix<Int8Array>>;
  encodeDocument(texts: string | readonly string[], opts: QuantizedEncodeOptions & { precision: "uint8" | "ubinary" }): Promise<DenseMatrix<Uint8Array>>;
  encodeDocument(texts: string | readonly string[], opts?: EncodeOptions): Promise<DenseMatrix>;
  encodeDocument(texts: string | readonly string[], opts: QuantizedEncodeOptions): Promise<DenseMatrix<Float32Array | Int8Array | Uint8Array>>;
  encodeDocument(texts: string | readonly string[], opts?: AnyEncodeOptions): Promise<EncodeResult>;
  /** encode with the first of the "document", "passage", "corpus" prompts the model has, when none is given. */
  encodeDocument(texts: string | readonly string[], opts: AnyEncodeOptions = {}): Promise<EncodeResult> {
    checkOptions(opts, ENCODE_KEYS, "encodeDocument");
    return this.encode(texts, this.withDefaultPrompt(opts, ["document", "passage", "corpus"]));
  }

  /** All-pairs similarity (a.rows × b.rows) with the model's similarity function. */
  similarity(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
    return similarityFunction(this.similarityFnName)(a, b);
  }

  /** Row-wise similarity of a[i] and b[i] with the model's similarity function. */
  similarityPairwise(a: DenseMatrix, b: DenseMatrix): Float32Array {
    return pairwiseSimilarityFunction(this.similarityFnName)(a, b);
  }

  /**
   * The text of prompt `name`, else of the model's default prompt; undefined when neither is set.
   * The one prompt lookup (encode, the server's `prompt_name` and the CLI's `--prompt-name` ask
   * here). An unknown name is INVALID_INPUT, naming the prompts the model has.
   *
   * @example
   * model.promptText("query"); // "query: "
   */
  promptText(name?: string): string | undefined {
    const key = name ?? this.defaultPromptName;
    if (key === undefined) return undefined;
    if (Object.hasOwn(this.prompts, key)) return this.prompts[key];
    const known = Object.keys(this.prompts);
    throw new SbertError("INVALID_INPUT", `prompt name "${key}" is not a prompt of this model; it has ${known.length ? known.map((k) => `"${k}"`).join(", ") : "no prompts"}`);
  }

  /** `opts` with the first of `names` the model has as its prompt, unless a prompt is given. */
  private withDefaultPrompt(opts: AnyEncodeOptions, names: readonly string[]): AnyEncodeOptions {
    if (opts.prompt !== undefined || opts.promptName !== undefined) return opts;
    const name = names.find((n) => Object.hasOwn(this.prompts, n));
    return name === undefined ? opts : { ...opts, promptName: name };
  }

  private resolvePrompt(opts: AnyEncodeOptions): string | undefined {
    if (opts.prompt === undefined) return this.promptText(opts.promptName);
    if (typeof opts.prompt !== "string") throw new SbertError("INVALID_INPUT", "prompt must be a string");
    return opts.prompt;
  }

  private excludesPrompt(): boolean {
    return this.modules.some((m) => m.excludesPrompt === true);
  }

  // --- clipmodel ---
  /** What `encodeWithImages` asks of this model, the texts encoded with this call's options. */
  private multimodalHost(opts: AnyEncodeOptions): MultimodalHost {
    return {
      inputModule: this.inputModule,
      forward: (f) => this.forward(f),
      encodeTexts: (texts) => this.encode(texts, { ...opts, normalizeEmbeddings: false, precision: "float32", outputValue: "sentence_embedding" }),
      resolveTruncateDim: (r, d) => this.resolveTruncateDim(r, d),
      fullEmbeddingDimension: () => this.fullEmbeddingDimension(),
    };
  }

  private resolveTruncateDim(requested: number | undefined, fullDim: number): number {
    const t = requested ?? this.truncateDim;
    if (t === undefined) return fullDim;
    requirePositiveInt(t, "truncateDim");
    if (t > fullDim) throw new SbertError("INVALID_INPUT", `truncateDim ${t} is larger than the embedding dimension ${fullDim}`);
    return t;
  }
}

/** Index of the last attended token of row r. */
function lastAttended(batch: TokenBatch, r: number): number {
  for (let t = batch.seqLen - 1; t >= 0; t--) if (batch.attentionMask[r * batch.seqLen + t]) return t;
  return -1;
}
