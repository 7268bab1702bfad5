/**
 * One-line progress bars on a terminal stream (stderr): item progress for long calls (`encode`,
 * `predict`, evaluators, … with `showProgressBar`) and byte progress for downloads
 * (`hub/progress.ts`) draw through the same `ProgressLine`. Redrawn with a carriage return at most
 * every `intervalMs`, padded with spaces over the previous line (no ANSI escapes), ended with a
 * newline when the work is done.
 *
 * @example
 * const bar = startProgress(true, "encode", texts.length, "texts"); // draws on process.stderr
 * bar?.tick(32);
 * bar?.finish();
 * // encode  [########------------]   40%  400/1000 texts  812.3 texts/s  ETA 1s
 */
import { SbertError } from "./errors.js";

/** What a bar draws on: `process.stderr`, or any object with `write` (the CLI's captured stderr). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/**
 * The `showProgressBar` option (Python's `show_progress_bar`): `true` draws on `process.stderr`,
 * a stream draws there, `false` / absent draws nothing (the default).
 */
export type ShowProgressBar = boolean | ProgressStream;

export interface ProgressLineOptions {
  /** Redraws at most this often (default 100 ms); the last update always draws. */
  intervalMs?: number;
  /** Bar width in characters (default 20). */
  width?: number;
  /** Counts as text: `(n) => "45.0"`, with `unit` after the pair (default integers). */
  format?: (n: number) => string;
  /** The rate (units per second) as text (default one decimal). */
  formatRate?: (perSecond: number) => string;
  /** Clock in ms (tests); default `performance.now` (sub-millisecond, so a fast job still has a rate). */
  now?: () => number;
  /** Count already done when the bar starts (a resumed run); the rate counts only what comes after. */
  startCount?: number;
  /** Text drawn after the ETA, read at each draw (training: `  loss 0.1234  lr 2.00e-05`). */
  suffix?: () => string;
}

/** One bar: `label  [####------]  40%  done/total unit  rate unit/s  ETA`. */
export class ProgressLine {
  private readonly stream: ProgressStream;
  private readonly label: string;
  private total: number;
  private readonly unit: string;
  private readonly interval: number;
  private readonly width: number;
  private readonly format: (n: number) => string;
  private readonly formatRate: (n: number) => string;
  private readonly now: () => number;
  private readonly suffix: () => string;
  private readonly startCount: number;
  private readonly started: number;
  private lastDraw = -Infinity;
  private lastLength = 0;
  private count = 0;
  private finished = false;

  constructor(stream: ProgressStream, label: string, total: number, unit: string, opts: ProgressLineOptions = {}) {
    this.stream = stream;
    this.label = label;
    this.total = total;
    this.unit = unit;
    this.interval = opts.intervalMs ?? 100;
    this.width = opts.width ?? 20;
    this.format = opts.format ?? ((n) => String(Math.round(n)));
    this.formatRate = opts.formatRate ?? ((n) => n.toFixed(1));
    this.now = opts.now ?? (() => performance.now());
    this.suffix = opts.suffix ?? (() => "");
    this.startCount = opts.startCount ?? 0;
    this.count = this.startCount;
    this.started = this.now();
  }

  /** Sets the total: for work whose size is learned while doing it (a streamed input). */
  setTotal(total: number): void {
    this.total = total;
  }

  /** Adds `n` items done. */
  tick(n = 1): void {
    this.update(this.count + n);
  }

  /** Sets the count done; draws when `intervalMs` has passed since the last draw. */
  update(done: number, force = false): void {
    if (this.finished) return;
    this.count = done;
    const now = this.now();
    if (!force && now - this.lastDraw < this.interval) return;
    this.lastDraw = now;
    this.draw(now, "");
  }

  /** Prints `message` on a line of its own (over the bar); the bar is drawn again at the next update. */
  note(message: string): void {
    if (this.finished) return;
    const pad = " ".repeat(Math.max(0, this.lastLength - message.length));
    this.lastLength = 0;
    this.lastDraw = -Infinity;
    this.stream.write(`\r${message}${pad}\n`);
  }

  /** Draws the final state (`done` items when given) and ends the line (once). */
  finish(done?: number): void {
    if (this.finished) return;
    this.finished = true;
    if (done !== undefined) this.count = done;
    this.draw(this.now(), "\n");
  }

  private draw(now: number, end: string): void {
    const frac = this.total > 0 ? Math.min(1, this.count / this.total) : 1;
    const filled = Math.round(frac * this.width);
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? (this.count - this.startCount) / seconds : NaN;
    const eta = rate > 0 ? (this.total - this.count) / rate : NaN;
    const line =
      `${this.label}  [${"#".repeat(filled)}${"-".repeat(this.width - filled)}]  ${String(Math.floor(frac * 100)).padStart(3)}%` +
      `  ${this.format(this.count)}/${this.format(this.total)} ${this.unit}` +
      (Number.isFinite(rate) ? `  ${this.formatRate(rate)} ${this.unit}/s  ETA ${formatDuration(end ? 0 : eta)}` : "") +
      this.suffix();
    const pad = " ".repeat(Math.max(0, this.lastLength - line.length));
    this.lastLength = line.length;
    this.stream.write(`\r${line}${pad}${end}`);
  }
}

/**
 * A bar for `total` items when `show` asks for one (see `ShowProgressBar`), else undefined.
 * `label` names the call (`encode`, `predict`), `unit` the items (`texts`, `pairs`).
 */
export function startProgress(show: ShowProgressBar | undefined, label: string, total: number, unit: string, opts: ProgressLineOptions = {}): ProgressLine | undefined {
  if (show === undefined || show === false) return undefined;
  const stream: ProgressStream = show === true ? process.stderr : show;
  if (typeof stream !== "object" || stream === null || typeof stream.write !== "function") {
    throw new SbertError("INVALID_INPUT", `showProgressBar must be true, false or a stream with write(), got ${typeof show}`);
  }
  return new ProgressLine(stream, label, total, unit, opts);
}

/** Whether the CLI draws a bar: SBERT_PROGRESS=1 forces it, =0 turns it off; else only on a terminal. */
export function wantsProgressBar(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  const flag = env["SBERT_PROGRESS"];
  if (flag === "1") return true;
  if (flag === "0") return false;
  return stream.isTTY === true;
}

/**
 * The CLI's `showProgressBar`: its stderr when `wantsProgressBar` says so, else false.
 * @example model.encode(texts, { showProgressBar: progressStream(io) });
 */
export function progressStream(io: { stderr: ProgressStream; env: Readonly<Record<string, string | undefined>> }): ProgressStream | false {
  return wantsProgressBar(io.stderr, io.env) ? io.stderr : false;
}

/** 3725 → "1h02m05s"; NaN → "?". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m${String(r).padStart(2, "0")}s` : m > 0 ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
}
