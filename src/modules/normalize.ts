import { SbertError } from "../errors.js";
import { l2Normalize } from "../tensor/ops/normalize.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ExportSpec, Features, PipelineModule } from "./module.js";

/** Normalize: scales each sentence embedding to unit length (the differentiable float64 `l2Normalize`, so it trains). */
export class Normalize implements PipelineModule {
  readonly typeName = "Normalize";

  static async load(): Promise<Normalize> {
    return new Normalize();
  }

  outputDimension(): undefined {
    return undefined;
  }

  /** Python writes no config for Normalize. */
  getConfigDict(): undefined {
    return undefined;
  }

  parameters(): ReadonlyMap<string, Tensor> {
    return new Map();
  }

  /** Writes nothing: the folder alone is the module, as in Python. */
  async save(): Promise<void> {}

  exportSpec(): ExportSpec {
    return { kind: "normalize" };
  }

  forward(features: Features): Features {
    const x = features.sentenceEmbedding;
    if (!x) throw new SbertError("INVALID_OPERATION", "Normalize needs a sentence embedding; put Pooling before it");
    return { ...features, sentenceEmbedding: l2Normalize(x) };
  }
}
