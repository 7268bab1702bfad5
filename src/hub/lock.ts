/**
 * A lock file so that two processes (or two calls in one process) never download the same blob at
 * once. Python uses `filelock` (an OS `flock` on `.locks/<repo>/<etag>.lock`); Node has no flock,
 * so this lock is a file created with O_EXCL (`<etag>.sbert.lock`, a different name because
 * Python leaves its lock files in place). The holder refreshes the file's mtime; a lock whose
 * holder process is gone (same host) or whose mtime is older than `staleMs` is taken over.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rm, stat, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { SbertError } from "../errors.js";
import { writeFully } from "../io/write-fully.js";
import { sleep } from "./http.js";

export interface LockOptions {
  /** A lock untouched for this long is stale (default 60 s; the holder touches it every staleMs / 4). */
  staleMs?: number;
  /** Give up after this long (default: wait as long as the holder is alive and touching the lock). */
  timeoutMs?: number;
}

/** Runs `fn` while holding the lock file `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const release = await acquire(path, opts);
  try {
    return await fn();
  } finally {
    await release();
  }
}

async function acquire(path: string, opts: LockOptions): Promise<() => Promise<void>> {
  const staleMs = opts.staleMs ?? 60_000;
  const deadline = Date.now() + (opts.timeoutMs ?? Infinity);
  const id = `${process.pid}\n${hostname()}\n${randomBytes(8).toString("hex")}\n`;
  await mkdir(dirname(path), { recursive: true });
  for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
    try {
      const fh = await open(path, "wx");
      try {
        await writeFully(fh, id, path);
      } finally {
        await fh.close();
      }
      const beat = setInterval(() => void utimes(path, new Date(), new Date()).catch(() => undefined), Math.max(10, staleMs / 4));
      beat.unref();
      return async () => {
        clearInterval(beat);
        // Remove the file only if it is still ours (a stale takeover may have replaced it).
        if ((await readFile(path, "utf8").catch(() => "")) === id) await rm(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    if (await isStale(path, staleMs)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new SbertError("NETWORK_ERROR", `timed out waiting for another download to release ${path}; delete that file if no download is running`);
    await sleep(wait);
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean> {
  const [text, st] = await Promise.all([readFile(path, "utf8").catch(() => undefined), stat(path).catch(() => undefined)]);
  if (text === undefined || !st) return false; // released meanwhile: just retry
  const [pid, host] = text.split("\n");
  if (host === hostname() && pid && /^\d+$/.test(pid) && !isAlive(Number(pid))) return true;
  return Date.now() - st.mtimeMs > staleMs;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
