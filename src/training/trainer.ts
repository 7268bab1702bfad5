/**
 * `SentenceTransformerTrainer` for Node.js: fine-tunes a bi-encoder with any `EmbeddingLoss` on a
 * dataset of named columns, with AdamW, a warmup schedule, gradient clipping, dropout, periodic
 * evaluation with keep-best, atomic checkpoints and exact resume.
 *
 * One step: embed every input column of the batch (the same network for each: siamese), compute
 * the loss, log it, back-propagate, clip, AdamW update, schedule. Everything random (row order,
 * dropout) comes from the seed, so two runs with the same seed — or a run killed and resumed from
 * a checkpoint — end with bit-identical weights.
 *
 * @example
 * const model = await SentenceTransformer.load(dir, { backend: "native" });
 * const trainer = new SentenceTransformerTrainer({ model, sourceDir: dir, loss: new CosineSimilarityLoss(),
 *   trainDataset: await readDataset("sts-train.jsonl"), args: { batchSize: 16, epochs: 1 } });
 * await trainer.train();
 * await saveSentenceTransformer(model, "out", { sourceDir: dir });
 */
import { SbertError } from "../errors.js";
import type { Evaluator, SentenceEncoder } from "../evaluation/evaluator.js";
import type { EmbeddingLoss } from "../losses/loss.js";
import type { SentenceTransformer } from "../models/sentence-transformer.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { BufferArena, withArena } from "../tensor/arena.js";
import { Rng } from "../tensor/random.js";
import { fastKernelInfo, setFastKernelThreads } from "../tensor/kernels-fast.js";
import { clipGradNorm, vectorNorm } from "./clip.js";
import { type BestMetric, type CheckpointParts, type TrainerState, CHECKPOINT_FORMAT, loadCheckpoint, pruneCheckpoints, removeStaleTemporaries, saveCheckpoint } from "./checkpoint.js";
import { type TrainingDataset, checkDataset, dataRequirements } from "./data.js";
import { epochBatches } from "./data-sampler.js";
import { AdamW } from "./optim/adamw.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
import { setRequiresGrad, weightDecayGroups } from "./parameters.js";
import { LrScheduler, createSchedule, warmupStepsFromRatio } from "./schedules.js";
import type { Tensor } from "../tensor/tensor.js";
import { type LossIdentity, type ResolvedArguments, type TrainingArguments, checkFingerprint, resolveArguments, runFingerprint } from "./trainer-args.js";
import { type EvaluationResult, batchLoss, evaluateModel, saveBest } from "./trainer-eval.js";
import { type LogRecord, ProgressBar, type ProgressStream, TrainingLog } from "./trainer-log.js";
import { type TrainableModel, TrainableSentenceTransformer } from "./trainer-model.js";

/**
 * What the loop needs of a kind of model (bi-encoder, cross-encoder): the trainable model, the
 * loss's identity and own parameters, the data check, a batch's loss and an evaluation.
 */
export interface TrainingTask<M extends TrainableModel> {
  readonly model: M;
  readonly loss: LossIdentity;
  readonly lossParams: readonly NamedParameter[];
  /** Whether an evaluator is set (evaluations then run even without an eval set). */
  readonly hasEvaluator: boolean;
  /** Throws INVALID_INPUT naming the first row the loss cannot use. */
  checkDataset(ds: TrainingDataset): void;
  /** The loss of rows `indices`, recorded for backpropagation while gradients are on. */
  batchLoss(ds: TrainingDataset, indices: readonly number[]): Promise<Tensor>;
  /** Eval loss over `evalDataset` and the evaluator's metrics (dropout is off). */
  evaluate(evalDataset: TrainingDataset | undefined, batchSize: number): Promise<EvaluationResult>;
}

/** The options every trainer shares. */
export interface BaseTrainerOptions {
  /** The folder the model came from (checkpoints copy its config.json and tokenizer files). */
  sourceDir: string;
  trainDataset: TrainingDataset;
  /** Rows whose loss is reported as `eval_loss` at each evaluation. */
  evalDataset?: TrainingDataset;
  args?: TrainingArguments;
  /** JSON Lines log file. */
  logFile?: string;
  /** Where to draw the progress bar (a terminal's stderr); none when absent. */
  progress?: ProgressStream;
  /** Called with every log record. */
  onLog?: (record: LogRecord) => void;
  /**
   * A checkpoint folder (`checkpoint-<step>`) to continue from; `newestUsableCheckpoint(checkpointDir)`
   * picks the newest one that is not damaged.
   */
  resumeFrom?: string;
}

/** Every key of `BaseTrainerOptions`, for the trainers' strict options checks. */
export const BASE_TRAINER_KEY_RECORD: { [K in keyof Required<BaseTrainerOptions>]: true } = {
  sourceDir: true,
  trainDataset: true,
  evalDataset: true,
  args: true,
  logFile: true,
  progress: true,
  onLog: true,
  resumeFrom: true,
};

export interface TrainerOptions extends BaseTrainerOptions {
  /** A model loaded with `{ backend: "native" }`; trained in place. */
  model: SentenceTransformer;
  loss: EmbeddingLoss;
  /** E.g. an EmbeddingSimilarityEvaluator; its primary metric picks the best model. */
  evaluator?: Evaluator<SentenceEncoder>;
}

export interface TrainResult {
  globalStep: number;
  /** Mean of the step losses of this process's steps. */
  trainLoss: number;
  /** Rows per second of the optimizer steps (forward, backward, update), evaluation and checkpoints left out. */
  samplesPerSecond: number;
  /** Wall time of `train()`, evaluation and checkpoints included. */
  seconds: number;
  /**
   * Where the optimizer steps' time went (seconds, this process's steps): `forward` (tokenization,
   * every input column's forward and the loss), `backward`, `clip` (gradient norm and clipping),
   * `optimizer` (AdamW, zeroing, schedule).
   */
  phaseSeconds: StepPhases;
  best: BestMetric | null;
  /** Metrics of the last evaluation. */
  lastEvaluation: Record<string, number> | undefined;
}

/** Seconds per phase of the optimizer steps (see `TrainResult.phaseSeconds`). */
export interface StepPhases {
  forward: number;
  backward: number;
  clip: number;
  optimizer: number;
}

/** The training loop, shared by `SentenceTransformerTrainer` and `CrossEncoderTrainer`. */
export class Trainer<M extends TrainableModel> {
  readonly args: ResolvedArguments;
  readonly model: M;
  readonly totalSteps: number;
  private readonly opts: BaseTrainerOptions;
  private readonly task: TrainingTask<M>;
  private readonly lossParams: readonly NamedParameter[];
  private readonly optimizer: AdamW;
  private readonly scheduler: LrScheduler;
  private readonly optimizerNames: string[];
  private rng: Rng;
  private readonly fingerprint: Record<string, unknown>;
  private state: Omit<TrainerState, "format" | "fingerprint" | "rng">;
  private bestSnapshot: Float32Array[] | undefined;
  /** Op outputs and gradients of a step, reused by the next (tensor/arena.ts). */
  private readonly arena = new BufferArena();
  private phases: StepPhases = { forward: 0, backward: 0, clip: 0, optimizer: 0 };
  private log: TrainingLog | undefined;

  constructor(task: TrainingTask<M>, opts: BaseTrainerOptions) {
    this.opts = opts;
    this.task = task;
    this.args = resolveArguments(opts.args ?? {}, task.loss);
    this.model = task.model;
    task.checkDataset(opts.trainDataset);
    if (opts.evalDataset) task.checkDataset(opts.evalDataset);
    this.lossParams = task.lossParams;
    this.totalSteps = this.args.maxSteps ?? this.stepsForEpochs();
    const named = [...this.model.params, ...this.lossParams.map((p) => ({ name: `loss.${p.name}`, tensor: p.tensor }))];
    const groups = weightDecayGroups(named, this.args.weightDecay, { decayAll: this.args.decayAll });
    this.optimizerNames = groups.flatMap((g) => [...g.names]);
    this.optimizer = new AdamW(groups, { lr: this.args.lr, betas: this.args.betas, eps: this.args.eps });
    const warmupSteps = warmupStepsFromRatio(this.args.warmupRatio, this.totalSteps);
    this.scheduler = new LrScheduler(this.optimizer, createSchedule(this.args.scheduler, { warmupSteps, totalSteps: this.totalSteps }));
    this.rng = new Rng(this.args.seed);
    this.fingerprint = runFingerprint(this.args, task.loss, opts.trainDataset, this.totalSteps);
    this.state = { globalStep: 0, epoch: 0, batchInEpoch: 0, best: null };
  }

  /** Runs to `totalSteps` (from the checkpoint when `resumeFrom` is set). Leaves the trained (or best) weights in the model. */
  async train(): Promise<TrainResult> {
    const { args, opts } = this;
    const all = [...this.model.params, ...this.lossParams];
    setRequiresGrad(all, true);
    const threadsBefore = args.threads !== undefined ? fastKernelInfo()?.threads : undefined;
    if (threadsBefore !== undefined && args.threads !== undefined) setFastKernelThreads(args.threads);
    try {
      if (args.checkpointDir) await removeStaleTemporaries(args.checkpointDir);
      if (opts.resumeFrom) await this.restore(opts.resumeFrom);
      this.log = opts.logFile ? TrainingLog.open(opts.logFile, opts.resumeFrom ? this.state.globalStep : undefined) : undefined;
      const bar = opts.progress ? new ProgressBar(opts.progress, this.totalSteps, this.state.globalStep) : undefined;
      const started = performance.now();
      const firstStep = this.state.globalStep;
      let lossSum = 0;
      let rows = 0;
      let stepSeconds = 0;
      let last: EvaluationResult | undefined;
      let batches = this.batchesOf(this.state.epoch);
      while (this.state.globalStep < this.totalSteps) {
        if (this.state.batchInEpoch >= batches.length) {
          this.state.epoch += 1;
          this.state.batchInEpoch = 0;
          batches = this.batchesOf(this.state.epoch);
          continue;
        }
        const indices = batches[this.state.batchInEpoch] as number[];
        const stepStart = performance.now();
        // the step's op buffers come from the arena and are all reusable once it is over
        const { loss, lr, gradNorm } = await withArena(this.arena, () => this.step(indices)).finally(() => this.arena.recycle());
        stepSeconds += (performance.now() - stepStart) / 1000;
        lossSum += loss;
        rows += indices.length;
        const step = this.state.globalStep;
        const epoch = this.state.epoch + this.state.batchInEpoch / batches.length;
        bar?.update(step, loss, lr);
        const final = step === this.totalSteps;
        let metrics: Record<string, number> = {};
        if ((this.task.hasEvaluator || opts.evalDataset) && ((args.evalSteps && step % args.evalSteps === 0) || final)) {
          last = await this.evaluate(step);
          metrics = last.metrics;
          bar?.note(`step ${step}: ${Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")}`);
        }
        this.emit({ step, epoch: round(epoch), loss, learning_rate: lr, grad_norm: gradNorm, ...metrics });
        if (args.checkpointDir && args.checkpointSteps && step % args.checkpointSteps === 0) {
          await saveCheckpoint(args.checkpointDir, this.checkpointParts(), { ...this.state, format: CHECKPOINT_FORMAT, rng: this.rng.state(), fingerprint: this.fingerprint });
          await pruneCheckpoints(args.checkpointDir, args.saveTotalLimit);
        }
      }
      bar?.done();
      if (args.keepBest && this.state.best && this.state.best.step !== this.state.globalStep) await this.restoreBest();
      const seconds = (performance.now() - started) / 1000;
      const steps = this.state.globalStep - firstStep;
      const result: TrainResult = {
        globalStep: this.state.globalStep,
        trainLoss: steps > 0 ? lossSum / steps : NaN,
        samplesPerSecond: rows / Math.max(stepSeconds, 1e-9),
        seconds,
        phaseSeconds: { ...this.phases },
        best: this.state.best,
        lastEvaluation: last?.metrics,
      };
      return result;
    } finally {
      if (threadsBefore !== undefined) setFastKernelThreads(threadsBefore);
      this.model.setDropout(undefined);
      setRequiresGrad(all, false);
      this.optimizer.zeroGrad();
    }
  }

  /** One optimizer step on the rows `indices`; returns the loss computed before the update. */
  private async step(indices: readonly number[]): Promise<{ loss: number; lr: number; gradNorm: number }> {
    const { args, opts } = this;
    this.model.setDropout(args.dropout ? this.rng : undefined);
    const t0 = performance.now();
    const lossTensor = await this.task.batchLoss(opts.trainDataset, indices);
    const loss = lossTensor.data[0] as number;
    const where = () => `step ${this.state.globalStep + 1} (epoch ${this.state.epoch}, batch ${this.state.batchInEpoch}: ${opts.trainDataset.source} lines ${indices.map((i) => opts.trainDataset.lineNumbers[i]).slice(0, 8).join(", ")}${indices.length > 8 ? ", ..." : ""})`;
    if (!Number.isFinite(loss)) throw this.diverged(`the loss is ${loss} at ${where()}`);
    const t1 = performance.now();
    lossTensor.backward();
    const t2 = performance.now();
    const params = this.optimizer.groups.flatMap((g) => g.params);
    const gradNorm = args.maxGradNorm > 0 ? clipGradNorm(params, args.maxGradNorm) : vectorNorm(params.flatMap((p) => (p.grad ? [vectorNorm(p.grad)] : [])));
    if (!Number.isFinite(gradNorm)) throw this.diverged(`the gradient norm is ${gradNorm} at ${where()}`);
    const t3 = performance.now();
    const lr = this.scheduler.currentLr();
    this.optimizer.step();
    this.optimizer.zeroGrad({ recycle: true }); // the next step's backward reuses the buffers
    this.scheduler.step();
    const t4 = performance.now();
    const ph = this.phases;
    ph.forward += (t1 - t0) / 1000;
    ph.backward += (t2 - t1) / 1000;
    ph.clip += (t3 - t2) / 1000;
    ph.optimizer += (t4 - t3) / 1000;
    this.state.globalStep += 1;
    this.state.batchInEpoch += 1;
    return { loss, lr, gradNorm };
  }

  private async evaluate(step: number): Promise<EvaluationResult> {
    this.model.setDropout(undefined);
    const r = await this.task.evaluate(this.opts.evalDataset, this.args.batchSize);
    const best = this.state.best;
    const better = !best || (r.greaterIsBetter ? r.value > best.value : r.value < best.value);
    if (this.args.keepBest && Number.isFinite(r.value) && better) {
      this.state.best = { step, metric: r.primaryMetric, value: r.value };
      if (this.args.checkpointDir) await saveBest(this.args.checkpointDir, this.model, this.opts.sourceDir);
      else this.bestSnapshot = this.model.snapshot();
    }
    return r;
  }

  private async restore(dir: string): Promise<void> {
    const saved = await loadCheckpoint(dir, this.checkpointParts());
    checkFingerprint(saved.fingerprint, this.fingerprint, dir);
    this.state = { globalStep: saved.globalStep, epoch: saved.epoch, batchInEpoch: saved.batchInEpoch, best: saved.best };
    this.rng = Rng.fromState(saved.rng);
    this.scheduler.restore(saved.globalStep);
  }

  private async restoreBest(): Promise<void> {
    if (this.bestSnapshot) this.model.setValues(this.bestSnapshot);
    else if (this.args.checkpointDir) await this.model.loadWeights(`${this.args.checkpointDir}/best`);
  }

  private checkpointParts(): CheckpointParts {
    return { model: this.model, sourceDir: this.opts.sourceDir, lossParams: this.lossParams, optimizer: this.optimizer, optimizerNames: this.optimizerNames };
  }

  private batchesOf(epoch: number): number[][] {
    const { batchSize, shuffle, seed, batchSampler } = this.args;
    return epochBatches(this.opts.trainDataset, { batchSize, shuffle, seed, epoch, sampler: batchSampler });
  }

  private stepsForEpochs(): number {
    let n = 0;
    for (let e = 0; e < this.args.epochs; e++) n += this.batchesOf(e).length;
    return n;
  }

  private emit(record: LogRecord): void {
    this.log?.write(record);
    this.opts.onLog?.(record);
  }

  private diverged(what: string): SbertError {
    const ckpt = this.args.checkpointDir ? ` The checkpoints in ${this.args.checkpointDir} are untouched (resume from the last one with a lower learning rate).` : "";
    return new SbertError("INVALID_OPERATION", `training stopped: ${what}; the weights were not updated with it.${ckpt} Lower --lr, set --max-grad-norm, or check the data.`);
  }
}

/** Fine-tunes a `SentenceTransformer` (see the file comment). */
export class SentenceTransformerTrainer extends Trainer<TrainableSentenceTransformer> {
  constructor(opts: TrainerOptions) {
    super(sentenceTransformerTask(opts), opts);
  }
}

const TRAINER_KEYS = optionKeys<TrainerOptions>({ ...BASE_TRAINER_KEY_RECORD, model: true, loss: true, evaluator: true });

function sentenceTransformerTask(opts: TrainerOptions): TrainingTask<TrainableSentenceTransformer> {
  checkOptions(opts, TRAINER_KEYS, "SentenceTransformerTrainer");
  const model = new TrainableSentenceTransformer(opts.model);
  const { loss, evaluator } = opts;
  const req = dataRequirements(loss, opts.model.getSentenceEmbeddingDimension());
  const lossOf = (ds: TrainingDataset, indices: readonly number[]) => batchLoss(model, loss, ds, indices);
  return {
    model,
    loss,
    lossParams: loss.parameters(),
    hasEvaluator: evaluator !== undefined,
    checkDataset: (ds) => checkDataset(ds, req, loss.name),
    batchLoss: lossOf,
    evaluate: (evalDataset, batchSize) => evaluateModel({ batchLoss: lossOf, ...(evalDataset ? { evalDataset } : {}), ...(evaluator ? { evaluator } : {}) }, opts.model, batchSize),
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
