/**
 * Training arguments (camelCase, Python's `SentenceTransformerTrainingArguments` where they
 * overlap), their defaults and checks, and the fingerprint a resumed run must match.
 */
import { createHash } from "node:crypto";
import { SbertError } from "../errors.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import type { TrainingDataset } from "./data.js";
import type { BatchSamplerName } from "./data-sampler.js";
import type { ScheduleName } from "./schedules.js";

export interface TrainingArguments {
  /** Rows per optimizer step (default 16, the SBERT recipe). */
  batchSize?: number;
  /** Peak learning rate (default 2e-5). */
  lr?: number;
  /** Passes over the training set (default 1); ignored when `maxSteps` is set. */
  epochs?: number;
  /** Stop after this many optimizer steps (cycling through epochs as needed). */
  maxSteps?: number;
  /** Fraction of the steps spent warming the rate up from 0 (default 0.1); `constant` ignores it. */
  warmupRatio?: number;
  /** Decoupled AdamW weight decay (default 0.01), left off biases and LayerNorm weights unless `decayAll`. */
  weightDecay?: number;
  /** Decay every parameter, as `torch.optim.AdamW(model.parameters())` does. */
  decayAll?: boolean;
  /** Learning-rate schedule (default linear warmup + linear decay). */
  scheduler?: ScheduleName;
  /** Clip the global gradient L2 norm to this (default 1); 0 turns clipping off. */
  maxGradNorm?: number;
  /** Seeds shuffling and dropout (default 42). */
  seed?: number;
  /** Shuffle the rows every epoch (default true). */
  shuffle?: boolean;
  /** Default: `no_duplicates` for MultipleNegativesRankingLoss (in-batch negatives), else `batch_sampler`. */
  batchSampler?: BatchSamplerName;
  /** AdamW betas and eps (default (0.9, 0.999), 1e-8). */
  betas?: readonly [number, number];
  eps?: number;
  /** Evaluate every N steps (and after the last step) when an evaluator or eval set is given. */
  evalSteps?: number;
  /** Write a checkpoint every N steps into `checkpointDir`. */
  checkpointSteps?: number;
  checkpointDir?: string;
  /** Checkpoints kept (default 2, the newest). */
  saveTotalLimit?: number;
  /** End with the weights of the best evaluation (by the evaluator's primary metric, else eval loss). */
  keepBest?: boolean;
  /** Dropout while training as config.json sets it (default true); false trains without it. */
  dropout?: boolean;
  /**
   * Threads of the native kernels during `train()` (1–64; default: as set before, i.e.
   * SBERT_GEMM_THREADS or 1). The numbers do not depend on it, so it is not part of the resume
   * fingerprint; without the native addon it has no effect.
   */
  threads?: number;
}

const ARG_KEYS = optionKeys<TrainingArguments>({
  batchSize: true,
  lr: true,
  epochs: true,
  maxSteps: true,
  warmupRatio: true,
  weightDecay: true,
  decayAll: true,
  scheduler: true,
  maxGradNorm: true,
  seed: true,
  shuffle: true,
  batchSampler: true,
  betas: true,
  eps: true,
  evalSteps: true,
  checkpointSteps: true,
  checkpointDir: true,
  saveTotalLimit: true,
  keepBest: true,
  dropout: true,
  threads: true,
});

/** What the arguments and the fingerprint need of a loss (an `EmbeddingLoss` or a `LogitsLoss`). */
export interface LossIdentity {
  readonly name: string;
  configDict(): Record<string, unknown>;
}

/** Every argument with its default filled in. */
export type ResolvedArguments = Required<Omit<TrainingArguments, "maxSteps" | "evalSteps" | "checkpointSteps" | "checkpointDir" | "threads">> &
  Pick<TrainingArguments, "maxSteps" | "evalSteps" | "checkpointSteps" | "checkpointDir" | "threads">;

/** Losses whose other rows act as negatives, which duplicates in a batch would corrupt. */
const IN_BATCH_NEGATIVE_LOSSES = new Set(["MultipleNegativesRankingLoss"]);

/** Every argument with its default; unknown keys and out-of-range values are INVALID_INPUT. */
export function resolveArguments(args: TrainingArguments, loss: LossIdentity): ResolvedArguments {
  checkOptions(args, ARG_KEYS, "training arguments");
  const inner = (loss.configDict()["loss"] as string | undefined) ?? loss.name;
  const r: ResolvedArguments = {
    batchSize: args.batchSize ?? 16,
    lr: args.lr ?? 2e-5,
    epochs: args.epochs ?? 1,
    warmupRatio: args.warmupRatio ?? 0.1,
    weightDecay: args.weightDecay ?? 0.01,
    decayAll: args.decayAll ?? false,
    scheduler: args.scheduler ?? "linear",
    maxGradNorm: args.maxGradNorm ?? 1,
    seed: args.seed ?? 42,
    shuffle: args.shuffle ?? true,
    batchSampler: args.batchSampler ?? (IN_BATCH_NEGATIVE_LOSSES.has(loss.name) || IN_BATCH_NEGATIVE_LOSSES.has(inner) ? "no_duplicates" : "batch_sampler"),
    betas: args.betas ?? [0.9, 0.999],
    eps: args.eps ?? 1e-8,
    saveTotalLimit: args.saveTotalLimit ?? 2,
    keepBest: args.keepBest ?? false,
    dropout: args.dropout ?? true,
    ...(args.maxSteps !== undefined ? { maxSteps: args.maxSteps } : {}),
    ...(args.evalSteps !== undefined ? { evalSteps: args.evalSteps } : {}),
    ...(args.checkpointSteps !== undefined ? { checkpointSteps: args.checkpointSteps } : {}),
    ...(args.checkpointDir !== undefined ? { checkpointDir: args.checkpointDir } : {}),
    ...(args.threads !== undefined ? { threads: args.threads } : {}),
  };
  if (r.threads !== undefined && !(Number.isInteger(r.threads) && r.threads >= 1 && r.threads <= 64)) {
    throw new SbertError("INVALID_INPUT", `threads must be an integer in 1..64, got ${r.threads}`);
  }
  positiveInt(r.batchSize, "batchSize");
  positiveInt(r.epochs, "epochs");
  if (r.maxSteps !== undefined) positiveInt(r.maxSteps, "maxSteps");
  if (r.evalSteps !== undefined) positiveInt(r.evalSteps, "evalSteps");
  if (r.checkpointSteps !== undefined) positiveInt(r.checkpointSteps, "checkpointSteps");
  positiveInt(r.saveTotalLimit, "saveTotalLimit");
  if (!Number.isInteger(r.seed)) throw new SbertError("INVALID_INPUT", `seed must be an integer, got ${r.seed}`);
  if (!(r.lr >= 0 && Number.isFinite(r.lr))) throw new SbertError("INVALID_INPUT", `learning rate must be a finite number ≥ 0, got ${r.lr}`);
  if (!(r.maxGradNorm >= 0)) throw new SbertError("INVALID_INPUT", `maxGradNorm must be ≥ 0 (0 = no clipping), got ${r.maxGradNorm}`);
  if (r.checkpointSteps !== undefined && r.checkpointDir === undefined) throw new SbertError("INVALID_INPUT", "checkpointSteps needs a checkpointDir");
  return r;
}

function positiveInt(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new SbertError("INVALID_INPUT", `${what} must be a positive integer, got ${v}`);
}

/** SHA-256 of every text and label, so a resume notices a changed training file. */
export function datasetHash(ds: TrainingDataset): string {
  const h = createHash("sha256");
  h.update(JSON.stringify([ds.inputColumns, ds.labelColumn ?? null, ds.length]));
  for (const col of ds.columns) for (const t of col) h.update(`${t.length}:${t}`);
  if (ds.labels) h.update(JSON.stringify(ds.labels));
  return h.digest("hex").slice(0, 16);
}

/** The settings a checkpoint records; resuming with any other value would not reproduce the run. */
export function runFingerprint(args: ResolvedArguments, loss: LossIdentity, train: TrainingDataset, totalSteps: number): Record<string, unknown> {
  return {
    loss: loss.name,
    loss_config: loss.configDict(),
    train_rows: train.length,
    train_hash: datasetHash(train),
    batch_size: args.batchSize,
    lr: args.lr,
    total_steps: totalSteps,
    warmup_ratio: args.warmupRatio,
    weight_decay: args.weightDecay,
    decay_all: args.decayAll,
    scheduler: args.scheduler,
    max_grad_norm: args.maxGradNorm,
    seed: args.seed,
    shuffle: args.shuffle,
    batch_sampler: args.batchSampler,
    dropout: args.dropout,
  };
}

/** Throws INVALID_INPUT listing the settings that differ from the checkpoint's. */
export function checkFingerprint(saved: Record<string, unknown>, now: Record<string, unknown>, where: string): void {
  const diffs = Object.keys({ ...saved, ...now })
    .filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k}: checkpoint ${JSON.stringify(saved[k])}, now ${JSON.stringify(now[k])}`);
  if (diffs.length > 0) {
    throw new SbertError("INVALID_INPUT", `cannot resume from ${where}: it was written by a run with other settings (${diffs.join("; ")}); rerun with the same options and data, or start fresh without resume`);
  }
}
