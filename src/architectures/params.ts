import { SbertError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";

/**
 * Named parameters, keyed exactly as in the safetensors file
 * (`encoder.layer.0.attention.self.query.weight`), so loading and saving are a walk over the map.
 * `prefix` reads a checkpoint whose keys carry the base-model prefix (`bert.`, `roberta.`, ...).
 */
export class ParamStore {
  readonly tensors: ReadonlyMap<string, Tensor>;
  readonly source: string;
  readonly prefix: string;

  constructor(tensors: ReadonlyMap<string, Tensor>, source: string, prefix = "") {
    this.tensors = tensors;
    this.source = source;
    this.prefix = prefix;
  }

  has(name: string): boolean {
    return this.tensors.has(this.prefix + name);
  }

  /** The tensor named `name`; with `shape`, also checks it (a lying checkpoint is an error, not a crash). */
  get(name: string, shape?: readonly number[]): Tensor {
    const full = this.prefix + name;
    const t = this.tensors.get(full);
    if (!t) {
      throw new SbertError("INVALID_MODEL_FILE", `${this.source} has no tensor "${full}"; the weights do not match config.json`);
    }
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw new SbertError(
        "CONFIG_MISMATCH",
        `${this.source}: tensor "${full}" has shape [${t.shape.join(", ")}], config.json implies [${shape.join(", ")}]`,
      );
    }
    return t;
  }

  /** A view whose names are relative to `prefix` (e.g. the base model inside a classifier checkpoint). */
  withPrefix(prefix: string): ParamStore {
    return new ParamStore(this.tensors, this.source, this.prefix + prefix);
  }
}
