import { dropout } from "../tensor/ops/dropout.js";
import type { Rng } from "../tensor/random.js";
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
  // --- clipmodel ---
  /** The images of a vision tower's batch (its rows are then the image tokens, none padded). */
  pixels?: PixelBatch;
}

/**
 * A batch of preprocessed images, channels first: `pixelValues` (batch, channels, height, width)
 * row-major float32, as a Hugging Face image processor's `pixel_values`.
 */
export interface PixelBatch {
  pixelValues: Float32Array;
  batch: number;
  channels: number;
  height: number;
  width: number;
}

/**
 * A transformer encoder with its weights: an architecture definition run by the eager engine (`EagerEncoder`).
 */
export interface Encoder {
  readonly config: EncoderConfig;
  /** Every weight of the checkpoint by its safetensors name (training walks it; saving writes it). */
  readonly params: ParamStore;
  /**
   * Most tokens one sequence may hold (special tokens included): the position table's rows less
   * the rows before position 0 (padding_idx + 1 for RoBERTa, XLM-R and MPNet). `forward` refuses
   * a longer batch with INVALID_INPUT.
   */
  readonly maxSequenceLength: number;
  /** Last hidden state, (batchSize, seqLen, hiddenSize). */
  forward(batch: EncoderBatch): Tensor;
  /** True when the checkpoint carries a sequence-classification head. */
  readonly hasClassifier: boolean;
  /** Logits of the sequence-classification head, (batchSize, numLabels), from `forward`'s output. */
  classify(hidden: Tensor, batch: EncoderBatch): Tensor;
  /** True when the checkpoint carries a masked-LM head (`…ForMaskedLM`). */
  readonly hasMlmHead: boolean;
  /**
   * Vocabulary logits of the masked-LM head (architectures/mlm-head.ts) from `forward`'s output:
   * (batchSize, seqLen, hidden) → (batchSize, seqLen, vocab). INVALID_MODEL_FILE without a head.
   */
  mlmLogits(hidden: Tensor, batch: EncoderBatch): Tensor;
  /**
   * Training mode (`model.train()`): dropout as config.json sets it, drawing from `rng`; `undefined`
   * (the default) is inference mode, where `forward` is exactly the dropout-free computation.
   */
  setDropout(rng: Rng | undefined): void;
}

/**
 * The dropout state an encoder keeps: `hidden` / `attention` apply the config's probabilities
 * while a generator is set and return their input unchanged otherwise.
 */
export class DropoutState {
  rng: Rng | undefined = undefined;
  private readonly hiddenP: number;
  private readonly attentionP: number;

  constructor(config: Pick<EncoderConfig, "hiddenDropoutProb" | "attentionDropoutProb">) {
    this.hiddenP = config.hiddenDropoutProb;
    this.attentionP = config.attentionDropoutProb;
  }

  /** Dropout on hidden states (after embeddings, attention output, feed-forward output). */
  hidden(x: Tensor): Tensor {
    return this.rng && this.hiddenP > 0 ? dropout(x, this.hiddenP, this.rng) : x;
  }

  /** The `dropout` field of the attention op's options, or nothing in inference. */
  attention(): { dropout?: { p: number; rng: Rng } } {
    return this.rng && this.attentionP > 0 ? { dropout: { p: this.attentionP, rng: this.rng } } : {};
  }
}
