import { SbertError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import type { Features, PipelineModule } from "./module.js";

/**
 * Row-wise L2 normalization, as `torch.nn.functional.normalize(x, p=2, dim=1)`:
 * x / max(‖x‖, 1e-12). (B, D) → (B, D).
 */
export function l2NormalizeRows(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += (data[r * cols + j] as number) ** 2;
    const n = Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < cols; j++) out[r * cols + j] = (data[r * cols + j] as number) / n;
  }
  return out;
}

/** Normalize: scales each sentence embedding to unit length. */
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
    const [rows, cols] = [x.dim(0), x.dim(1)];
    return { ...features, sentenceEmbedding: new Tensor(l2NormalizeRows(x.data, rows, cols), x.shape) };
  }
}
