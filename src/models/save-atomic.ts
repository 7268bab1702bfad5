/**
 * Writing a whole folder atomically: fill a temporary sibling folder, then rename it into place,
 * so a crash or kill never leaves a half-written model or checkpoint under the final name.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SbertError } from "../errors.js";

export interface OutputFolderOptions {
  /** Replace an existing non-empty folder (default false: refuse it). */
  overwrite?: boolean;
}

/**
 * Fails unless `dir` can become an output folder: it does not exist, or is an empty folder, or
 * `overwrite` is set. Call it before long work so a bad path fails in the first second.
 */
export async function checkOutputFolder(dir: string, opts: OutputFolderOptions = {}): Promise<void> {
  const s = await stat(dir).catch(() => undefined);
  if (!s) return;
  if (!s.isDirectory()) throw new SbertError("INVALID_INPUT", `output "${dir}" is a file; pass a folder path`);
  if (opts.overwrite) return;
  if ((await readdir(dir)).length > 0) {
    throw new SbertError("INVALID_INPUT", `output folder "${dir}" exists and is not empty; choose another folder or pass --overwrite (overwrite: true) to replace it`);
  }
}

/**
 * Calls `fill(tmp)` on a fresh temporary folder next to `dir`, then renames it to `dir` (replacing
 * an empty folder, or a non-empty one with `overwrite`). On any error the temporary folder is
 * removed and `dir` is left as it was; a full disk is WRITE_FAILED.
 */
export async function writeFolderAtomically(dir: string, fill: (tmp: string) => Promise<void>, opts: OutputFolderOptions = {}): Promise<void> {
  await checkOutputFolder(dir, opts);
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(parent, `.${basename(dir)}.tmp-${tag}`);
  await mkdir(tmp);
  try {
    await fill(tmp);
    const old = join(parent, `.${basename(dir)}.old-${tag}`);
    const existed = await stat(dir).then(
      () => true,
      () => false,
    );
    if (existed) await rename(dir, old);
    try {
      await rename(tmp, dir);
    } catch (e) {
      if (existed) await rename(old, dir).catch(() => undefined);
      throw e;
    }
    if (existed) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (e instanceof SbertError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG") {
      throw new SbertError("WRITE_FAILED", `Could not write "${dir}" (${code}: the disk or quota is full); nothing was kept. Free space (or choose another location) and retry.`, { cause: e });
    }
    throw new SbertError("INVALID_INPUT", `cannot write "${dir}": ${(e as Error).message}`, { cause: e });
  }
}
