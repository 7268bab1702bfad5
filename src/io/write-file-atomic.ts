/**
 * Writing one file atomically: a temp file next to it, every byte written with `writeFully`,
 * fsync, then a rename. A crash, a full disk or a short write never leaves a partial file under the
 * final name.
 *
 * @example
 * await writeFileAtomic("out/config.json", `${JSON.stringify(config, null, 2)}\n`);
 */
import { createHash, randomBytes } from "node:crypto";
import { open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SbertError } from "../errors.js";
import { writeFully } from "./write-fully.js";

/** Chunks are coalesced into writes of about this size. */
const BLOCK = 1 << 20;

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** What `writeFileAtomic` wrote. */
export interface WrittenFile {
  path: string;
  bytes: number;
  /** sha256 of the bytes, lowercase hex. */
  sha256: string;
}

/**
 * Writes `data` (a string is UTF-8; a list of chunks is written in order) to `path` atomically and
 * returns the number of bytes written. The folder must exist (FILE_NOT_FOUND otherwise). On any
 * failure the temp file is removed and `path` is left as it was; a short or failed write is
 * WRITE_FAILED (see `writeFully`). Returns the size and the sha256 (hex) of what was written, for
 * manifests that verify the file later.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<WrittenFile> {
  const chunks: readonly Uint8Array[] = typeof data === "string" ? [Buffer.from(data, "utf8")] : data instanceof Uint8Array ? [data] : data;
  const dir = dirname(path);
  const info = await stat(dir).catch((e: unknown) => {
    if (isMissing(e)) throw new SbertError("FILE_NOT_FOUND", `output folder ${dir} does not exist; create it first`, { cause: e });
    throw e;
  });
  if (!info.isDirectory()) throw new SbertError("INVALID_INPUT", `${dir} is not a folder`);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  let total = 0;
  const hash = createHash("sha256");
  try {
    const fh = await open(tmp, "wx");
    try {
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        const block = pending.length === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending, pendingBytes);
        await writeFully(fh, block, path);
        hash.update(block);
        total += pendingBytes;
        pending = [];
        pendingBytes = 0;
      };
      for (const c of chunks) {
        if (c.length >= BLOCK) await flush(); // a large chunk is written as it is, never copied
        pending.push(c);
        pendingBytes += c.length;
        if (pendingBytes >= BLOCK) await flush();
      }
      await flush();
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { path, bytes: total, sha256: hash.digest("hex") };
}
