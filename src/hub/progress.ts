/**
 * A one-line progress bar for large downloads, drawn on a terminal stream (the CLI's stderr) by the
 * shared `ProgressLine` (src/progress.ts).
 *
 * @example
 * resolveModelDir(id, { onProgress: progressBar(process.stderr) });
 * // model.safetensors  [##########----------]   52%  45.1/86.7 MB  12.3 MB/s  ETA 3s
 */
import { ProgressLine, type ProgressStream } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import type { DownloadProgress } from "./download-file.js";

export { wantsProgressBar } from "../progress.js";

export interface ProgressBarOptions {
  /** Files smaller than this get no bar (default 1 MB). */
  minBytes?: number;
  /** Redraws at most this often (default 100 ms). */
  intervalMs?: number;
  width?: number;
  /** Clock in ms (tests); default `performance.now`. */
  now?: () => number;
}

const PROGRESS_BAR_KEYS = optionKeys<ProgressBarOptions>({ minBytes: true, intervalMs: true, width: true, now: true });

/** A progress callback that draws on `stream` with carriage returns and ends each file with a newline. */
export function progressBar(stream: ProgressStream, opts: ProgressBarOptions = {}): (p: DownloadProgress) => void {
  checkOptions(opts, PROGRESS_BAR_KEYS, "progressBar");
  const minBytes = opts.minBytes ?? 1_000_000;
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  const lines = new Map<string, ProgressLine>();
  return (p) => {
    if ((p.total ?? 0) < minBytes) return;
    const key = `${p.repoId}/${p.file}`;
    let line = lines.get(key);
    if (!line) {
      line = new ProgressLine(stream, p.file, p.total as number, "MB", {
        format: mb,
        formatRate: mb,
        ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
        ...(opts.width !== undefined ? { width: opts.width } : {}),
        ...(opts.now !== undefined ? { now: opts.now } : {}),
      });
      lines.set(key, line);
    }
    if (p.done) {
      line.finish(p.loaded);
      lines.delete(key);
    } else {
      line.update(p.loaded);
    }
  };
}
