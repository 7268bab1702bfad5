import { type BackendOptions, backendOptions } from "../backends/backend.js";
import { SbertError } from "../errors.js";
import { hubLoadOptions, resolveModelDir } from "../hub/model-dir.js";
import type { HubOptions } from "../hub/resolve.js";
import { type JsonObject, readJsonObject } from "../io/json-file.js";
import type { Features, PipelineModule } from "../modules/module.js";
import { type Transformer } from "../modules/transformer.js";
import { type ShowProgressBar, startProgress } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { DenseMatrix } from "../tensor/dense.js";
import { softmaxRow } from "../tensor/math.js";
import type { Rng } from "../tensor/random.js";
import { activation, activationNameOf } from "../tensor/ops/elementwise.js";
import { Tensor } from "../tensor/tensor.js";
import { tokenizedBatches } from "./batch-stream.js";
import { requirePositiveInt, requireStrings } from "./batching.js";
import { folderModelKind } from "../modules/folder-kind.js";
import { MODEL_LOAD_KEYS } from "./load-options.js";
import { requireFiniteRows } from "./non-finite.js";
import { firstTransformer, loadPipeline, runPipeline, setTrainingMode } from "./pipeline.js";
import type { ModelSaveOptions } from "./save.js";
import { saveCrossEncoder } from "./save-cross-encoder.js";

/** Activation applied to the logits: the model's stored default, or one named explicitly. */
export type CrossEncoderActivation = "default" | "identity" | "sigmoid" | "softmax" | "tanh";

export interface PredictOptions {
  /** Pairs per forward pass (default 32). */
  batchSize?: number;
  /** Also cap each batch at this many padded tokens (rows × longest row). */
  maxBatchTokens?: number;
  activation?: CrossEncoderActivation;
  /** Softmax over the labels after the activation (models with several labels only), as Python. */
  applySoftmax?: boolean;
  /** Draw a bar (pairs, pairs/s, ETA) on stderr (`true`) or on a given stream; default none. */
  showProgressBar?: ShowProgressBar;
}

export interface RankOptions extends Omit<PredictOptions, "applySoftmax"> {
  /** Keep only the best N documents. */
  topK?: number;
  /** Add each document's text to its result. */
  returnDocuments?: boolean;
}

/** `CrossEncoder.load` options: the engine and, for a hub id, the download settings. */
export type CrossEncoderLoadOptions = BackendOptions & HubOptions;

const PREDICT_KEYS = optionKeys<PredictOptions>({ batchSize: true, maxBatchTokens: true, activation: true, applySoftmax: true, showProgressBar: true });
const RANK_KEYS = optionKeys<RankOptions>({ batchSize: true, maxBatchTokens: true, activation: true, showProgressBar: true, topK: true, returnDocuments: true });

export interface RankResult {
  corpusId: number;
  score: number;
  text?: string;
}

/**
 * A cross-encoder: scores a (query, document) pair jointly with a sequence-classification head.
 * Loads the sentence-transformers 5.4+ layout (modules.json with one Transformer) and the plain
 * Hugging Face layout (config.json + weights with a classifier).
 *
 * @example
 * const ce = await CrossEncoder.load("test/fixtures/ce-bert-1label");
 * await ce.predict([["query", "doc"]]); // Float32Array [score]
 */
export class CrossEncoder {
  readonly transformer: Transformer;
  readonly numLabels: number;
  /** The activation `predict` applies by default (Sigmoid for one label unless the model stores another). */
  readonly defaultActivation: Exclude<CrossEncoderActivation, "default">;

  constructor(transformer: Transformer, defaultActivation: Exclude<CrossEncoderActivation, "default">) {
    if (transformer.task !== "sequence-classification") {
      throw new SbertError("INVALID_MODEL_FILE", "a CrossEncoder needs a Transformer with transformer_task sequence-classification");
    }
    this.transformer = transformer;
    this.numLabels = transformer.config.numLabels;
    this.defaultActivation = defaultActivation;
  }

  /** Loads a cross-encoder folder, or a Hugging Face model id (`org/name`) through the shared cache. */
  static async load(nameOrPath: string, opts: CrossEncoderLoadOptions = {}): Promise<CrossEncoder> {
    checkOptions(opts, MODEL_LOAD_KEYS, "CrossEncoder.load");
    const dir = await resolveModelDir(nameOrPath, hubLoadOptions(opts));
    const found = await folderModelKind(dir);
    if (found?.kind === "sparse-encoder") {
      throw new SbertError("INVALID_MODEL_FILE", `${dir} holds a sparse encoder (${found.because}), not a cross-encoder: load it with SparseEncoder.load`);
    }
    if (found?.kind === "sentence-transformer") {
      throw new SbertError(
        "INVALID_MODEL_FILE",
        `${dir} holds a bi-encoder (sentence embedding model: ${found.because}), not a cross-encoder: load it with SentenceTransformer.load and compare embeddings (CLI: sbert encode, sbert search)`,
      );
    }
    const modules = await loadPipeline(dir, { ...backendOptions(opts), defaultTask: "sequence-classification" });
    const transformer = firstTransformer(modules, dir);
    if (transformer.task !== "sequence-classification") {
      throw new SbertError("INVALID_MODEL_FILE", `${dir} holds a ${transformer.task} model without a classification head; load it with SentenceTransformer.load (CLI: sbert encode)`);
    }
    if (modules.length !== 1) throw new SbertError("UNSUPPORTED_FORMAT", `${dir}: a CrossEncoder folder holds exactly one Transformer module`);
    const [stCfg, hfCfg] = await Promise.all([
      readJsonObject(dir, "config_sentence_transformers.json", { optional: true }),
      readJsonObject(dir, "config.json"),
    ]);
    return new CrossEncoder(transformer, storedActivation(stCfg, hfCfg) ?? (transformer.config.numLabels === 1 ? "sigmoid" : "identity"));
  }

  /** The pipeline: the one Transformer (with its classification head). */
  get modules(): readonly PipelineModule[] {
    return [this.transformer];
  }

  /**
   * The modules over one tokenized batch of pairs (`runPipeline`), `scores` = the head's raw logits:
   * the forward pass `predict` runs, and training too (recording the autograd graph when the
   * parameters require gradients).
   */
  forward(features: Features): Promise<Features> {
    return runPipeline(this.modules, features);
  }

  /** Training mode (dropout drawing from `rng`) or inference mode (`undefined`, the default); native backend only. */
  setTrainingMode(rng: Rng | undefined): void {
    setTrainingMode(this.modules, rng);
  }

  /** Frees the ONNX Runtime session and the tokenizer thread; `predict` fails afterwards. */
  dispose(): Promise<void> {
    return this.transformer.dispose();
  }

  /**
   * Saves the cross-encoder as a sentence-transformers 5.4+ cross-encoder folder (Python's
   * `model.save(path)`), atomically, keeping the tokenizer files it was loaded with; on either
   * backend. A non-empty `dir` is refused unless `overwrite`. `CrossEncoder.load(dir)` gives the
   * same scores.
   *
   * @example
   * await ce.save("out/my-reranker");
   */
  save(dir: string, opts: ModelSaveOptions = {}): Promise<void> {
    return saveCrossEncoder(this, dir, opts);
  }

  get maxLength(): number {
    return this.transformer.maxSeqLength;
  }

  /**
   * Raw head outputs, (pairs × numLabels), rows in input order; NaN / infinite logits are a
   * `NON_FINITE_OUTPUT` error naming the pairs.
   */
  async logits(pairs: readonly (readonly [string, string])[], batchSize = 32, maxBatchTokens?: number, showProgressBar?: ShowProgressBar): Promise<DenseMatrix> {
    if (!Array.isArray(pairs)) throw new SbertError("INVALID_INPUT", "pairs must be a list of [text, text] pairs");
    pairs.forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw new SbertError("INVALID_INPUT", `pairs[${i}] must be a [text, text] pair`);
      requireStrings(p, `pairs[${i}]`);
    });
    requirePositiveInt(batchSize, "batchSize");
    const out = new Float32Array(pairs.length * this.numLabels);
    if (maxBatchTokens !== undefined) requirePositiveInt(maxBatchTokens, "maxBatchTokens");
    const progress = startProgress(showProgressBar, "predict", pairs.length, "pairs");
    for await (const { batch, indices: idx } of tokenizedBatches(this.transformer, pairs, { batchSize, maxBatchTokens, overlap: "auto" })) {
      const scores = (await this.forward({ batch })).scores;
      if (!scores) throw new SbertError("INVALID_OPERATION", "the Transformer produced no scores");
      requireFiniteRows(scores.data, this.numLabels, idx, "CrossEncoder.predict");
      idx.forEach((orig, r) => out.set(scores.data.subarray(r * this.numLabels, (r + 1) * this.numLabels), orig * this.numLabels));
      progress?.tick(idx.length);
    }
    progress?.finish();
    return new DenseMatrix(out, pairs.length, this.numLabels);
  }

  /**
   * Scores pairs: a Float32Array (one score per pair) for one-label models, a (pairs × labels)
   * matrix otherwise. Activation first, then the optional softmax, as in Python.
   */
  async predict(pairs: readonly (readonly [string, string])[], opts: PredictOptions = {}): Promise<Float32Array | DenseMatrix> {
    checkOptions(opts, PREDICT_KEYS, "CrossEncoder.predict");
    const logits = await this.logits(pairs, opts.batchSize ?? 32, opts.maxBatchTokens, opts.showProgressBar);
    const act = !opts.activation || opts.activation === "default" ? this.defaultActivation : opts.activation;
    const data = applyActivation(logits, act);
    if (opts.applySoftmax && this.numLabels > 1) softmaxRows(data, this.numLabels);
    return this.numLabels === 1 ? data : new DenseMatrix(data, logits.rows, logits.cols);
  }

  /**
   * Scores `query` against every document and returns them best first (stable for ties).
   * Only for one-label models, as in Python.
   */
  async rank(query: string, documents: readonly string[], opts: RankOptions = {}): Promise<RankResult[]> {
    checkOptions(opts, RANK_KEYS, "CrossEncoder.rank");
    if (this.numLabels !== 1) {
      throw new SbertError("INVALID_OPERATION", "CrossEncoder.rank() only works for models with num_labels=1. Consider using CrossEncoder.predict() with input pairs instead.");
    }
    if (typeof query !== "string") throw new SbertError("INVALID_INPUT", "query must be a string");
    requireStrings(documents, "documents");
    const { topK, returnDocuments, ...predictOpts } = opts;
    if (topK !== undefined) requirePositiveInt(topK, "topK");
    const scores = (await this.predict(documents.map((d) => [query, d] as const), predictOpts)) as Float32Array;
    const results: RankResult[] = Array.from(scores, (score, corpusId) => (returnDocuments ? { corpusId, score, text: documents[corpusId] as string } : { corpusId, score }));
    results.sort((a, b) => b.score - a.score);
    return topK === undefined ? results : results.slice(0, topK);
  }
}

/** Reads the stored default activation from any of the three places Python has kept it. */
function storedActivation(stCfg: JsonObject | undefined, hfCfg: JsonObject): Exclude<CrossEncoderActivation, "default"> | undefined {
  const nested = hfCfg["sentence_transformers"];
  const raw =
    stCfg?.["activation_fn"] ??
    (nested && typeof nested === "object" ? (nested as JsonObject)["activation_fn"] : undefined) ??
    hfCfg["sbert_ce_default_activation_function"];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "string") throw new SbertError("INVALID_MODEL_FILE", "activation_fn must be a class path string");
  const act = raw.split(".").pop()?.toLowerCase() === "softmax" ? "softmax" : activationNameOf(raw);
  if (act !== "softmax" && act !== "identity" && act !== "sigmoid" && act !== "tanh") throw new SbertError("UNSUPPORTED_FORMAT", `stored activation "${raw}" is not supported; supported: Identity, Sigmoid, Tanh, Softmax`);
  return act;
}

function applyActivation(logits: DenseMatrix, act: Exclude<CrossEncoderActivation, "default">): Float32Array {
  const out = Float32Array.from(logits.data);
  if (act === "softmax") softmaxRows(out, logits.cols);
  else if (act !== "identity") out.set(activation(new Tensor(out, [out.length]), act).data);
  return out;
}

/** Softmax of each row of a (rows × cols) matrix in place (float64 inside, as `softmaxRow`). */
function softmaxRows(data: Float32Array, cols: number): void {
  const p = new Float64Array(data.length);
  for (let o = 0; o < data.length; o += cols) softmaxRow(data, o, cols, p);
  data.set(p);
}
