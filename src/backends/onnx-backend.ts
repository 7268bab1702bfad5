import { access } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type * as Ort from "onnxruntime-node";
import type { EncoderBatch } from "../architectures/encoder.js";
import { SbertError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import type { BackendOutputs, InferenceBackend } from "./backend.js";
import { type FeedPlan, buildFeeds, planFeeds } from "./onnx-feeds.js";

export { toInt64 } from "./int64.js";

type OrtModule = typeof Ort;

let ortModule: Promise<OrtModule> | undefined;

/** Loads onnxruntime-node on first use (it is a native addon: never at import time). */
export function loadOrt(): Promise<OrtModule> {
  // Without this, ONNX Runtime writes a device id and a telemetry database under
  // ~/.cache/Microsoft/DeveloperTools; a caller's own setting (e.g. 0) is kept.
  process.env["ORT_DISABLE_TELEMETRY"] ??= "1";
  ortModule ??= import("onnxruntime-node").then(
    (m) => {
      const ort = ((m as unknown as { default?: OrtModule }).default ?? m) as OrtModule;
      ort.env.logLevel = "error"; // warnings would reach stderr raw, with ANSI colours
      return ort;
    },
    (e: unknown) => {
      ortModule = undefined;
      const code = (e as NodeJS.ErrnoException).code;
      const missing = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
      const why = missing
        ? "onnxruntime-node is not installed (it is an optional dependency of sbert-ts)"
        : `onnxruntime-node is installed but could not be loaded (${(e as Error).message})`;
      throw new SbertError("UNSUPPORTED_FORMAT", `${why}; install it with \`npm install onnxruntime-node\`, or use backend "native" (--backend native)`, { cause: e });
    },
  );
  return ortModule;
}

/** Whether ONNX Runtime loads on this machine. */
export async function ortAvailable(): Promise<boolean> {
  return loadOrt().then(
    () => true,
    () => false,
  );
}

const HIDDEN_NAMES = ["last_hidden_state", "token_embeddings"];

/** What config.json says the graph's inputs may hold (checked before every run, see `expectInputLimits`). */
export interface InputLimits {
  /** Rows of the word-embedding table: every token id must be below it. */
  vocabSize: number;
  /** Rows of the token-type table (`type_vocab_size`); 0 = the model has no token types. */
  typeVocabSize: number;
  /** Most tokens one sequence may hold (the position table, less RoBERTa's padding offset). */
  maxSequenceLength: number;
}

/**
 * Runs an ONNX graph with ONNX Runtime: one session per model, inputs fed by the graph's own
 * names and types (`token_type_ids` only when the graph has it; a shipped export's `position_ids`
 * and empty decoder cache too: see `planFeeds`), ids converted at this boundary.
 * Outputs: `last_hidden_state` / `token_embeddings` (B, T, H), `logits` (B, L), and
 * `sentence_embedding` (B, D) when the graph already pools.
 */
export class OnnxBackend implements InferenceBackend {
  readonly name = "onnx";
  readonly path: string;
  readonly producesLogits: boolean;
  /** True when the `logits` output may be per token (rank 3 or undeclared): a fill-mask graph. */
  readonly producesMlmLogits: boolean;
  readonly poolsInGraph: boolean;
  /** Intra-op threads: as asked, else ONNX Runtime's default (one per core). */
  readonly threads: number;
  private readonly ort: OrtModule;
  private readonly session: Ort.InferenceSession;
  private readonly hiddenName: string | undefined;
  private readonly feeds: FeedPlan;
  /** hidden_size from config.json, checked against every output (set by `expectHiddenSize`). */
  private expectedHidden: number | undefined;
  /** config.json's bounds on the inputs (set by `expectInputLimits`). */
  private limits: InputLimits | undefined;

  private constructor(ort: OrtModule, session: Ort.InferenceSession, path: string, threads: number | undefined) {
    this.ort = ort;
    this.threads = threads ?? availableParallelism();
    this.session = session;
    this.path = path;
    this.hiddenName = HIDDEN_NAMES.find((n) => session.outputNames.includes(n));
    this.producesLogits = session.outputNames.includes("logits");
    this.feeds = planFeeds(session.inputMetadata, path);
    this.producesMlmLogits = this.producesLogits && this.outputRank("logits") !== 2;
    this.poolsInGraph = session.outputNames.includes("sentence_embedding");
    if (!this.hiddenName && !this.producesLogits && !session.outputNames.includes("sentence_embedding")) {
      throw new SbertError("INVALID_MODEL_FILE", `${path}: the ONNX graph has none of the outputs last_hidden_state, token_embeddings, logits, sentence_embedding`);
    }
  }

  /**
   * The last dimension the graph declares for `output`, when it is a number (symbolic or unknown
   * dims give undefined). Used to refuse a graph whose hidden size disagrees with config.json.
   */
  outputWidth(output: string): number | undefined {
    const meta = (this.session as unknown as { outputMetadata?: { name: string; shape?: readonly (number | string)[] }[] }).outputMetadata;
    const shape = meta?.find((m) => m.name === output)?.shape;
    const last = shape?.[shape.length - 1];
    return typeof last === "number" ? last : undefined;
  }

  /** The rank the graph declares for `output`, undefined when it declares no shape. */
  private outputRank(output: string): number | undefined {
    const meta = (this.session as unknown as { outputMetadata?: { name: string; shape?: readonly (number | string)[] }[] }).outputMetadata;
    return meta?.find((m) => m.name === output)?.shape?.length;
  }

  /** Name of the hidden-state output, if the graph has one. */
  get hiddenOutput(): string | undefined {
    return this.hiddenName;
  }

  /** Opens `path` (an .onnx file) with `threads` intra-op threads. */
  static async create(path: string, opts: { threads?: number } = {}): Promise<OnnxBackend> {
    await access(path).catch(() => {
      throw new SbertError("FILE_NOT_FOUND", `${path} is missing; export one with \`sbert export-onnx\` or use backend "native"`);
    });
    const ort = await loadOrt();
    // logSeverityLevel 3 = errors only: ONNX Runtime prints warnings on stderr itself, coloured.
    const options: Ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all", executionMode: "sequential", interOpNumThreads: 1, logSeverityLevel: 3 };
    if (opts.threads !== undefined) {
      if (!Number.isInteger(opts.threads) || opts.threads <= 0) throw new SbertError("INVALID_INPUT", `threads must be a positive integer, got ${opts.threads}`);
      options.intraOpNumThreads = opts.threads;
    }
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path, options);
    } catch (e) {
      throw new SbertError("INVALID_MODEL_FILE", `ONNX Runtime cannot load ${path}: ${(e as Error).message}`, { cause: e });
    }
    return new OnnxBackend(ort, session, path, opts.threads);
  }

  async run(batch: EncoderBatch): Promise<BackendOutputs> {
    if (this.limits) checkInputs(batch, this.limits, this.feeds.withTypes, this.path);
    const feeds = buildFeeds(this.ort, this.feeds, batch);
    // No preallocated outputs: onnxruntime-node 1.30 writes into a preallocated fetch but still
    // returns a fresh copy of it (checked: the returned data never shares the given buffer), so
    // preallocating would add a write and save neither the allocation nor the copy.
    let out: Ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(feeds);
    } catch (e) {
      throw runError(e, this.path, batch);
    }
    const result: BackendOutputs = {};
    if (this.hiddenName) {
      const t = out[this.hiddenName] as Ort.Tensor;
      const h = Number(t.dims[t.dims.length - 1]);
      if (this.expectedHidden !== undefined && h !== this.expectedHidden) {
        throw new SbertError("CONFIG_MISMATCH", `${this.path} returns ${h}-dim hidden states but config.json says hidden_size ${this.expectedHidden}`);
      }
      result.tokenEmbeddings = new Tensor(t.data as Float32Array, [batch.batchSize, batch.seqLen, h]);
    }
    if (this.producesLogits) {
      const t = out["logits"] as Ort.Tensor;
      // a fill-mask graph's logits are per token (B, T, V); a classifier's per row (B, L)
      if (t.dims.length === 3) result.mlmLogits = new Tensor(t.data as Float32Array, [batch.batchSize, batch.seqLen, Number(t.dims[2])]);
      else result.logits = toTensor2d(t, batch.batchSize);
    }
    if (out["sentence_embedding"]) result.sentenceEmbedding = toTensor2d(out["sentence_embedding"], batch.batchSize);
    return result;
  }

  /**
   * Refuses a graph whose hidden size disagrees with config.json: at once when the graph declares
   * the width, else on the first batch.
   */
  expectHiddenSize(hidden: number): void {
    const declared = this.hiddenName ? this.outputWidth(this.hiddenName) : undefined;
    if (declared !== undefined && declared !== hidden) {
      throw new SbertError("CONFIG_MISMATCH", `${this.path} declares ${declared}-dim hidden states but config.json says hidden_size ${hidden}; the ONNX file and the weights belong to different models`);
    }
    this.expectedHidden = hidden;
  }

  /**
   * Checks every batch against config.json before ONNX Runtime sees it: token ids in
   * [0, vocabSize), token types in [0, typeVocabSize), at most `maxSequenceLength` tokens. ONNX
   * Runtime itself reports only a Gather node's bounds, and silently reads a negative id from the
   * end of the table.
   */
  expectInputLimits(limits: InputLimits): void {
    this.limits = limits;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** INVALID_INPUT for the first id of `batch` outside `limits`, in the words of the native encoder's checks. */
function checkInputs(batch: EncoderBatch, limits: InputLimits, withTypes: boolean, path: string): void {
  if (batch.seqLen > limits.maxSequenceLength) {
    throw new SbertError(
      "INVALID_INPUT",
      `a batch of ${batch.seqLen}-token sequences is longer than ${path} can take: its position table holds at most ${limits.maxSequenceLength} tokens; set maxSeqLength (--max-seq-length) to ${limits.maxSequenceLength} or less`,
    );
  }
  const bad = firstOutside(batch.inputIds, limits.vocabSize);
  if (bad !== undefined) {
    throw new SbertError("INVALID_INPUT", `token id ${bad} is outside the embedding table of ${path} (size ${limits.vocabSize}); the tokenizer does not match the model (its vocabulary is larger than the model's)`);
  }
  const badType = withTypes && limits.typeVocabSize > 0 ? firstOutside(batch.tokenTypeIds, limits.typeVocabSize) : undefined;
  if (badType !== undefined) {
    throw new SbertError("INVALID_INPUT", `token type id ${badType} is outside the token type table of ${path} (size ${limits.typeVocabSize}); the tokenizer does not match the model`);
  }
}

function firstOutside(ids: Int32Array, size: number): number | undefined {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i] as number;
    if (v < 0 || v >= size) return v;
  }
  return undefined;
}

/**
 * A typed error for a failed `session.run`. ONNX Runtime's out-of-bounds Gather is the usual one:
 * an id outside an embedding table (a tokenizer that does not match the model) or a sequence
 * longer than the position table (which also shows as a broadcast error in the embeddings' Add).
 */
function runError(e: unknown, path: string, batch: EncoderBatch): SbertError {
  const raw = String((e as Error | undefined)?.message ?? e).trim();
  if (/Gather|out of data bounds|Attempting to broadcast/i.test(raw)) {
    return new SbertError(
      "INVALID_INPUT",
      `ONNX Runtime could not run ${path} on a batch of ${batch.batchSize} × ${batch.seqLen} tokens: an index is outside one of the model's tables. ` +
        `Either a token id is at least the model's vocabulary size (the tokenizer does not match the model) or the sequences are longer than its position table (lower maxSeqLength / --max-seq-length). ONNX Runtime said: ${raw}`,
      { cause: e },
    );
  }
  if (/allocate|out of memory|bad_alloc/i.test(raw)) {
    return new SbertError("INVALID_INPUT", `ONNX Runtime ran out of memory on a batch of ${batch.batchSize} × ${batch.seqLen} tokens of ${path}; lower batchSize (--batch-size) or maxSeqLength. ONNX Runtime said: ${raw}`, { cause: e });
  }
  return new SbertError("INVALID_MODEL_FILE", `ONNX Runtime failed to run ${path}: ${raw}. If the graph was exported elsewhere, re-export it with \`sbert export-onnx\`, or use backend "native"`, { cause: e });
}

function toTensor2d(t: Ort.Tensor, rows: number): Tensor {
  const data = t.data as Float32Array;
  return new Tensor(data, [rows, data.length / rows]);
}
