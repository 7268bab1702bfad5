/**
 * Writes that never report success for a partial file. `FileHandle.write` may write fewer bytes
 * than asked (a nearly full disk, a signal) without an error; every raw write in the project goes
 * through `writeFully`, which loops until all bytes are written and fails with `WRITE_FAILED` when
 * the kernel stops making progress.
 *
 * @example
 * const fh = await open(tmp, "w");
 * await writeFully(fh, bytes);
 */
import { writeSync } from "node:fs";
import { SbertError } from "../errors.js";

/** The part of `fs.promises.FileHandle` that `writeFully` uses (tests inject short writes through it). */
export interface WritableHandle {
  write(buffer: Uint8Array, offset: number, length: number, position?: number | null): Promise<{ bytesWritten: number }>;
}

/**
 * Writes every byte of `data` (a string is UTF-8 encoded) at `position`, or at the handle's current
 * position when `position` is omitted. A write that returns 0 bytes, or fails with ENOSPC / EDQUOT /
 * EFBIG, becomes `WRITE_FAILED` naming `what` (a path) and how many bytes were written.
 */
export async function writeFully(fh: WritableHandle, data: Uint8Array | string, what: string, position?: number | null): Promise<void> {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  for (let done = 0; done < bytes.length; ) {
    let n: number;
    try {
      n = (await fh.write(bytes, done, bytes.length - done, position == null ? null : position + done)).bytesWritten;
    } catch (e) {
      throw asWriteFailed(e, what, done, bytes.length);
    }
    done = advance(n, what, done, bytes.length);
  }
}

/**
 * `writeFully` for a file descriptor, synchronously (for logs written between training steps).
 * Appends at the descriptor's position (`position` omitted) or writes at `position`.
 */
export function writeFullySync(fd: number, data: Uint8Array | string, what: string, position?: number | null): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  for (let done = 0; done < bytes.length; ) {
    let n: number;
    try {
      n = writeSync(fd, bytes, done, bytes.length - done, position == null ? null : position + done);
    } catch (e) {
      throw asWriteFailed(e, what, done, bytes.length);
    }
    done = advance(n, what, done, bytes.length);
  }
}

/** A full disk or quota becomes WRITE_FAILED; any other error passes through unchanged. */
function asWriteFailed(e: unknown, what: string, done: number, total: number): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG" ? writeFailed(what, done, total, `${code}: the disk or quota is full`, e) : e;
}

/** The new count of written bytes; a write that made no progress is WRITE_FAILED. */
function advance(n: number, what: string, done: number, total: number): number {
  if (!(n > 0)) throw writeFailed(what, done, total, "the system wrote nothing (is the disk full?)");
  return done + n;
}

function writeFailed(what: string, done: number, total: number, why: string, cause?: unknown): SbertError {
  return new SbertError("WRITE_FAILED", `Could not write ${what}: ${why}; ${done} of ${total} bytes of this chunk were written. Free space (or choose another location) and retry; no partial file is kept.`, cause === undefined ? undefined : { cause });
}
