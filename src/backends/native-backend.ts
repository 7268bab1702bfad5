import type { Encoder, EncoderBatch } from "../architectures/encoder.js";
import type { BackendOutputs, InferenceBackend } from "./backend.js";

/** Runs our own tensor code (src/architectures): exact, differentiable, no native dependency. */
export class NativeBackend implements InferenceBackend {
  readonly name = "native";
  readonly encoder: Encoder;
  readonly producesLogits: boolean;
  /** Our kernels run on the calling thread. */
  readonly threads = 1;

  constructor(encoder: Encoder, classify: boolean) {
    this.encoder = encoder;
    this.producesLogits = classify;
  }

  async run(batch: EncoderBatch): Promise<BackendOutputs> {
    const hidden = this.encoder.forward(batch);
    return this.producesLogits ? { logits: this.encoder.classify(hidden, batch) } : { tokenEmbeddings: hidden };
  }

  async dispose(): Promise<void> {}
}
