import { SbertError } from "../errors.js";
import type { AdamW } from "./optim/adamw.js";

/** Learning-rate multiplier as a function of the number of optimizer steps already taken. */
export type LrLambda = (step: number) => number;

export type ScheduleName = "constant" | "constant_with_warmup" | "linear" | "cosine";

function warmup(step: number, warmupSteps: number): number {
  return step / Math.max(1, warmupSteps);
}

/** `get_constant_schedule`: always 1. */
export function constantSchedule(): LrLambda {
  return () => 1;
}

/** `get_constant_schedule_with_warmup`: linear 0 → 1 over `warmupSteps`, then 1. */
export function constantScheduleWithWarmup(warmupSteps: number): LrLambda {
  return (step) => (step < warmupSteps ? warmup(step, warmupSteps) : 1);
}

/** `get_linear_schedule_with_warmup`: 0 → 1 over `warmupSteps`, then linearly to 0 at `totalSteps`. */
export function linearScheduleWithWarmup(warmupSteps: number, totalSteps: number): LrLambda {
  return (step) => (step < warmupSteps ? warmup(step, warmupSteps) : Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps)));
}

/** `get_cosine_schedule_with_warmup` (numCycles 0.5: half a cosine from 1 to 0 after warmup). */
export function cosineScheduleWithWarmup(warmupSteps: number, totalSteps: number, numCycles = 0.5): LrLambda {
  return (step) => {
    if (step < warmupSteps) return warmup(step, warmupSteps);
    const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
  };
}

/**
 * The schedule a Hugging Face `lr_scheduler_type` names. As in `transformers.get_scheduler`,
 * `constant` ignores warmup; `constant_with_warmup` uses it.
 */
export function createSchedule(name: ScheduleName, opts: { warmupSteps: number; totalSteps: number }): LrLambda {
  const { warmupSteps, totalSteps } = opts;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || !Number.isInteger(totalSteps) || totalSteps < 0) {
    throw new SbertError("INVALID_INPUT", `warmup and total steps must be non-negative integers, got ${warmupSteps} and ${totalSteps}`);
  }
  switch (name) {
    case "constant":
      return constantSchedule();
    case "constant_with_warmup":
      return constantScheduleWithWarmup(warmupSteps);
    case "linear":
      return linearScheduleWithWarmup(warmupSteps, totalSteps);
    case "cosine":
      return cosineScheduleWithWarmup(warmupSteps, totalSteps);
    default:
      throw new SbertError("INVALID_INPUT", `unknown scheduler "${String(name)}"; use constant, constant_with_warmup, linear or cosine`);
  }
}

/** `TrainingArguments.get_warmup_steps`: ceil(totalSteps · ratio). */
export function warmupStepsFromRatio(ratio: number, totalSteps: number): number {
  if (!(ratio >= 0 && ratio <= 1)) throw new SbertError("INVALID_INPUT", `warmup ratio must be in [0, 1], got ${ratio}`);
  return Math.ceil(totalSteps * ratio);
}

/**
 * `torch.optim.lr_scheduler.LambdaLR`: sets the optimizer's rate to initial · λ(0) on creation and
 * to initial · λ(k) after the k-th `step()` (call it after each `optimizer.step()`).
 */
export class LrScheduler {
  private readonly optimizer: AdamW;
  private readonly lambda: LrLambda;
  /** Scheduler steps taken (torch's `last_epoch`). */
  stepCount = 0;

  constructor(optimizer: AdamW, lambda: LrLambda) {
    this.optimizer = optimizer;
    this.lambda = lambda;
    optimizer.setLrFactor(lambda(0));
  }

  step(): void {
    this.stepCount += 1;
    this.optimizer.setLrFactor(this.lambda(this.stepCount));
  }

  /** The learning rate of the first group now (what a training log reports). */
  currentLr(): number {
    return this.optimizer.groups[0]?.lr ?? 0;
  }

  /** Resumes after `steps` scheduler steps (from a checkpoint). */
  restore(steps: number): void {
    this.stepCount = steps;
    this.optimizer.setLrFactor(this.lambda(steps));
  }
}
