import { join } from "node:path";
import { type EncoderConfig, parseEncoderConfig } from "../architectures/config.js";
import type { Encoder } from "../architectures/encoder.js";
import { isNativeModelType, noNativeImplementation, parseForeignConfig } from "../architectures/foreign-config.js";
import { createEncoder, maxSequenceLength, requireSequenceFits } from "../architectures/registry.js";
import type { BackendOptions, InferenceBackend } from "../backends/backend.js";
import { NativeBackend } from "../backends/native-backend.js";
import { OnnxBackend, ortAvailable } from "../backends/onnx-backend.js";
import { SbertError } from "../errors.js";
import { pathExists } from "../io/exists.js";
import { type JsonObject, readJsonObject } from "../io/json-file.js";
import { type TextInput, TextTokenizer, type TokenBatch, type TokenRow } from "../tokenizers/text-tokenizer.js";
import { prepareInputs } from "../tokenizers/token-rows.js";
import { TokenizerThread } from "../tokenizers/tokenizer-thread.js";
import type { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ClipTowerLowering } from "../architectures/clip.js";
import type { ImagePreprocessorFactory } from "./image-input.js";
import type { InputModule } from "./input-module.js";
import type { ExportSpec, Features, ModuleSaveOptions } from "./module.js";
import { writeModuleJson, writeModuleWeights } from "./module-files.js";
import { type EncodeTask, type TaskLengths, expandQueryBatch, expansionMaxLength, expansionTokenId, parseTaskLengths, taskLengthsConfig } from "./query-expansion.js";
import { copySourceFiles, copyTokenizerFiles } from "./transformer-files.js";
import { loadParamStore, weightFiles } from "./weights.js";

export type { TextInput } from "../tokenizers/text-tokenizer.js";

/**
 * `transformer_task` of sentence_bert_config.json: embeddings, a classification head's logits,
 * or the masked-LM head's vocabulary logits per token (`fill-mask`: SPLADE's MLMTransformer).
 */
export type TransformerTask = "feature-extraction" | "sequence-classification" | "fill-mask";

export interface TransformerOptions extends BackendOptions {
  /** Overrides `max_seq_length` / `model_max_length`. */
  maxSeqLength?: number;
  /** Task when the folder does not say (a plain Hub checkpoint loaded as a cross-encoder). */
  defaultTask?: TransformerTask;
  /**
   * Builds the ONNX graph when the folder has no `onnx/<onnxFile>` (backend `onnx`, or `auto` with
   * ONNX Runtime). `loadPipeline` (models/pipeline.ts) passes the exporter of src/onnx/; passed in
   * rather than imported, because the exporter reads whole model folders, a layer above modules/.
   * Without it such a folder is FILE_NOT_FOUND.
   */
  onnxGraph?: OnnxGraphSource;
  // --- clipmodel ---
  /** Builds the image preprocessing of a model that reads images (CLIP), from its image-processor settings. */
  imagePreprocessor?: ImagePreprocessorFactory;
  /** Lowers a CLIP tower to ONNX for backend "onnx" (`loadPipeline` passes onnx/clip-graph.ts). */
  clipOnnx?: ClipTowerLowering;
}

/** The ONNX graph of a model folder, exported on demand; `release()` once the session has loaded it. */
export type OnnxGraphSource = (
  dir: string,
  want: { task: TransformerTask; fileName: string; onnxCache?: string | false },
) => Promise<{ path: string; release(): Promise<void> }>;

/**
 * The Transformer module: tokenizer + a compute backend (native tensor code or ONNX Runtime).
 * Produces `tokenEmbeddings` (feature extraction) or `scores` (sequence classification: the
 * head's raw logits).
 */
export class Transformer implements InputModule {
  /** `Transformer`, or `MLMTransformer` when loaded through that module type (modules/mlm-transformer.ts). */
  readonly typeName: string;
  readonly tokenizer: TextTokenizer;
  readonly config: EncoderConfig;
  readonly backend: InferenceBackend;
  readonly task: TransformerTask;
  private seqLength: number;
  /** Lower-case texts before tokenizing (`do_lower_case` in sentence_bert_config.json). */
  readonly doLowerCase: boolean;
  /** The folder the module was loaded from: `save` copies config.json and the tokenizer files from it. */
  readonly sourceDir: string;
  /** `query_length` / `document_length` / `query_expansion` (multi-vector models); empty otherwise. */
  readonly taskLengths: TaskLengths;
  /** The token id that fills query expansion positions, when the model expands queries. */
  private readonly expansionId: number | undefined;
  private readonly engine: LoadedEngine;
  private thread: TokenizerThread | undefined;
  private disposed = false;

  constructor(
    tokenizer: TextTokenizer,
    config: EncoderConfig,
    engine: LoadedEngine,
    opts: { task: TransformerTask; maxSeqLength: number; doLowerCase: boolean; sourceDir: string; taskLengths?: TaskLengths; typeName?: string },
  ) {
    this.typeName = opts.typeName ?? "Transformer";
    this.tokenizer = tokenizer;
    this.config = config;
    this.engine = engine;
    this.backend = engine.backend;
    this.task = opts.task;
    this.seqLength = requireSequenceFits(config, opts.maxSeqLength);
    this.doLowerCase = opts.doLowerCase;
    this.sourceDir = opts.sourceDir;
    this.taskLengths = opts.taskLengths ?? {};
    const { queryLength, documentLength, queryExpansion } = this.taskLengths;
    for (const n of [queryLength, documentLength, queryExpansion?.length]) if (n !== undefined) requireSequenceFits(config, n);
    this.expansionId = queryExpansion ? expansionTokenId(queryExpansion, tokenizer, opts.sourceDir) : undefined;
  }

  /** Threads the backend computes on. */
  get computeThreads(): number {
    return this.backend.threads;
  }

  /** Longest token sequence fed to the encoder, special tokens included; longer inputs are truncated. */
  get maxSeqLength(): number {
    return this.seqLength;
  }

  /** Refuses (INVALID_INPUT) a length the model's position table cannot hold, naming the limit. */
  set maxSeqLength(n: number) {
    this.seqLength = requireSequenceFits(this.config, n);
  }

  /**
   * Loads config.json, the tokenizer, sentence_bert_config.json and the weights for the chosen
   * backend: model.safetensors (native) or onnx/<onnxFile> (onnx; default model.onnx).
   * `auto` takes ONNX Runtime when it loads and the folder has the ONNX file, else native.
   */
  static async load(dir: string, opts: TransformerOptions = {}, typeName = "Transformer"): Promise<Transformer> {
    const stConfig = (await readJsonObject(dir, "sentence_bert_config.json", { optional: true })) ?? {};
    const raw = await readJsonObject(dir, "config.json");
    const native = isNativeModelType(typeof raw["model_type"] === "string" ? raw["model_type"] : "");
    const parsed = native ? parseEncoderConfig(raw) : parseForeignConfig(raw);
    const task = storedTransformerTask(stConfig) ?? opts.defaultTask ?? "feature-extraction";
    const [tokenizer, engine] = await Promise.all([TextTokenizer.fromFolder(dir), createBackend(dir, parsed, task, opts, native)]);
    const config = parsed.hiddenSize > 0 ? parsed : { ...parsed, hiddenSize: graphWidth(engine.backend, dir) };
    const maxPositions = maxSequenceLength(config);
    tokenizer.requireVocabularyWithin(config.vocabSize, dir);
    if (task === "sequence-classification" && !engine.backend.producesLogits) {
      throw new SbertError("INVALID_MODEL_FILE", `${dir}: transformer_task is sequence-classification but the model has no classifier head`);
    }
    if (task === "fill-mask" && !engine.backend.producesMlmLogits && !engine.backend.poolsInGraph) {
      throw new SbertError("INVALID_MODEL_FILE", `${dir}: transformer_task is fill-mask but the ${engine.backend.name} backend's model has no masked-LM head`);
    }
    return new Transformer(tokenizer, config, engine, {
      task,
      maxSeqLength: opts.maxSeqLength ?? resolveMaxSeqLength(stConfig, tokenizer.modelMaxLength, config, maxPositions),
      doLowerCase: stConfig["do_lower_case"] === true,
      sourceDir: dir,
      taskLengths: parseTaskLengths(stConfig, join(dir, "sentence_bert_config.json")),
      typeName,
    });
  }

  /** The native encoder (for training and inspection); only on the native backend. */
  get encoder(): Encoder {
    if (!this.engine.encoder) {
      throw new SbertError("INVALID_OPERATION", `the ${this.backend.name} backend has no native encoder; load the model with backend "native"`);
    }
    return this.engine.encoder;
  }

  /**
   * `sentence_bert_config.json`: `{ max_seq_length, do_lower_case }` for embeddings (the classic
   * keys, which every Python version reads); a classification or masked-LM (SPLADE) model adds the
   * 5.4+ keys its folder needs (`transformer_task`, `modality_config`, `module_output_name`).
   */
  getConfigDict(): Record<string, unknown> {
    if (this.task === "feature-extraction") return { max_seq_length: this.maxSeqLength, do_lower_case: this.doLowerCase, ...taskLengthsConfig(this.taskLengths) };
    return {
      transformer_task: this.task,
      modality_config: { text: { method: "forward", method_output_name: "logits" } },
      // a masked-LM head's logits go on to SpladePooling as token embeddings; a classifier's are the scores
      module_output_name: this.task === "fill-mask" ? "token_embeddings" : "scores",
      max_seq_length: this.maxSeqLength,
      do_lower_case: this.doLowerCase,
    };
  }

  /** The encoder's weights under their checkpoint keys (`embeddings.word_embeddings.weight`, `bert.…`); native backend only. */
  parameters(): ReadonlyMap<string, Tensor> {
    return this.encoder.params.tensors;
  }

  /** The encoder's config, its checkpoint's weights and the task, for the ONNX exporter; native backend only. */
  exportSpec(): ExportSpec {
    return { kind: "encoder", config: this.config, params: this.encoder.params, task: this.task };
  }

  /**
   * Writes config.json and the tokenizer files (copied from `opts.sourceDir`, default the folder it
   * was loaded from), the weights and `sentence_bert_config.json`. On the native backend the weights
   * come from memory (`model.safetensors`, trained values included); on ONNX Runtime the weight
   * files and the `onnx/` graph it was loaded from are copied.
   */
  async save(dir: string, opts: ModuleSaveOptions = {}): Promise<void> {
    const from = opts.sourceDir ?? this.sourceDir;
    await copySourceFiles(from, dir, ["config.json"]);
    await copyTokenizerFiles(from, dir);
    if (this.engine.encoder) await writeModuleWeights(dir, this.engine.encoder.params.tensors);
    else await copySourceFiles(this.sourceDir, dir, [...(await weightFiles(this.sourceDir)), ...(this.engine.ownGraph ? [this.engine.ownGraph] : [])]);
    await writeModuleJson(join(dir, "sentence_bert_config.json"), this.getConfigDict());
  }

  /**
   * Tokenizes a batch as sentence-transformers 5.x does: optional lower-casing (no stripping:
   * byte-level BPE keeps leading spaces), truncate (longest first for pairs) to `maxSeqLength`,
   * pad to the longest row.
   */
  tokenize(inputs: readonly TextInput[]): TokenBatch {
    return this.tokenizer.padRows(this.tokenizeRows(inputs));
  }

  /**
   * Tokenizes texts for a task, as sentence-transformers 6.0's `Transformer.preprocess(texts,
   * task=...)`: truncated to `query_length` / `document_length` (else `maxSeqLength`); queries
   * of a model with `query_expansion` are expanded (modules/query-expansion.ts) and come with
   * their `queryExpansionPositions` (batchSize × seqLen, 1 = expansion position).
   *
   * @example
   * const { batch, queryExpansionPositions } = transformer.tokenizeTask(["[Q] what is up"], "query");
   */
  tokenizeTask(inputs: readonly string[], task: EncodeTask | undefined): { batch: TokenBatch; queryExpansionPositions?: Uint8Array } {
    const { queryLength, documentLength, queryExpansion } = this.taskLengths;
    const taskLength = task === "query" ? queryLength : task === "document" ? documentLength : undefined;
    const expansion = task === "query" ? queryExpansion : undefined;
    const maxLength = expansion ? expansionMaxLength(expansion, taskLength, this.maxSeqLength) : (taskLength ?? this.maxSeqLength);
    const batch = this.tokenizer.padRows(this.tokenizer.encodeRows(prepareInputs(inputs, this.doLowerCase), { maxLength }));
    if (!expansion || this.expansionId === undefined) return { batch };
    const tok = this.tokenizer;
    const expanded = expandQueryBatch(batch, expansion, this.expansionId, { id: tok.padTokenId, typeId: tok.padTokenTypeId, side: tok.paddingSide });
    return { batch: expanded.batch, queryExpansionPositions: expanded.positions };
  }

  /** The unpadded rows `tokenize` pads: encode them once, order by length, then `padRows`. */
  tokenizeRows(inputs: readonly TextInput[]): TokenRow[] {
    return this.tokenizer.encodeRows(prepareInputs(inputs, this.doLowerCase), { maxLength: this.maxSeqLength });
  }

  /**
   * `tokenizeRows` on the tokenizer's own worker thread (started on first use), so that it can
   * run while this thread computes; on this thread when the worker cannot start or dies.
   */
  async tokenizeRowsInThread(inputs: readonly TextInput[]): Promise<TokenRow[]> {
    if (this.disposed) return this.tokenizeRows(inputs);
    const thread = (this.thread ??= new TokenizerThread(this.tokenizer));
    if (!thread.usable) return this.tokenizeRows(inputs);
    try {
      return await thread.encodeRows(inputs, { maxLength: this.maxSeqLength, lowerCase: this.doLowerCase });
    } catch (e) {
      if (thread.usable) throw e; // the tokenizer's own error (bad input)
      return this.tokenizeRows(inputs);
    }
  }

  /** Pads rows from `tokenizeRows` into one batch. */
  padRows(rows: readonly TokenRow[]): TokenBatch {
    return this.tokenizer.padRows(rows);
  }

  /** Releases the compute session and the tokenizer thread; the module is unusable afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([this.thread?.close(), this.backend.dispose()]);
  }

  /**
   * Training mode: the native encoder's dropout (as config.json sets it) draws from `rng`;
   * `undefined` is inference. Training mode needs the native backend (INVALID_OPERATION otherwise).
   */
  setTrainingMode(rng: Rng | undefined): void {
    if (this.engine.encoder) this.engine.encoder.setDropout(rng);
    else if (rng) this.encoder.setDropout(rng); // throws INVALID_OPERATION naming the backend
  }

  /** Hidden states or logits of `features.batch`; the one forward of inference and training. */
  async forward(features: Features): Promise<Features> {
    if (this.disposed) throw new SbertError("INVALID_OPERATION", "this model was disposed; load it again to use it");
    const out = await this.backend.run(features.batch);
    if (this.task === "sequence-classification") return { ...features, ...(out.logits ? { scores: out.logits } : {}) };
    if (this.task === "fill-mask") {
      // a graph exported with --with-pooling (SpladePooling baked in) already gives the sparse rows
      if (!out.mlmLogits && out.sentenceEmbedding) return { ...features, sentenceEmbedding: out.sentenceEmbedding };
      return { ...features, ...(out.mlmLogits ? { tokenEmbeddings: out.mlmLogits } : {}) };
    }
    return { ...features, ...(out.tokenEmbeddings ? { tokenEmbeddings: out.tokenEmbeddings } : {}) };
  }

  /** Hidden size; the vocabulary size for fill-mask (its token "embeddings" are vocabulary logits). */
  outputDimension(): number {
    if (this.task === "fill-mask") return this.config.vocabSize;
    return this.config.hiddenSize;
  }
}

/** The engine a Transformer runs on, with what saving and training need to know about it. */
interface LoadedEngine {
  backend: InferenceBackend;
  /** The native encoder (its weights in memory); undefined on ONNX Runtime. */
  encoder?: Encoder;
  /** `onnx/<file>` of the model folder the ONNX session was created from; undefined for a cache export. */
  ownGraph?: string;
}

/**
 * The engine for this folder. `onnx` uses `onnx/<onnxFile>` when the folder has it; the default
 * graph (and its int8 variant) is otherwise exported from the safetensors weights on first use
 * into the per-model ONNX cache (src/onnx/ensure.ts). `auto` = onnx when ONNX Runtime loads.
 */
async function createBackend(dir: string, config: EncoderConfig, task: TransformerTask, opts: TransformerOptions, native: boolean): Promise<LoadedEngine> {
  const choice = opts.backend ?? "auto";
  if (choice !== "auto" && choice !== "native" && choice !== "onnx") {
    throw new SbertError("INVALID_INPUT", `backend must be "auto", "native" or "onnx", got "${String(choice)}"`);
  }
  if (!native) return foreignBackend(dir, config, opts, choice);
  if (choice === "onnx" || (choice === "auto" && (await ortAvailable()))) {
    const graph = await onnxGraphFor(dir, task, opts);
    let backend: OnnxBackend;
    try {
      backend = await OnnxBackend.create(graph.path, opts.threads === undefined ? {} : { threads: opts.threads });
    } finally {
      await graph.release(); // a temporary export (cache off) is not needed once the session holds it
    }
    backend.expectHiddenSize(config.hiddenSize);
    backend.expectInputLimits({ vocabSize: config.vocabSize, typeVocabSize: config.typeVocabSize, maxSequenceLength: maxSequenceLength(config) });
    return graph.own ? { backend, ownGraph: graph.own } : { backend };
  }
  const encoder = createEncoder(config, await loadParamStore(dir));
  return { backend: new NativeBackend(encoder, task === "sequence-classification" && encoder.hasClassifier, task === "fill-mask" && encoder.hasMlmHead), encoder };
}

/**
 * A model type without a definition here runs only from the ONNX file its folder ships (an Optimum
 * or transformers.js export), fed by the graph's own input names; native is refused, naming the
 * model type, the supported ones and the way that works.
 */
async function foreignBackend(dir: string, config: EncoderConfig, opts: TransformerOptions, choice: "auto" | "native" | "onnx"): Promise<LoadedEngine> {
  const name = opts.onnxFile ?? "model.onnx";
  const own = join(dir, "onnx", name);
  const hasOnnx = await pathExists(own);
  if (choice === "native" || !hasOnnx) throw noNativeImplementation(config.modelType, dir, name, hasOnnx);
  if (choice === "auto" && !(await ortAvailable())) {
    throw new SbertError("UNSUPPORTED_FORMAT", `model_type "${config.modelType}" has no native implementation here, and ${own} needs ONNX Runtime: install it with \`npm install onnxruntime-node\``);
  }
  const backend = await OnnxBackend.create(own, opts.threads === undefined ? {} : { threads: opts.threads });
  if (config.hiddenSize > 0) backend.expectHiddenSize(config.hiddenSize);
  backend.expectInputLimits({ vocabSize: config.vocabSize, typeVocabSize: config.typeVocabSize, maxSequenceLength: config.maxPositionEmbeddings });
  return { backend, ownGraph: `onnx/${name}` };
}

/** The hidden width a shipped graph declares, for a config.json that names none. */
function graphWidth(backend: InferenceBackend, dir: string): number {
  const width = backend instanceof OnnxBackend && backend.hiddenOutput ? backend.outputWidth(backend.hiddenOutput) : undefined;
  if (width === undefined) {
    throw new SbertError("INVALID_MODEL_FILE", `${dir}: config.json names no hidden size (hidden_size, d_model, dim or n_embd) and the ONNX graph declares no fixed width for its hidden states`);
  }
  return width;
}

async function onnxGraphFor(dir: string, task: TransformerTask, opts: TransformerOptions): Promise<{ path: string; own?: string; release(): Promise<void> }> {
  const name = opts.onnxFile ?? "model.onnx";
  const own = join(dir, "onnx", name);
  if (await pathExists(own)) return { path: own, own: `onnx/${name}`, release: async () => undefined };
  if (!opts.onnxGraph) {
    throw new SbertError("FILE_NOT_FOUND", `${own} is missing; load the model with SentenceTransformer.load / CrossEncoder.load to export it on first use, or use backend "native"`);
  }
  return opts.onnxGraph(dir, { task, fileName: name, ...(opts.onnxCache !== undefined ? { onnxCache: opts.onnxCache } : {}) });
}

/** `transformer_task` of a sentence_bert_config.json, undefined when absent; UNSUPPORTED_FORMAT when unknown. */
export function storedTransformerTask(stConfig: JsonObject): TransformerTask | undefined {
  const raw = stConfig["transformer_task"];
  if (raw === undefined) return undefined;
  if (raw === "feature-extraction" || raw === "sequence-classification" || raw === "fill-mask") return raw;
  throw new SbertError("UNSUPPORTED_FORMAT", `transformer_task "${String(raw)}" is not supported; use feature-extraction, sequence-classification or fill-mask`);
}

/**
 * `max_seq_length` from sentence_bert_config.json, else min(max_position_embeddings,
 * tokenizer model_max_length) as Python does; never more than the position table holds.
 */
function resolveMaxSeqLength(stConfig: JsonObject, modelMaxLength: number | undefined, config: EncoderConfig, maxPositions: number): number {
  const stored = stConfig["max_seq_length"];
  let len: number;
  if (typeof stored === "number" && Number.isInteger(stored) && stored > 0) len = stored;
  else len = Math.min(config.maxPositionEmbeddings, modelMaxLength ?? Infinity);
  return Math.min(len, maxPositions);
}
