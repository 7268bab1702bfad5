/**
 * `CrossEncoderTrainer`: fine-tunes a `CrossEncoder` (a Transformer with a sequence-classification
 * head) on (text_a, text_b, label) rows with the shared training loop (`Trainer`): AdamW, schedules,
 * clipping, dropout, evaluation with keep-best, atomic checkpoints and exact resume.
 *
 * One step: tokenize the batch's pairs as `CrossEncoder.predict` does, run the model's forward
 * (the same `runPipeline` as `predict`: encoder and head) to logits (batch, numLabels), apply BinaryCrossEntropyLoss (1 label: labels 0/1 or scores in
 * [0, 1]) or CrossEntropyLoss (several labels: class ids 0..numLabels-1), back-propagate, update.
 * Every weight of the encoder, classifier included, is trained; the checkpoints and the best model
 * are cross-encoder folders (`writeCrossEncoder`).
 *
 * @example
 * const ce = await CrossEncoder.load(dir, { backend: "native" });
 * const trainer = new CrossEncoderTrainer({ model: ce, sourceDir: dir,
 *   trainDataset: datasetFromRecords([{ query: "q", doc: "d", label: 1 }]), args: { lr: 2e-5 } });
 * await trainer.train();
 * await saveCrossEncoder(ce, "out", { sourceDir: dir });
 */
import { SbertError } from "../errors.js";
import type { Evaluator, PairScorer } from "../evaluation/evaluator.js";
import { type LogitsLoss, labelTensor } from "../losses/loss.js";
import { createLogitsLoss } from "../losses/registry.js";
import type { CrossEncoder } from "../models/cross-encoder.js";
import { folderModelKind } from "../modules/folder-kind.js";
import { writeCrossEncoder } from "../models/save-cross-encoder.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import type { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { type TrainingDataset, checkDataset, columnTexts, rowError } from "./data.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
import { BASE_TRAINER_KEY_RECORD, type BaseTrainerOptions, Trainer, type TrainingTask } from "./trainer.js";
import { evaluateModel } from "./trainer-eval.js";
import { type TrainableModel, loadModuleWeights, moduleParameters, requireNativeEncoder, setParamValues, snapshotParams } from "./trainer-model.js";

/**
 * The trainable view of a `CrossEncoder` loaded with `{ backend: "native" }`; its forward is the
 * model's own inference forward (`CrossEncoder.forward` → `runPipeline`).
 */
export class TrainableCrossEncoder implements TrainableModel {
  readonly model: CrossEncoder;
  /** Every encoder weight by its safetensors key (`bert.…`, `classifier.…`). */
  readonly params: readonly NamedParameter[];

  constructor(model: CrossEncoder) {
    this.model = model;
    requireNativeEncoder(model.transformer, "cross-encoder");
    this.params = moduleParameters(model.modules);
  }

  setDropout(rng: Rng | undefined): void {
    this.model.setTrainingMode(rng);
  }

  /**
   * Logits (pairs, numLabels) of the pairs in the given order, recorded for backpropagation when
   * the parameters require gradients; tokenized as `predict` does (lower-casing, longest-first
   * truncation to maxSeqLength, padding to the longest pair), then the model's forward.
   */
  async logits(pairs: readonly (readonly [string, string])[]): Promise<Tensor> {
    const { scores } = await this.model.forward({ batch: this.model.transformer.tokenize(pairs) });
    if (!scores) throw new SbertError("INVALID_OPERATION", "the Transformer produced no scores");
    return scores;
  }

  /** Copies every weight from the model.safetensors of a folder written by `writeFolder`. */
  async loadWeights(dir: string): Promise<void> {
    await loadModuleWeights(this.model.modules, dir);
  }

  async writeFolder(dir: string, sourceDir: string): Promise<void> {
    await writeCrossEncoder(this.model, dir, sourceDir);
  }

  snapshot(): Float32Array[] {
    return snapshotParams(this.params);
  }

  setValues(values: readonly Float32Array[]): void {
    setParamValues(this.params, values);
  }
}

export interface CrossEncoderTrainerOptions extends BaseTrainerOptions {
  /** A cross-encoder loaded with `{ backend: "native" }`; trained in place. */
  model: CrossEncoder;
  /** Default: BinaryCrossEntropyLoss for one label, CrossEntropyLoss for several. */
  loss?: LogitsLoss;
  /** E.g. a CrossEncoderClassificationEvaluator; its primary metric picks the best model. */
  evaluator?: Evaluator<PairScorer>;
}

/** Whether a model folder holds a cross-encoder (the rule of `folderModelKind`). */
export async function isCrossEncoderFolder(dir: string): Promise<boolean> {
  return (await folderModelKind(dir))?.kind === "cross-encoder";
}

/** The loss Python's CrossEncoderTrainer defaults to for a model with `numLabels` labels. */
export function defaultCrossEncoderLoss(numLabels: number): LogitsLoss {
  return createLogitsLoss(numLabels === 1 ? "BinaryCrossEntropyLoss" : "CrossEntropyLoss");
}

/**
 * Checks a dataset for a cross-encoder loss: two text columns (the pair) and a label on every row,
 * in [0, 1] for BinaryCrossEntropyLoss and a class id 0..numLabels-1 for CrossEntropyLoss.
 */
export function checkCrossEncoderDataset(ds: TrainingDataset, loss: LogitsLoss, numLabels: number): void {
  if (loss.name === "CrossEntropyLoss") {
    checkDataset(ds, { minColumns: 2, maxColumns: 2, label: "class", numClasses: numLabels }, loss.name);
    return;
  }
  checkDataset(ds, { minColumns: 2, maxColumns: 2, label: "score" }, loss.name);
  ds.labels?.forEach((y, i) => {
    if (typeof y === "number" && !(y >= 0 && y <= 1)) throw rowError(ds.source, ds.lineNumbers[i] ?? i + 1, `label ${y} must be 0, 1 or a score in [0, 1] for ${loss.name}`);
  });
}

/** Fine-tunes a `CrossEncoder` (see the file comment). */
export class CrossEncoderTrainer extends Trainer<TrainableCrossEncoder> {
  constructor(opts: CrossEncoderTrainerOptions) {
    super(crossEncoderTask(opts), opts);
  }
}

const TRAINER_KEYS = optionKeys<CrossEncoderTrainerOptions>({ ...BASE_TRAINER_KEY_RECORD, model: true, loss: true, evaluator: true });

function crossEncoderTask(opts: CrossEncoderTrainerOptions): TrainingTask<TrainableCrossEncoder> {
  checkOptions(opts, TRAINER_KEYS, "CrossEncoderTrainer");
  const model = new TrainableCrossEncoder(opts.model);
  const numLabels = opts.model.numLabels;
  const loss = opts.loss ?? defaultCrossEncoderLoss(numLabels);
  if (loss.name === "BinaryCrossEntropyLoss" && numLabels !== 1) {
    throw new SbertError("INVALID_INPUT", `BinaryCrossEntropyLoss needs a cross-encoder with 1 label; this one has ${numLabels} (use CrossEntropyLoss)`);
  }
  if (loss.name === "CrossEntropyLoss" && numLabels < 2) {
    throw new SbertError("INVALID_INPUT", "CrossEntropyLoss needs a cross-encoder with 2 or more labels; this one has 1 (use BinaryCrossEntropyLoss)");
  }
  const { evaluator } = opts;
  const lossOf = async (ds: TrainingDataset, indices: readonly number[]): Promise<Tensor> => {
    const a = columnTexts(ds, 0, indices);
    const b = columnTexts(ds, 1, indices);
    const logits = await model.logits(a.map((t, i) => [t, b[i] as string] as const));
    const labels = labelTensor(indices.map((i) => ds.labels?.[i]) as number[]);
    return loss.computeLossFromLogits(logits, labels);
  };
  return {
    model,
    loss,
    lossParams: [],
    hasEvaluator: evaluator !== undefined,
    checkDataset: (ds) => checkCrossEncoderDataset(ds, loss, numLabels),
    batchLoss: lossOf,
    evaluate: (evalDataset, batchSize) => evaluateModel({ batchLoss: lossOf, ...(evalDataset ? { evalDataset } : {}), ...(evaluator ? { evaluator } : {}) }, opts.model as PairScorer, batchSize),
  };
}
