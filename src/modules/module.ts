import type { Tensor } from "../tensor/tensor.js";
import type { TokenBatch } from "../tokenizers/text-tokenizer.js";

/**
 * What flows through the module pipeline (Python's `features` dict), camelCased.
 * Shapes: tokenEmbeddings (batchSize · seqLen, hidden); sentenceEmbedding (batchSize, dim);
 * scores (batchSize, numLabels).
 */
export interface Features {
  readonly batch: TokenBatch;
  tokenEmbeddings?: Tensor;
  sentenceEmbedding?: Tensor;
  scores?: Tensor;
  /** Tokens at the start of every row that belong to the prompt (for `include_prompt: false`). */
  promptLength?: number;
}

/**
 * A pipeline module, as in sentence-transformers: `forward(features) → features`, loaded from its
 * folder by a static `load(dir)` registered in `registry.ts`. Modules declare what shared code
 * needs instead of being inspected by class.
 */
export interface PipelineModule {
  /** The Python class name (`Transformer`, `Pooling`, `Dense`, `Normalize`). */
  readonly typeName: string;
  /** Sync for pure tensor modules; the Transformer may await a runtime (ONNX Runtime is async). */
  forward(features: Features): Features | Promise<Features>;
  /** Size of the sentence embedding this module outputs, or undefined when it does not change it. */
  outputDimension(): number | undefined;
}
