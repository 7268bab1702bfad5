import type { EncoderConfig } from "../architectures/config.js";
import type { PixelBatch } from "../architectures/encoder.js";
import type { ParamStore } from "../architectures/params.js";
import type { ActivationName } from "../tensor/ops/elementwise.js";
import type { PoolingMode } from "../tensor/ops/pooling.js";
import type { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import type { TextTokenizer, TokenBatch } from "../tokenizers/text-tokenizer.js";
import type { EncodeTask } from "./query-expansion.js";

/**
 * What flows through the module pipeline (Python's `features` dict), camelCased.
 * Shapes: tokenEmbeddings (batchSize, seqLen, hidden); sentenceEmbedding (batchSize, dim);
 * scores (batchSize, numLabels).
 */
export interface Features {
  readonly batch: TokenBatch;
  tokenEmbeddings?: Tensor;
  sentenceEmbedding?: Tensor;
  scores?: Tensor;
  /** Tokens at the start of every row that belong to the prompt (for `include_prompt: false`). */
  promptLength?: number;
  /**
   * What the texts are encoded as (Python's `task` forward kwarg): a multi-vector model's `query` /
   * `document`, or the route a Router takes (`query`, `document`, ...); undefined = its default route.
   */
  task?: string;
  /** (batchSize × seqLen) 1 where query expansion put its token (Transformer.tokenizeTask). */
  queryExpansionPositions?: Uint8Array;
  /**
   * (batchSize × seqLen) 1 for the token embeddings that are scored (MultiVectorMask; Python
   * overwrites `attention_mask` with it, we keep the encoder's mask in `batch`).
   */
  scoringMask?: Uint8Array;
  // --- clipmodel ---
  /** Images instead of texts (then `batch` holds no tokens): a vision tower reads these. */
  pixels?: PixelBatch;
}

/** The Pooling settings a graph needs (modules/pooling.ts parses them). */
export interface PoolingSpec {
  embeddingDimension: number;
  /** Modes in concatenation order. */
  modes: PoolingMode[];
  includePrompt: boolean;
}

/**
 * What a module is, as plain data, for an engine that lowers the pipeline to another form (the
 * ONNX exporter of src/onnx/ turns each kind into graph nodes). Modules report it; they never
 * build a graph themselves, so modules/ knows nothing of ONNX.
 */
export type ExportSpec =
  | { kind: "encoder"; config: EncoderConfig; params: ParamStore; task: "feature-extraction" | "sequence-classification" | "fill-mask" }
  | { kind: "pooling"; config: PoolingSpec }
  | { kind: "dense"; weight: Tensor; bias: Tensor | undefined; activation: ActivationName; tokenLevel: boolean }
  | { kind: "normalize"; tokenLevel?: true }
  /** MultiVectorMask: runs outside the graph, on the ids and masks the caller already has. */
  | { kind: "scoring-mask" }
  | { kind: "splade"; strategy: "max" | "sum"; activation: "relu" | "log1p_relu" };

/** How a module saves files it does not hold in memory (config.json, tokenizer files). */
export interface ModuleSaveOptions {
  /** Copy them from this folder instead of the one the module was loaded from. */
  sourceDir?: string;
}

/**
 * A pipeline module, as in sentence-transformers, owning its whole life: a static `load(dir)`
 * (registered in `registry.ts`), `forward(features) → features`, `save(dir)`, the config dict it
 * saves and its named parameters. Shared code (saving, training, checkpoints, the server) loops
 * over modules and asks these members; it never tests a module's class.
 *
 * @example
 * for (const [i, m] of modules.entries()) await m.save(join(out, i === 0 ? "" : `${i}_${m.typeName}`));
 */
export interface PipelineModule {
  /** The Python class name (`Transformer`, `Pooling`, `Dense`, `Normalize`). */
  readonly typeName: string;
  /**
   * Sync for pure tensor modules; the Transformer may await a runtime (ONNX Runtime is async).
   * Inference and training run this same method (through `runPipeline`): on tensors that require
   * gradients it records the autograd graph, in training mode it applies dropout.
   */
  forward(features: Features): Features | Promise<Features>;
  /**
   * Training mode (torch's `module.train()`): dropout on, drawing from `rng`; `undefined` is
   * inference mode (`module.eval()`, the default). Absent on modules without dropout.
   */
  setTrainingMode?(rng: Rng | undefined): void;
  /** Size of the sentence embedding this module outputs, or undefined when it does not change it. */
  outputDimension(): number | undefined;
  /**
   * The config dict `save` writes, snake_case keys as Python writes them (`config.json` of the
   * module folder; `sentence_bert_config.json` for the Transformer), or undefined for none.
   */
  getConfigDict(): Record<string, unknown> | undefined;
  /**
   * Trainable tensors by the safetensors key `save` writes them under in the module folder's
   * `model.safetensors` (`linear.weight`, `encoder.layer.0.attention.self.query.weight`, ...);
   * empty for modules without weights. INVALID_OPERATION when the weights are not in memory
   * (a Transformer running on ONNX Runtime).
   */
  parameters(): ReadonlyMap<string, Tensor>;
  /** Writes the module's files (config, weights, ...) into the existing folder `dir`. */
  save(dir: string, opts?: ModuleSaveOptions): Promise<void>;
  /**
   * Called once the whole pipeline is loaded, with its first module, the one that tokenizes
   * (Python's `on_model_ready`): MultiVectorMask resolves its skiplist words with the tokenizer here.
   */
  onModelReady?(input: { readonly tokenizer: TextTokenizer }): void;
  /** True when prompt tokens are left out of the output (Pooling with `include_prompt: false`). */
  readonly excludesPrompt?: boolean;
  /** The pooling this module applies, as TEI names it (`mean`, `cls+mean`); only on pooling modules. */
  readonly poolingName?: string;
  /**
   * The module as plain data for the ONNX exporter (`exportOnnx`, `--with-pooling`); absent on
   * modules that cannot be exported. UNSUPPORTED_FORMAT / INVALID_OPERATION when this instance
   * cannot be (a Dense from token to sentence embeddings; a Transformer not on the native backend).
   */
  exportSpec?(): ExportSpec;
  /**
   * The modules a batch of `task` runs through inside this one (a Router: its route; undefined =
   * the default route); INVALID_INPUT for a task it has no route for. Absent on other modules.
   */
  route?(task?: string): readonly PipelineModule[];
  /** The route names `route` accepts (a Router's); absent on other modules. */
  readonly routeNames?: readonly string[];
}
