/**
 * Batch samplers: which rows form each batch of an epoch. Deterministic from (seed, epoch), so a
 * resumed run rebuilds the epoch's order and continues at its batch index — no sampler state to save.
 *
 * @example
 * epochBatches(ds, { batchSize: 16, shuffle: true, seed: 42, epoch: 0, sampler: "no_duplicates" }); // [[12, 3, ...], ...]
 */
import { SbertError } from "../errors.js";
import { Rng } from "../tensor/random.js";
import type { TrainingDataset } from "./data.js";

/**
 * `batch_sampler`: consecutive rows of the (shuffled) order. `no_duplicates`: as Python's
 * `NoDuplicatesBatchSampler`, a batch never holds the same text twice (in any input column), so an
 * in-batch-negatives loss (MultipleNegativesRankingLoss) never sees a false negative that equals a positive.
 */
export type BatchSamplerName = "batch_sampler" | "no_duplicates";
export const BATCH_SAMPLERS: readonly BatchSamplerName[] = ["batch_sampler", "no_duplicates"];

export interface EpochOptions {
  batchSize: number;
  /** Shuffle the rows each epoch (default order otherwise). */
  shuffle: boolean;
  seed: number;
  epoch: number;
  sampler: BatchSamplerName;
  /** Drop a last batch smaller than batchSize (default false, as Hugging Face's dataloader_drop_last). */
  dropLast?: boolean;
}

/** The row order of an epoch: 0..n-1, or a permutation drawn from (seed, epoch). */
export function epochOrder(n: number, shuffle: boolean, seed: number, epoch: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  if (!shuffle) return order;
  // one generator per epoch, seeded from both numbers (splitmix in Rng spreads nearby seeds apart)
  return new Rng((Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0).shuffle(order);
}

/** The batches (row indices) of one epoch. */
export function epochBatches(ds: TrainingDataset, opts: EpochOptions): number[][] {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new SbertError("INVALID_INPUT", `batch size must be a positive integer, got ${opts.batchSize}`);
  const order = epochOrder(ds.length, opts.shuffle, opts.seed, opts.epoch);
  const batches = opts.sampler === "no_duplicates" ? noDuplicateBatches(ds, order, opts.batchSize) : chunk(order, opts.batchSize);
  const last = batches.at(-1);
  if (opts.dropLast && last && last.length < opts.batchSize) batches.pop();
  return batches;
}

function chunk(order: readonly number[], size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += size) out.push(order.slice(i, i + size));
  return out;
}

/**
 * Python's NoDuplicatesBatchSampler: walk the remaining rows in order and take each whose texts
 * are not yet in the batch until it is full; skipped rows stay for later batches. Labels are not
 * compared (two pairs may share a label). Every row lands in exactly one batch.
 */
function noDuplicateBatches(ds: TrainingDataset, order: readonly number[], size: number): number[][] {
  const remaining = new Set(order);
  const batches: number[][] = [];
  while (remaining.size > 0) {
    const batch: number[] = [];
    const seen = new Set<string>();
    for (const i of remaining) {
      const texts = ds.columns.map((col) => col[i] as string);
      if (texts.some((t) => seen.has(t))) continue;
      batch.push(i);
      for (const t of texts) seen.add(t);
      if (batch.length === size) break;
    }
    for (const i of batch) remaining.delete(i);
    batches.push(batch);
  }
  return batches;
}
