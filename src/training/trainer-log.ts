/**
 * What a training run reports: a JSON Lines log with exactly one record per optimizer step, and a
 * one-line progress bar with the loss for terminals.
 *
 * `{"step": 1, "epoch": 0.25, "loss": 1.0494, "learning_rate": 2e-05, "grad_norm": 3.1}`: `step`
 * counts optimizer steps from 1 (Hugging Face's convention), `loss` is the loss computed before
 * that step's update, `learning_rate` the rate the update used, `grad_norm` the global gradient
 * norm before clipping; a step that ends with an evaluation adds its `eval_*` metrics. The bar is
 * the shared one of src/progress.ts.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { SbertError } from "../errors.js";
import { ProgressLine, type ProgressStream } from "../progress.js";
import { writeFullySync } from "../io/write-fully.js";

export type LogRecord = Record<string, number | string | null>;

/**
 * An append-only JSON Lines file; every record is written whole (and reaches the OS) before
 * training goes on. A record that cannot be written (a full disk) stops training with WRITE_FAILED
 * and is cut off again, so the file ends with the last whole record.
 */
export class TrainingLog {
  readonly path: string;
  /** Bytes of whole records in a regular file (undefined for a device or pipe). */
  private size: number | undefined;

  private constructor(path: string) {
    this.path = path;
    const st = statSync(path, { throwIfNoEntry: false });
    this.size = st?.isFile() ? st.size : undefined;
  }

  /**
   * Starts a log at `path`. A fresh run starts an empty file; a run resumed at `resumeStep` keeps
   * the records up to that step and drops those a killed run wrote after its last checkpoint, so
   * the log reads as one uninterrupted run (rewritten through a temporary file; a log that is not
   * a regular file, such as /dev/stderr, is appended to as it is).
   */
  static open(path: string, resumeStep?: number): TrainingLog {
    try {
      const existing = statSync(path, { throwIfNoEntry: false });
      if (resumeStep === undefined) closeSync(openSync(path, "w"));
      else if (existing?.isFile()) replaceFile(path, keptRecords(readFileSync(path, "utf8"), resumeStep));
    } catch (e) {
      throw logError(e, path);
    }
    return new TrainingLog(path);
  }

  write(record: LogRecord): void {
    const line = `${JSON.stringify(record, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v))}\n`;
    try {
      appendAll(this.path, line);
      if (this.size !== undefined) this.size += Buffer.byteLength(line);
    } catch (e) {
      if (this.size !== undefined) {
        try {
          truncateSync(this.path, this.size);
        } catch {
          // the partial line stays; a resumed run drops it
        }
      }
      const why = e instanceof SbertError && e.cause instanceof Error ? e.cause.message : (e as Error).message; // the system's words, not writeFully's
      throw new SbertError("WRITE_FAILED", `Could not write the training log ${this.path}: ${why}; training stopped. Free space (or choose another --log) and resume from the last checkpoint.`, { cause: e });
    }
  }
}

/** The lines of a log whose `step` is at most `resumeStep`, each with its newline. */
function keptRecords(text: string, resumeStep: number): string {
  return text
    .split("\n")
    .filter((line) => {
      if (line.trim() === "") return false;
      try {
        const step = (JSON.parse(line) as { step?: unknown }).step;
        return typeof step === "number" && step <= resumeStep;
      } catch {
        return false;
      }
    })
    .map((l) => `${l}\n`)
    .join("");
}

/** Appends every byte of `text` to `path` (WRITE_FAILED on a short write, see `writeFullySync`). */
function appendAll(path: string, text: string): void {
  const fd = openSync(path, "a");
  try {
    writeFullySync(fd, text, path);
  } finally {
    closeSync(fd);
  }
}

/** Writes `text` to a temporary sibling, then renames it over `path` (a kill leaves the old or the new log, whole). */
function replaceFile(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx");
    try {
      writeFullySync(fd, text, path);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A full disk is WRITE_FAILED; anything else (no such folder, no permission) is the caller's path: INVALID_INPUT. */
function logError(e: unknown, path: string): SbertError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG") {
    return new SbertError("WRITE_FAILED", `Could not write the training log ${path} (${code}: the disk or quota is full); free space or choose another --log`, { cause: e });
  }
  return new SbertError("INVALID_INPUT", `cannot write the training log "${path}": ${(e as Error).message}`, { cause: e });
}

/** A stream the bar draws on (stderr). */
export type { ProgressStream };

/**
 * The training bar: the shared `ProgressLine` counting optimizer steps, with the loss and learning
 * rate after the ETA; at most 10 redraws a second.
 *
 * @example
 * // train  [######--------------]   30%  3/10 steps  1.52 steps/s  ETA 5s  loss 0.1234  lr 2.00e-05
 */
export class ProgressBar {
  private readonly line: ProgressLine;
  private loss = NaN;
  private lr = NaN;

  /** `firstStep`: the step a resumed run starts from (the rate and ETA count from there). */
  constructor(stream: ProgressStream, total: number, firstStep = 0) {
    this.line = new ProgressLine(stream, "train", total, "steps", {
      startCount: firstStep,
      formatRate: (n) => n.toFixed(2),
      suffix: () => `  loss ${formatLoss(this.loss)}  lr ${Number.isFinite(this.lr) ? this.lr.toExponential(2) : String(this.lr)}`,
    });
  }

  update(step: number, loss: number, lr: number, force = false): void {
    this.loss = loss;
    this.lr = lr;
    this.line.update(step, force);
  }

  /** Prints a message on its own line, then the bar is redrawn on the next update. */
  note(message: string): void {
    this.line.note(message);
  }

  /** Draws the last state and ends the line. */
  done(): void {
    this.line.finish();
  }
}

function formatLoss(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}
