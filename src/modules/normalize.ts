import { SbertError } from "../errors.js";
import { l2Normalize } from "../tensor/ops/normalize.js";
import type { Features, PipelineModule } from "./module.js";

/** Normalize: scales each sentence embedding to unit length (the differentiable float64 `l2Normalize`, so it trains). */
export class Normalize implements PipelineModule {
  readonly typeName = "Normalize";

  static async load(): Promise<Normalize> {
    return new Normalize();
  }

  outputDimension(): undefined {
    return undefined;
  }

  forward(features: Features): Features {
    const x = features.sentenceEmbedding;
    if (!x) throw new SbertError("INVALID_OPERATION", "Normalize needs a sentence embedding; put Pooling before it");
    return { ...features, sentenceEmbedding: l2Normalize(x) };
  }
}
