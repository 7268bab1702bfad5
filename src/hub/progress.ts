/**
 * A one-line progress bar for large downloads, drawn on a terminal stream (the CLI's stderr).
 *
 * @example
 * resolveModelDir(id, { onProgress: progressBar(process.stderr) });
 * // model.safetensors  [##########----------]  52%  45.1/86.7 MB
 */
import type { DownloadProgress } from "./download-file.js";

export interface ProgressBarOptions {
  /** Files smaller than this get no bar (default 1 MB). */
  minBytes?: number;
  /** Redraws at most this often (default 100 ms). */
  intervalMs?: number;
  width?: number;
}

/** A progress callback that draws on `stream` with carriage returns and ends each file with a newline. */
export function progressBar(stream: { write(s: string): unknown }, opts: ProgressBarOptions = {}): (p: DownloadProgress) => void {
  const minBytes = opts.minBytes ?? 1_000_000;
  const interval = opts.intervalMs ?? 100;
  const width = opts.width ?? 20;
  const last = new Map<string, number>();
  return (p) => {
    if ((p.total ?? 0) < minBytes) return;
    const key = `${p.repoId}/${p.file}`;
    const now = Date.now();
    if (!p.done && now - (last.get(key) ?? -Infinity) < interval) return;
    last.set(key, now);
    const total = p.total as number;
    const frac = Math.min(1, p.loaded / total);
    const filled = Math.round(frac * width);
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    stream.write(`\r${p.file}  [${"#".repeat(filled)}${"-".repeat(width - filled)}]  ${String(Math.floor(frac * 100)).padStart(3)}%  ${mb(p.loaded)}/${mb(total)} MB${p.done ? "\n" : ""}`);
    if (p.done) last.delete(key);
  };
}

/** Whether the CLI draws a bar: SBERT_PROGRESS=1 forces it, =0 turns it off; else only on a terminal. */
export function wantsProgressBar(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  const flag = env["SBERT_PROGRESS"];
  if (flag === "1") return true;
  if (flag === "0") return false;
  return stream.isTTY === true;
}
