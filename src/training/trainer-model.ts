/**
 * The trainable view of a `SentenceTransformer` loaded with `{ backend: "native" }`: its named
 * parameters and a differentiable forward pass from texts to sentence embeddings.
 *
 * Parameter names are the safetensors keys, so checkpoints and saved models are a walk:
 * the encoder's as in its checkpoint (`encoder.layer.0.attention.self.query.weight`), a Dense
 * module's as `<module index>.linear.weight` (it is saved as `<index>_Dense/model.safetensors`).
 */
import { join } from "node:path";
import type { Encoder } from "../architectures/encoder.js";
import { SbertError } from "../errors.js";
import { writeSentenceTransformer } from "../models/save.js";
import type { SentenceTransformer } from "../models/sentence-transformer.js";
import { Dense } from "../modules/dense.js";
import type { Features } from "../modules/module.js";
import { loadParamStore } from "../modules/weights.js";
import type { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import type { NamedParameter } from "../tensor/named-parameter.js";

/**
 * What the trainer loop, checkpoints and keep-best need of a model, whatever it computes: its named
 * parameters, dropout, weights from/to a folder, and in-memory snapshots. Implemented by
 * `TrainableSentenceTransformer` (bi-encoders) and `TrainableCrossEncoder` (cross-encoders).
 */
export interface TrainableModel {
  /** Every trainable tensor, named by its safetensors key. */
  readonly params: readonly NamedParameter[];
  /** Dropout on (training, drawing from `rng`) or off (`undefined`). */
  setDropout(rng: Rng | undefined): void;
  /** Copies every parameter's values from a folder written by `writeFolder`. */
  loadWeights(dir: string): Promise<void>;
  /** Writes the model as a loadable folder into the existing empty folder `dir` (not atomic). */
  writeFolder(dir: string, sourceDir: string): Promise<void>;
  /** A copy of every parameter's values (to restore with `setValues`). */
  snapshot(): Float32Array[];
  setValues(values: readonly Float32Array[]): void;
}

/** Copies a tensor read from `file` into a parameter; refuses a missing tensor or another size. */
export function copyStoredValues(tensor: Tensor, stored: Tensor | undefined, name: string, file: string): void {
  if (!stored || stored.size !== tensor.size) {
    throw new SbertError("INVALID_MODEL_FILE", `${file} has ${stored ? `${stored.size} values` : "no tensor"} for "${name}"; it was not saved from this model`);
  }
  tensor.data.set(stored.data);
}

/** A copy of every parameter's values. */
export function snapshotParams(params: readonly NamedParameter[]): Float32Array[] {
  return params.map((p) => Float32Array.from(p.tensor.data));
}

/** Restores values from `snapshotParams`. */
export function setParamValues(params: readonly NamedParameter[], values: readonly Float32Array[]): void {
  params.forEach((p, i) => p.tensor.data.set(values[i] as Float32Array));
}

export class TrainableSentenceTransformer implements TrainableModel {
  readonly model: SentenceTransformer;
  readonly encoder: Encoder;
  /** Every trainable tensor of the model, named (see the file comment). */
  readonly params: readonly NamedParameter[];

  constructor(model: SentenceTransformer) {
    this.model = model;
    let encoder: Encoder;
    try {
      encoder = model.transformer.encoder;
    } catch (e) {
      throw new SbertError("INVALID_OPERATION", 'training needs the native backend: load the model with { backend: "native" }', { cause: e });
    }
    if (model.transformer.task !== "feature-extraction") {
      throw new SbertError("INVALID_OPERATION", "this folder holds a sequence-classification model; train bi-encoders (SentenceTransformer) here");
    }
    this.encoder = encoder;
    const params: NamedParameter[] = [...encoder.params.tensors].map(([name, tensor]) => ({ name, tensor }));
    model.modules.forEach((m, i) => {
      if (!(m instanceof Dense)) return;
      params.push({ name: `${i}.linear.weight`, tensor: m.weight });
      if (m.bias) params.push({ name: `${i}.linear.bias`, tensor: m.bias });
    });
    this.params = params;
  }

  /** Dropout on (training, drawing from `rng`) or off (`undefined`: inference, evaluation). */
  setDropout(rng: Rng | undefined): void {
    this.encoder.setDropout(rng);
  }

  /**
   * Sentence embeddings (texts, dim) of one input column, recorded for backpropagation when the
   * parameters require gradients: tokenized as `encode` does (lower-casing, truncation to
   * maxSeqLength, padding to the longest text of this column), then every module in order.
   */
  async embed(texts: readonly string[]): Promise<Tensor> {
    const batch = this.model.transformer.tokenize(texts);
    let f: Features = { batch, tokenEmbeddings: this.encoder.forward(batch) };
    for (const m of this.model.modules.slice(1)) f = await m.forward(f);
    if (!f.sentenceEmbedding) throw new SbertError("INVALID_OPERATION", "the model's modules produced no sentence embedding; is a Pooling module missing?");
    return f.sentenceEmbedding;
  }

  /** A parameter by name. */
  param(name: string): Tensor | undefined {
    return this.params.find((p) => p.name === name)?.tensor;
  }

  /**
   * Copies every parameter's values from a folder written by `saveSentenceTransformer` of this
   * model (a checkpoint's `model/`, the best model): the encoder's from model.safetensors, a Dense
   * module's from `<idx>_Dense/model.safetensors`. Names and shapes must match.
   */
  async loadWeights(dir: string): Promise<void> {
    const files = new Map<string, Map<string, Tensor>>();
    for (const { name, tensor } of this.params) {
      const dense = /^(\d+)\.(linear\.(?:weight|bias))$/.exec(name);
      const [file, key] = dense ? [join(`${dense[1]}_Dense`, "model.safetensors"), dense[2] as string] : ["model.safetensors", name];
      let store = files.get(file);
      if (!store) {
        store = (await loadParamStore(dir, file)).tensors as Map<string, Tensor>;
        files.set(file, store);
      }
      copyStoredValues(tensor, store.get(key), key, join(dir, file));
    }
  }

  async writeFolder(dir: string, sourceDir: string): Promise<void> {
    await writeSentenceTransformer(this.model, dir, sourceDir);
  }

  /** A copy of every parameter's values (to restore with `setValues`). */
  snapshot(): Float32Array[] {
    return snapshotParams(this.params);
  }

  setValues(values: readonly Float32Array[]): void {
    setParamValues(this.params, values);
  }
}
