import type { Tensor } from "../tensor/tensor.js";
import type { EncoderConfig } from "./config.js";
import type { ParamStore } from "./params.js";

/** A tokenized, padded batch, row-major (batchSize × seqLen). */
export interface EncoderBatch {
  batchSize: number;
  seqLen: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
}

/**
 * A transformer encoder with its weights: one implementation per architecture file.
 */
export interface Encoder {
  readonly config: EncoderConfig;
  /** Every weight of the checkpoint by its safetensors name (training walks it; saving writes it). */
  readonly params: ParamStore;
  /** Last hidden state, (batchSize · seqLen, hiddenSize). */
  forward(batch: EncoderBatch): Tensor;
  /** True when the checkpoint carries a sequence-classification head. */
  readonly hasClassifier: boolean;
  /** Logits of the sequence-classification head, (batchSize, numLabels), from `forward`'s output. */
  classify(hidden: Tensor, batch: EncoderBatch): Tensor;
}
