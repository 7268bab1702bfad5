import type { Encoder, EncoderBatch } from "../architectures/encoder.js";
import type { BackendOutputs, InferenceBackend } from "./backend.js";

/** Runs our own tensor code (src/architectures): exact, differentiable, no native dependency. */
export class NativeBackend implements InferenceBackend {
  readonly name = "native";
  readonly encoder: Encoder;
  readonly producesLogits: boolean;
  /** Our kernels run on the calling thread. */
  readonly threads = 1;

  readonly producesMlmLogits: boolean;

  /** `classify`: the classifier's logits; `mlm`: the masked-LM head's vocabulary logits; else hidden states. */
  constructor(encoder: Encoder, classify: boolean, mlm = false) {
    this.encoder = encoder;
    this.producesLogits = classify;
    this.producesMlmLogits = mlm;
  }

  async run(batch: EncoderBatch): Promise<BackendOutputs> {
    const hidden = this.encoder.forward(batch);
    if (this.producesMlmLogits) return { mlmLogits: this.encoder.mlmLogits(hidden, batch) };
    return this.producesLogits ? { logits: this.encoder.classify(hidden, batch) } : { tokenEmbeddings: hidden };
  }

  async dispose(): Promise<void> {}
}
