/**
 * Temporary files the CLI is writing (an output before its rename, a spool of float32 rows).
 * While any is live, SIGINT and SIGTERM remove them all and exit with 130 / 143 (128 + the
 * signal's number, as a shell reports a process killed by it); once none is live the handlers are
 * removed again, so the default behaviour returns.
 *
 * @example
 * const release = trackTempFile(tmp);
 * try { ...write tmp, rename it... } finally { release(); }
 */
import { rmSync } from "node:fs";

const live = new Set<string>();
const EXIT_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;
type Signal = keyof typeof EXIT_STATUS;
const SIGNALS = Object.keys(EXIT_STATUS) as Signal[];

function onSignal(signal: Signal): void {
  removeLiveTempFiles();
  process.exit(EXIT_STATUS[signal]);
}

/** Removes every live temporary file now (synchronously); used by the signal handlers. */
export function removeLiveTempFiles(): void {
  for (const path of live) rmSync(path, { force: true });
  live.clear();
}

/** Marks `path` as a temporary file to remove on SIGINT / SIGTERM; the returned function unmarks it. */
export function trackTempFile(path: string): () => void {
  if (live.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  live.add(path);
  return () => {
    if (!live.delete(path)) return;
    if (live.size === 0) for (const s of SIGNALS) process.off(s, onSignal);
  };
}
