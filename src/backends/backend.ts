import type { EncoderBatch } from "../architectures/encoder.js";
import type { Tensor } from "../tensor/tensor.js";

/** The compute engines a Transformer module can run on. */
export type BackendName = "native" | "onnx";

/** What one forward pass returns; which fields are set depends on the model and the engine. */
export interface BackendOutputs {
  /** Last hidden state, (batchSize · seqLen, hidden). */
  tokenEmbeddings?: Tensor;
  /** Sequence-classification logits, (batchSize, numLabels). */
  logits?: Tensor;
  /** Masked-LM head logits (fill-mask models, SPLADE), (batchSize, seqLen, vocab). */
  mlmLogits?: Tensor;
  /** Present only when the engine's graph already pools, (batchSize, dim). */
  sentenceEmbedding?: Tensor;
}

/**
 * A compute engine for the transformer: a tokenized batch in, hidden states or logits out.
 * Implementations: `native` (our tensor code, differentiable) and `onnx` (ONNX Runtime). Every
 * implementation passes the same conformance suite (test/backends.conformance.test.ts).
 */
export interface InferenceBackend {
  readonly name: BackendName;
  /** True when `run` returns logits (a sequence-classification model). */
  readonly producesLogits: boolean;
  /** True when `run` returns `mlmLogits` (a fill-mask model). */
  readonly producesMlmLogits?: boolean;
  /** True when the graph already pools (`sentenceEmbedding`: exported with `--with-pooling`). */
  readonly poolsInGraph?: boolean;
  /** How many cores `run` keeps busy (so callers know whether one is left for other work). */
  readonly threads: number;
  run(batch: EncoderBatch): Promise<BackendOutputs>;
  /** Frees runtime resources (sessions); the backend is unusable afterwards. */
  dispose(): Promise<void>;
}

/** How to pick and configure the engine when loading a model. */
export interface BackendOptions {
  /** `auto` (default) = the fastest available: onnx when ONNX Runtime loads, else native. */
  backend?: BackendName | "auto";
  /** Intra-op threads for ONNX Runtime (default: ONNX Runtime's choice). */
  threads?: number;
  /** ONNX file inside the model folder's `onnx/` directory, e.g. `model_qint8_avx512_vnni.onnx`. */
  onnxFile?: string;
  /**
   * Where graphs exported on first load are cached (a folder), or `false` for no cache (export to a
   * temp folder, deleted once loaded). Default: `$SBERT_ONNX_CACHE` (a folder, or `0` / `off`),
   * else `~/.cache/sbert-ts/onnx` (`$XDG_CACHE_HOME/sbert-ts/onnx`). Overrides the variable.
   */
  onnxCache?: string | false;
}

/** Just the backend fields of a larger options object (so unrelated options are not passed down). */
export function backendOptions(opts: BackendOptions): BackendOptions {
  const out: BackendOptions = {};
  if (opts.backend !== undefined) out.backend = opts.backend;
  if (opts.threads !== undefined) out.threads = opts.threads;
  if (opts.onnxFile !== undefined) out.onnxFile = opts.onnxFile;
  if (opts.onnxCache !== undefined) out.onnxCache = opts.onnxCache;
  return out;
}
