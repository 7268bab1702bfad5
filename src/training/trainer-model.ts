/**
 * The trainable view of a `SentenceTransformer` loaded with `{ backend: "native" }`: its named
 * parameters and a differentiable forward pass from texts to sentence embeddings, which is the
 * model's own inference forward (`SentenceTransformer.forward` → `runPipeline`), so whatever a
 * module's `forward` does reaches training; dropout is the modules' training mode.
 *
 * Parameter names are `<module folder>/<safetensors key>`, the root module's keys bare, so saving
 * and loading weights are a walk over the modules (`moduleParameters`, `loadModuleWeights`): the
 * encoder's as in its checkpoint (`encoder.layer.0.attention.self.query.weight`), a Dense module's
 * as `2_Dense/linear.weight` (key `linear.weight` of `2_Dense/model.safetensors`).
 */
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { moduleFolder, writeSentenceTransformer } from "../models/save.js";
import type { SentenceTransformer } from "../models/sentence-transformer.js";
import type { PipelineModule } from "../modules/module.js";
import { loadParamStore } from "../modules/weights.js";
import type { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
import type { TokenBatch } from "../tokenizers/text-tokenizer.js";

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

/** Every module's parameters, named `<module folder>/<key>` (the root module's keys bare), in module order. */
export function moduleParameters(modules: readonly PipelineModule[]): NamedParameter[] {
  const out: NamedParameter[] = [];
  modules.forEach((m, i) => {
    const folder = moduleFolder(i, m);
    for (const [key, tensor] of m.parameters()) out.push({ name: folder ? `${folder}/${key}` : key, tensor });
  });
  return out;
}

/**
 * Copies every module's parameter values from the model folder `dir` (as saved from these modules:
 * `<module folder>/model.safetensors`); a missing tensor or another size is INVALID_MODEL_FILE.
 */
export async function loadModuleWeights(modules: readonly PipelineModule[], dir: string): Promise<void> {
  for (const [i, m] of modules.entries()) {
    const params = m.parameters();
    if (params.size === 0) continue;
    const folder = join(dir, moduleFolder(i, m));
    const stored = (await loadParamStore(folder)).tensors;
    for (const [key, tensor] of params) copyStoredValues(tensor, stored.get(key), key, join(folder, "model.safetensors"));
  }
}

/**
 * Refuses (INVALID_OPERATION) an input module whose weights are not in memory (a Transformer on
 * ONNX Runtime, whose `parameters()` throws): training needs them.
 */
export function requireNativeEncoder(module: Pick<PipelineModule, "parameters">, what: string): void {
  try {
    module.parameters();
  } catch (e) {
    throw new SbertError("INVALID_OPERATION", `training needs the native backend: load the ${what} with { backend: "native" }`, { cause: e });
  }
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
  /** Every trainable tensor of the model, named (see the file comment). */
  readonly params: readonly NamedParameter[];

  constructor(model: SentenceTransformer) {
    this.model = model;
    requireNativeEncoder(model.inputModule, "model");
    if (model.inputModule.task !== "feature-extraction") {
      throw new SbertError("INVALID_OPERATION", "this folder holds a sequence-classification model; train bi-encoders (SentenceTransformer) here");
    }
    this.params = moduleParameters(model.modules);
  }

  /** Dropout on (training, drawing from `rng`) or off (`undefined`: inference, evaluation): the modules' training mode. */
  setDropout(rng: Rng | undefined): void {
    this.model.setTrainingMode(rng);
  }

  /**
   * Sentence embeddings (texts, dim) of one input column, recorded for backpropagation when the
   * parameters require gradients: tokenized as `encode` does (lower-casing, truncation to
   * maxSeqLength, padding to the longest text of this column), then `embedBatch`.
   */
  embed(texts: readonly string[]): Promise<Tensor> {
    return this.embedBatch(this.model.inputModule.tokenize(texts));
  }

  /** Sentence embeddings (rows, dim) of a tokenized batch: the model's forward (every module in order, as `encode` runs them). */
  async embedBatch(batch: TokenBatch): Promise<Tensor> {
    const f = await this.model.forward({ batch });
    if (!f.sentenceEmbedding) throw new SbertError("INVALID_OPERATION", "the model's modules produced no sentence embedding; is a Pooling module missing?");
    return f.sentenceEmbedding;
  }

  /** A parameter by name. */
  param(name: string): Tensor | undefined {
    return this.params.find((p) => p.name === name)?.tensor;
  }

  /**
   * Copies every parameter's values from a folder written by `saveSentenceTransformer` of this
   * model (a checkpoint's `model/`, the best model). Names and shapes must match.
   */
  async loadWeights(dir: string): Promise<void> {
    await loadModuleWeights(this.model.modules, dir);
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
