import type { Tensor } from "./tensor.js";

/** A trainable tensor and its name — the safetensors key it is saved under. */
export interface NamedParameter {
  readonly name: string;
  readonly tensor: Tensor;
}
