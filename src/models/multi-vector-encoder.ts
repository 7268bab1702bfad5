import { type BackendOptions, backendOptions } from "../backends/backend.js";
import { SbertError } from "../errors.js";
import { hubLoadOptions, resolveModelDir } from "../hub/model-dir.js";
import type { HubOptions } from "../hub/resolve.js";
import { readJsonObject } from "../io/json-file.js";
import { folderModelKind } from "../modules/folder-kind.js";
import type { Features, PipelineModule } from "../modules/module.js";
import type { EncodeTask } from "../modules/query-expansion.js";
import type { Transformer } from "../modules/transformer.js";
import { type ShowProgressBar, startProgress } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { DenseMatrix } from "../tensor/dense.js";
import { l2NormalizeRows } from "../tensor/ops/normalize.js";
import type { TextTokenizer } from "../tokenizers/text-tokenizer.js";
import { MULTI_VECTOR_SIMILARITY_NAMES, type MultiVectorSimilarityName, maxSimPairwise, multiVectorSimilarity } from "../util/maxsim.js";
import { requirePositiveInt, requireStrings } from "./batching.js";
import { MODEL_LOAD_KEY_RECORD } from "./load-options.js";
import { parseSentenceTransformerConfig } from "./model-config.js";
import { nonFiniteError } from "./non-finite.js";
import { firstTransformer, loadPipeline, runPipeline } from "./pipeline.js";
import type { ModelSaveOptions } from "./save.js";
import { saveMultiVectorEncoder } from "./save-multi-vector.js";

export type { EncodeTask } from "../modules/query-expansion.js";
export type { MultiVectorSimilarityName } from "../util/maxsim.js";

/** Options of `MultiVectorEncoder.encode` (`encodeQuery` / `encodeDocument` set `task` themselves). */
export interface MultiVectorEncodeOptions {
  /** Texts per forward pass (default 32); batches are formed after sorting by length. */
  batchSize?: number;
  /** `query` or `document`: the prompt default, the length, query expansion and the skiplist. */
  task?: EncodeTask;
  /** Name of a prompt from config_sentence_transformers.json, prepended to every text. */
  promptName?: string;
  /** Literal prompt text; wins over promptName. */
  prompt?: string;
  /** L2-normalize every token vector (a no-op after the model's own token-level Normalize). */
  normalizeEmbeddings?: boolean;
  /** Draw a bar on stderr (`true`) or on a given stream; default none. */
  showProgressBar?: ShowProgressBar;
}

/** `encodeQuery` / `encodeDocument` options: `encode`'s without `task`. */
export type MultiVectorTaskOptions = Omit<MultiVectorEncodeOptions, "task">;

export interface MultiVectorRankOptions extends Omit<MultiVectorTaskOptions, "prompt" | "promptName"> {
  /** Keep only the best N documents. */
  topK?: number;
  /** Add each document's text to its result. */
  returnDocuments?: boolean;
}

export interface MultiVectorRankResult {
  corpusId: number;
  score: number;
  text?: string;
}

export interface MultiVectorEncoderLoadOptions extends BackendOptions, HubOptions {}

const ENCODE_KEYS = optionKeys<MultiVectorEncodeOptions>({ batchSize: true, task: true, promptName: true, prompt: true, normalizeEmbeddings: true, showProgressBar: true });
const TASK_KEYS = optionKeys<MultiVectorTaskOptions>({ batchSize: true, promptName: true, prompt: true, normalizeEmbeddings: true, showProgressBar: true });
const RANK_KEYS = optionKeys<MultiVectorRankOptions>({ batchSize: true, normalizeEmbeddings: true, showProgressBar: true, topK: true, returnDocuments: true });
const LOAD_KEYS = optionKeys<MultiVectorEncoderLoadOptions>(MODEL_LOAD_KEY_RECORD);

/**
 * A multi-vector (late-interaction, ColBERT-style) encoder: each text keeps one vector per scored
 * token, and a query–document score is MaxSim (for each query vector the best dot product with a
 * document vector, summed). Port of sentence-transformers 6.0's `MultiVectorEncoder`,
 * huggingface/sentence-transformers `sentence_transformers/multi_vector_encoder/model.py`: the
 * folder's modules (Transformer with `query_length` / `document_length` / `query_expansion`,
 * Dense and Normalize on token embeddings, MultiVectorMask) run on either backend; the mask and
 * MaxSim are ours.
 *
 * @example
 * const model = await MultiVectorEncoder.load("test/fixtures/multivector-colbert-tiny");
 * const q = await model.encodeQuery(["How many people live in Berlin?"]); // [12 × 16]
 * const d = await model.encodeDocument(["Berlin has 3.5 million inhabitants.", "Paris"]);
 * model.similarity(q, d); // 1 × 2 MaxSim
 */
export class MultiVectorEncoder {
  readonly modules: readonly PipelineModule[];
  readonly prompts: Readonly<Record<string, string>>;
  readonly defaultPromptName: string | undefined;
  readonly similarityFnName: MultiVectorSimilarityName;
  private readonly first: Transformer;

  constructor(modules: readonly PipelineModule[], config: { prompts: Record<string, string>; defaultPromptName: string | undefined; similarityFnName: string | undefined }, dir = "model") {
    this.modules = modules;
    this.first = firstTransformer(modules, dir);
    if (modules.some((m) => m.poolingName !== undefined)) {
      throw new SbertError("INVALID_MODEL_FILE", `${dir} pools its token embeddings into one vector (a bi-encoder): load it with SentenceTransformer.load`);
    }
    this.prompts = config.prompts;
    this.defaultPromptName = config.defaultPromptName;
    const sim = config.similarityFnName ?? "maxsim";
    if (!(MULTI_VECTOR_SIMILARITY_NAMES as readonly string[]).includes(sim)) {
      throw new SbertError("UNSUPPORTED_FORMAT", `${dir}: similarity_fn_name "${sim}" is not a multi-vector similarity; MultiVectorEncoder scores with ${MULTI_VECTOR_SIMILARITY_NAMES.join(" or ")}`);
    }
    this.similarityFnName = sim as MultiVectorSimilarityName;
    requireMarkerTokens(this.prompts, this.first.tokenizer, dir);
    for (const m of modules) m.onModelReady?.(this.first);
  }

  /** Loads a sentence-transformers 6.0 MultiVectorEncoder folder, or a Hugging Face model id (`org/name`). */
  static async load(nameOrPath: string, opts: MultiVectorEncoderLoadOptions = {}): Promise<MultiVectorEncoder> {
    checkOptions(opts, LOAD_KEYS, "MultiVectorEncoder.load");
    const dir = await resolveModelDir(nameOrPath, hubLoadOptions(opts));
    const found = await folderModelKind(dir);
    if (found?.kind === "cross-encoder") {
      throw new SbertError("INVALID_MODEL_FILE", `${dir} holds a cross-encoder (${found.because}), not a multi-vector model: load it with CrossEncoder.load`);
    }
    const [modules, raw] = await Promise.all([loadPipeline(dir, backendOptions(opts)), readJsonObject(dir, "config_sentence_transformers.json", { optional: true })]);
    try {
      return new MultiVectorEncoder(modules, parseSentenceTransformerConfig(raw), dir);
    } catch (e) {
      await (modules[0] as { dispose?: () => Promise<void> } | undefined)?.dispose?.(); // the session it opened
      throw e;
    }
  }

  /** The Transformer the pipeline starts with (its tokenizer, backend, task lengths). */
  get transformer(): Transformer {
    return this.first;
  }

  /** Size of each token vector (the last Dense's output, else the encoder's hidden size). */
  getEmbeddingDimension(): number {
    let dim = this.first.outputDimension();
    for (const m of this.modules) {
      if (m === this.first) continue; // on ONNX Runtime it holds no parameters
      const w = m.parameters().get("linear.weight"); // a Dense (out, in) projects the token vectors
      if (w) dim = w.dim(0);
    }
    return dim;
  }

  /**
   * Tokenizes texts as Python's `model.preprocess(texts, prompt, task)`: `prompt` prepended, then
   * the Transformer's task lengths and query expansion (Transformer.tokenizeTask).
   */
  preprocess(texts: readonly string[], opts: { task?: EncodeTask; prompt?: string } = {}): Features {
    requireStrings(texts);
    const task = requireTask(opts.task);
    const inputs = opts.prompt ? texts.map((t) => opts.prompt + t) : texts;
    const { batch, queryExpansionPositions } = this.first.tokenizeTask(inputs, task);
    return { batch, ...(task ? { task } : {}), ...(queryExpansionPositions ? { queryExpansionPositions } : {}) };
  }

  /** The modules in order over preprocessed features; the result holds `tokenEmbeddings` and `scoringMask`. */
  forward(features: Features): Promise<Features> {
    return runPipeline(this.modules, features);
  }

  /**
   * Per text, the vectors of its scored tokens in position order: a (tokens × dim) matrix, the
   * positions where the scoring mask (MultiVectorMask; without one, the attention mask) is 1.
   * Without `task`, texts are encoded as neither query nor document (MultiVectorMask treats them
   * as documents). NON_FINITE_OUTPUT for NaN / infinite vectors.
   */
  async encode(texts: string | readonly string[], opts: MultiVectorEncodeOptions = {}): Promise<DenseMatrix[]> {
    checkOptions(opts, ENCODE_KEYS, "MultiVectorEncoder.encode");
    const list = typeof texts === "string" ? [texts] : texts;
    requireStrings(list);
    const batchSize = requirePositiveInt(opts.batchSize ?? 32, "batchSize");
    const task = requireTask(opts.task);
    const prompt = this.resolvePrompt(opts);
    // Python sorts by character count (BaseModel._input_length), longest first
    const order = list.map((_, i) => i).sort((a, b) => (list[b] as string).length - (list[a] as string).length || a - b);
    const out: DenseMatrix[] = new Array(list.length);
    const progress = startProgress(opts.showProgressBar, "encode", list.length, "texts");
    for (let s = 0; s < order.length; s += batchSize) {
      const idx = order.slice(s, s + batchSize);
      const f = await this.forward(this.preprocess(idx.map((i) => list[i] as string), { ...(task ? { task } : {}), ...(prompt ? { prompt } : {}) }));
      const bad: number[] = [];
      scoredVectors(f, opts.normalizeEmbeddings === true).forEach((m, r) => {
        const orig = idx[r] as number;
        if (!m.data.every(Number.isFinite)) bad.push(orig);
        out[orig] = m;
      });
      if (bad.length > 0) throw nonFiniteError(bad, "MultiVectorEncoder.encode");
      progress?.tick(idx.length);
    }
    progress?.finish();
    return out;
  }

  /** `encode` as queries: the "query" prompt (when the model has one and none is given), query length and expansion. */
  async encodeQuery(texts: string | readonly string[], opts: MultiVectorTaskOptions = {}): Promise<DenseMatrix[]> {
    checkOptions(opts, TASK_KEYS, "MultiVectorEncoder.encodeQuery");
    return this.encode(texts, { ...this.withDefaultPrompt(opts, "query"), task: "query" });
  }

  /** `encode` as documents: the "document" prompt (when the model has one and none is given), document length and skiplist. */
  async encodeDocument(texts: string | readonly string[], opts: MultiVectorTaskOptions = {}): Promise<DenseMatrix[]> {
    checkOptions(opts, TASK_KEYS, "MultiVectorEncoder.encodeDocument");
    return this.encode(texts, { ...this.withDefaultPrompt(opts, "document"), task: "document" });
  }

  /** All-pairs scores (queries × documents) with the model's similarity (`maxsim` or `meanmaxsim`). */
  similarity(queries: readonly DenseMatrix[], documents: readonly DenseMatrix[]): DenseMatrix {
    return multiVectorSimilarity(this.similarityFnName)(queries, documents);
  }

  /** Scores of queries[i] against documents[i]. */
  similarityPairwise(queries: readonly DenseMatrix[], documents: readonly DenseMatrix[]): Float32Array {
    return maxSimPairwise(queries, documents, { lengthNormalize: this.similarityFnName === "meanmaxsim" });
  }

  /** Scores `query` against every document with the model's similarity and returns them best first (stable for ties). */
  async rank(query: string, documents: readonly string[], opts: MultiVectorRankOptions = {}): Promise<MultiVectorRankResult[]> {
    checkOptions(opts, RANK_KEYS, "MultiVectorEncoder.rank");
    if (typeof query !== "string") throw new SbertError("INVALID_INPUT", "query must be a string");
    requireStrings(documents, "documents");
    const { topK, returnDocuments, ...encodeOpts } = opts;
    if (topK !== undefined) requirePositiveInt(topK, "topK");
    const [q, d] = [await this.encodeQuery([query], encodeOpts), await this.encodeDocument(documents, encodeOpts)];
    const scores = this.similarity(q, d).data;
    const results: MultiVectorRankResult[] = Array.from(scores, (score, corpusId) => (returnDocuments ? { corpusId, score, text: documents[corpusId] as string } : { corpusId, score }));
    results.sort((a, b) => b.score - a.score);
    return topK === undefined ? results : results.slice(0, topK);
  }

  /** The text of prompt `name`, else of the default prompt; INVALID_INPUT for an unknown name. */
  promptText(name?: string): string | undefined {
    const key = name ?? this.defaultPromptName;
    if (key === undefined) return undefined;
    if (Object.hasOwn(this.prompts, key)) return this.prompts[key];
    const known = Object.keys(this.prompts);
    throw new SbertError("INVALID_INPUT", `prompt name "${key}" is not a prompt of this model; it has ${known.length ? known.map((k) => `"${k}"`).join(", ") : "no prompts"}`);
  }

  /**
   * Saves the model as a sentence-transformers 6.0 MultiVectorEncoder folder (models/save-multi-vector.ts),
   * atomically, on either backend; a non-empty `dir` is refused unless `overwrite`.
   */
  save(dir: string, opts: ModelSaveOptions = {}): Promise<void> {
    return saveMultiVectorEncoder(this, dir, opts);
  }

  /** Frees the ONNX Runtime session and the tokenizer thread. */
  dispose(): Promise<void> {
    return this.first.dispose();
  }

  private withDefaultPrompt(opts: MultiVectorTaskOptions, name: string): MultiVectorTaskOptions {
    if (opts.prompt !== undefined || opts.promptName !== undefined || !Object.hasOwn(this.prompts, name)) return opts;
    return { ...opts, promptName: name };
  }

  private resolvePrompt(opts: MultiVectorEncodeOptions): string | undefined {
    if (opts.prompt === undefined) return this.promptText(opts.promptName);
    if (typeof opts.prompt !== "string") throw new SbertError("INVALID_INPUT", "prompt must be a string");
    return opts.prompt;
  }
}

function requireTask(task: unknown): EncodeTask | undefined {
  if (task === undefined || task === "query" || task === "document") return task;
  throw new SbertError("INVALID_INPUT", `task must be "query" or "document", got ${JSON.stringify(task)}`);
}

/** Per row of the batch, the token vectors where the scoring mask is 1, in position order. */
function scoredVectors(f: Features, normalize: boolean): DenseMatrix[] {
  const tokens = f.tokenEmbeddings;
  if (!tokens) throw new SbertError("INVALID_OPERATION", "the model's modules produced no token embeddings");
  const { batchSize, seqLen } = f.batch;
  const mask = f.scoringMask ?? f.batch.attentionMask;
  const h = tokens.dim(-1);
  const out: DenseMatrix[] = [];
  for (let r = 0; r < batchSize; r++) {
    const kept: number[] = [];
    for (let t = 0; t < seqLen; t++) if (mask[r * seqLen + t]) kept.push(t);
    const data = new Float32Array(kept.length * h);
    kept.forEach((t, k) => data.set(tokens.data.subarray((r * seqLen + t) * h, (r * seqLen + t + 1) * h), k * h));
    out.push(new DenseMatrix(normalize ? l2NormalizeRows(data, kept.length, h) : data, kept.length, h));
  }
  return out;
}

/** A prompt's first word that looks like a marker token (`[Q]`, `[D]`, `<query>`). */
const MARKER = /^(\[[^\s[\]]+\]|<[^\s<>]+>)$/;

/**
 * The ColBERT markers of the query / document prompts must be single tokens of the tokenizer (an
 * added token, as sentence-transformers saves them): a tokenizer without them would split `[Q]`
 * into `[`, `q`, `]` and silently score something the model was not trained on.
 */
function requireMarkerTokens(prompts: Readonly<Record<string, string>>, tokenizer: TextTokenizer, dir: string): void {
  for (const name of ["query", "document"]) {
    const prompt = prompts[name];
    const marker = prompt?.trim().split(/\s+/)[0];
    if (marker === undefined || !MARKER.test(marker)) continue;
    const id = tokenizer.tokenToId(marker);
    const ids = tokenizer.encode(marker, undefined, { addSpecialTokens: false }).ids;
    if (id === undefined || ids.length !== 1 || ids[0] !== id) {
      throw new SbertError(
        "INVALID_MODEL_FILE",
        `${dir}: the "${name}" prompt ${JSON.stringify(prompt)} starts with the marker token ${marker}, which the tokenizer does not have as one token ` +
          `(it would be split into ${ids.length} pieces); tokenizer.json must list ${marker} in added_tokens (Python: tokenizer.add_special_tokens), or use the model's own tokenizer files`,
      );
    }
  }
}
