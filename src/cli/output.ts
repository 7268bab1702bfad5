/**
 * JSON Lines output, streamed: to stdout with backpressure, or to a temporary file next to the
 * destination (opened before any work, so an unwritable `-o` fails first), renamed over it on
 * `commit`. Every file write goes through `writeFully`; on error (`abort`) and on SIGINT / SIGTERM
 * (`temp-files.ts`) the temporary file is removed, so no partial output is ever left.
 *
 * @example
 * const out = await openOutput("embeddings.jsonl", io);
 * try { await out.writeLines(lines); await out.commit(); } catch (e) { await out.abort(); throw e; }
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SbertError } from "../errors.js";
import { writeFully } from "../io/write-fully.js";
import { UsageError } from "./errors.js";
import { type CliIo, type FileHandleLike, type OutputStream, STDIO, openFileFor } from "./streams.js";
import { trackTempFile } from "./temp-files.js";

/** Output bytes are gathered into pieces of about this many UTF-16 units before each write. */
const PIECE = 65536;

/** Where output lines go; `commit` completes the output, `abort` discards it (both idempotent). */
export interface LineSink {
  writeLines(lines: Iterable<string>): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Fails early (before any model work) when `path` cannot name an output file: `""` is a usage
 * error; a missing folder, a folder as the destination, or a folder without write permission are
 * runtime errors.
 */
export async function checkOutputPath(path: string): Promise<void> {
  if (path === "") throw new UsageError('--output "" names no file; pass a file name, or "-" (the default) for standard output');
  if (path === STDIO) return;
  const dir = dirname(path);
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw new SbertError("FILE_NOT_FOUND", `cannot write "${path}": the folder "${dir}" does not exist`);
  const fileStat = await stat(path).catch(() => undefined);
  if (fileStat?.isDirectory()) throw new SbertError("INVALID_INPUT", `cannot write "${path}": it is a folder; pass a file name`);
  await access(dir, constants.W_OK).catch((e: unknown) => {
    throw new SbertError("INVALID_INPUT", `cannot write "${path}": no permission to create files in the folder "${dir}" (${(e as NodeJS.ErrnoException).code ?? "EACCES"})`, { cause: e });
  });
}

/** The temporary name next to `path` that output is written to before the rename. */
export function tempPathFor(path: string, suffix = "tmp"): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.${suffix}`);
}

/**
 * Opens the output: stdout for "-", else a new temporary file next to `path` (after
 * `checkOutputPath`). Fails here, before any work, when the file cannot be created.
 */
export async function openOutput(path: string, io: CliIo): Promise<LineSink> {
  await checkOutputPath(path);
  if (path === STDIO) return new StdoutSink(io.stdout);
  const tmp = tempPathFor(path);
  const handle = await openFileFor(io)(tmp, "wx").catch((e: unknown) => {
    throw new SbertError("INVALID_INPUT", `cannot write "${path}": ${(e as Error).message}`, { cause: e });
  });
  return new FileSink(path, tmp, handle, trackTempFile(tmp));
}

class StdoutSink implements LineSink {
  constructor(private readonly out: OutputStream) {}

  async writeLines(lines: Iterable<string>): Promise<void> {
    for (const piece of pieces(lines)) await writeChunk(this.out, piece);
  }

  async commit(): Promise<void> {}

  async abort(): Promise<void> {}
}

class FileSink implements LineSink {
  private state: "open" | "done" = "open";

  constructor(
    private readonly path: string,
    private readonly tmp: string,
    private readonly handle: FileHandleLike,
    private readonly release: () => void,
  ) {}

  async writeLines(lines: Iterable<string>): Promise<void> {
    for (const piece of pieces(lines)) await writeFully(this.handle, piece, this.path);
  }

  async commit(): Promise<void> {
    if (this.state === "done") return;
    try {
      await this.handle.sync();
      await this.handle.close();
      this.state = "done";
      await rename(this.tmp, this.path);
    } catch (e) {
      await this.abort();
      throw e instanceof SbertError ? e : new SbertError("INVALID_INPUT", `cannot write "${this.path}": ${(e as Error).message}`, { cause: e });
    }
    this.release();
  }

  async abort(): Promise<void> {
    if (this.state === "open") await this.handle.close().catch(() => undefined);
    this.state = "done";
    await rm(this.tmp, { force: true });
    this.release();
  }
}

/** Joins lines (each followed by "\n") into pieces of about `PIECE` units. */
function* pieces(lines: Iterable<string>): Generator<string> {
  let buf = "";
  for (const line of lines) {
    buf += line + "\n";
    if (buf.length >= PIECE) {
      yield buf;
      buf = "";
    }
  }
  if (buf) yield buf;
}

function writeChunk(out: OutputStream, chunk: string): Promise<void> {
  const ok = out.write(chunk);
  if (ok === false && out.once) return new Promise((resolve) => out.once?.("drain", resolve));
  return Promise.resolve();
}

/**
 * Writes `lines` to `path` ("-": stdout) as one complete output: see `openOutput`.
 */
export async function writeOutputLines(path: string, lines: Iterable<string>, io: CliIo): Promise<void> {
  const out = await openOutput(path, io);
  try {
    await out.writeLines(lines);
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
}
