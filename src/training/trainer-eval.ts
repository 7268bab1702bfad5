/**
 * The parts of a training step and an evaluation that do not depend on the loop: the loss of a
 * batch, the evaluation (eval loss and an evaluator's metrics, without recording any graph) and
 * writing the best model.
 */
import { join } from "node:path";
import type { Evaluator } from "../evaluation/evaluator.js";
import { type EmbeddingLoss, labelTensor } from "../losses/loss.js";
import { writeFolderAtomically } from "../models/save-atomic.js";
import { noGrad } from "../tensor/autograd.js";
import type { Tensor } from "../tensor/tensor.js";
import { type TrainingDataset, columnTexts } from "./data.js";
import { epochBatches } from "./data-sampler.js";
import type { TrainableModel, TrainableSentenceTransformer } from "./trainer-model.js";

/** The loss of rows `indices`: one embedding matrix per input column, labels when the set has them. */
export async function batchLoss(model: TrainableSentenceTransformer, loss: EmbeddingLoss, ds: TrainingDataset, indices: readonly number[]): Promise<Tensor> {
  const embeddings: Tensor[] = [];
  for (let c = 0; c < ds.inputColumns.length; c++) embeddings.push(await model.embed(columnTexts(ds, c, indices)));
  const labels = ds.labels ? labelTensor(indices.map((i) => ds.labels?.[i]) as number[] | number[][]) : undefined;
  return loss.computeLossFromEmbeddings(embeddings, labels);
}

export interface EvaluationResult {
  /** `eval_loss` and `eval_<evaluator metric>` values. */
  metrics: Record<string, number>;
  /** The key that ranks evaluations, and its value. */
  primaryMetric: string;
  value: number;
  greaterIsBetter: boolean;
}

/**
 * Evaluates without dropout and without recording a graph: `eval_loss` over `evalDataset` (mean
 * over rows, in file order, batches of `batchSize`) and the evaluator's metrics prefixed `eval_`.
 * The primary metric is the evaluator's, else the eval loss (lower is better).
 */
export async function evaluateModel<M>(
  parts: { batchLoss: (ds: TrainingDataset, indices: readonly number[]) => Promise<Tensor>; evalDataset?: TrainingDataset; evaluator?: Evaluator<M> },
  target: M,
  batchSize: number,
): Promise<EvaluationResult> {
  const metrics: Record<string, number> = {};
  const { evalDataset, evaluator } = parts;
  if (evalDataset) {
    metrics["eval_loss"] = await noGrad(async () => {
      let sum = 0;
      for (const idx of epochBatches(evalDataset, { batchSize, shuffle: false, seed: 0, epoch: 0, sampler: "batch_sampler" })) {
        sum += ((await parts.batchLoss(evalDataset, idx)).data[0] as number) * idx.length;
      }
      return sum / evalDataset.length;
    });
  }
  if (evaluator) {
    const m = await noGrad(() => evaluator.evaluate(target));
    for (const [k, v] of Object.entries(m)) metrics[`eval_${k}`] = v;
    const key = `eval_${evaluator.primaryMetric}`;
    return { metrics, primaryMetric: key, value: metrics[key] ?? NaN, greaterIsBetter: evaluator.greaterIsBetter };
  }
  return { metrics, primaryMetric: "eval_loss", value: metrics["eval_loss"] ?? NaN, greaterIsBetter: false };
}

/** Writes the model to `<root>/best` atomically (a loadable model folder). */
export async function saveBest(root: string, model: TrainableModel, sourceDir: string): Promise<void> {
  await writeFolderAtomically(join(root, "best"), (tmp) => model.writeFolder(tmp, sourceDir), { overwrite: true });
}
