/**
 * What the CLI reads and writes through: the standard streams and the file opener, all
 * injectable (tests capture output, feed stdin, and inject short writes or a full disk).
 */
import { open } from "node:fs/promises";
import type { WritableHandle } from "../io/write-fully.js";

/** The standard streams (and optionally the file opener), injectable for tests. */
export interface CliIo {
  stdin: AsyncIterable<Uint8Array | string> & { isTTY?: boolean };
  stdout: OutputStream;
  stderr: { write(chunk: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  /** Opens output and spool files; default `fs.promises.open`. */
  openFile?: (path: string, flags: string) => Promise<FileHandleLike>;
}

/** What the CLI needs of stdout: `write`, and `once("drain")` to respect backpressure when present. */
export interface OutputStream {
  write(chunk: string): unknown;
  once?(event: "drain", listener: () => void): unknown;
}

/** The part of `fs.promises.FileHandle` the CLI writes and reads temporary files through. */
export interface FileHandleLike extends WritableHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The path meaning standard input / standard output. */
export const STDIO = "-";

/** `io.openFile`, else `fs.promises.open`. */
export function openFileFor(io: Pick<CliIo, "openFile">): (path: string, flags: string) => Promise<FileHandleLike> {
  return io.openFile ?? ((path, flags) => open(path, flags));
}
