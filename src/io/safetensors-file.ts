/**
 * Reading safetensors files from disk by byte ranges: the header first (its size bounded), then
 * each tensor's range into a buffer of its own. No file is ever held in one buffer, so files over
 * 2 GiB (`fs.readFile`'s limit; multilingual-e5-large, bge-m3) load, and a loader that decodes
 * tensor by tensor holds about one copy of the weights. Only regular files are read: a symlink to
 * `/dev/zero`, a FIFO or a folder named `model.safetensors` is refused before any data is read.
 *
 * @example
 * const f = await openSafetensors("model/model.safetensors");
 * try { const raw = await f.readRange(f.header.tensors.get("w")!.dataOffsets); } finally { await f.close(); }
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { SbertError } from "../errors.js";
import { DEFAULT_MAX_HEADER_BYTES, type ParsedHeader, parseHeader } from "./safetensors-header.js";

/** Bytes read per `read` call (a single call cannot read 2 GiB or more). */
const READ_CHUNK = 1 << 30;

/** An open safetensors file whose header has been read and validated. */
export interface OpenSafetensors {
  readonly path: string;
  /** File size in bytes. */
  readonly size: number;
  readonly header: ParsedHeader;
  /** Bytes `[begin, end)` of the data buffer, into a fresh (8-byte aligned) buffer. */
  readRange(offsets: readonly [number, number]): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens `path`, checks that it is a regular file and reads and validates its header.
 * @throws SbertError FILE_NOT_FOUND, INVALID_MODEL_FILE (not a regular file, corrupt header),
 *   UNSUPPORTED_FORMAT (dtype)
 */
export async function openSafetensors(path: string, opts: { maxHeaderBytes?: number } = {}): Promise<OpenSafetensors> {
  const max = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(max) || max < 2) throw new SbertError("INVALID_INPUT", `maxHeaderBytes must be an integer >= 2, got ${max}`);
  let fh: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (regular files ignore the flag).
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw openError(e, path);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      const kind = st.isDirectory() ? "a folder" : st.isFIFO() ? "a FIFO" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : st.isSocket() ? "a socket" : "not a regular file";
      throw new SbertError("INVALID_MODEL_FILE", `${path} is ${kind}, not a regular file; weights must be a safetensors file`);
    }
    const size = st.size;
    const lengthField = await readExactly(fh, path, 0, Math.min(8, size));
    let prefix = lengthField;
    if (size >= 8) {
      const declared = new DataView(lengthField.buffer, lengthField.byteOffset, 8).getBigUint64(0, true);
      // parseHeader reports a length over the limit or past the end; read only what it may use.
      if (declared <= BigInt(Math.min(max, size - 8))) prefix = await readExactly(fh, path, 0, 8 + Number(declared));
    }
    const header = parseHeader(prefix, path, max, size);
    return {
      path,
      size,
      header,
      readRange: ([begin, end]) => readExactly(fh, path, header.dataStart + begin, end - begin),
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}

/** `length` bytes at `position`, into a fresh buffer; a file that got shorter is INVALID_MODEL_FILE. */
async function readExactly(fh: FileHandle, path: string, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(new ArrayBuffer(length));
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, Math.min(READ_CHUNK, length - done), position + done);
    if (bytesRead === 0) {
      throw new SbertError("INVALID_MODEL_FILE", `${path} ended at byte ${position + done}, before the ${length} bytes its header announces at ${position}; was it changed while being read?`);
    }
    done += bytesRead;
  }
  return out;
}

function openError(e: unknown, path: string): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return new SbertError("FILE_NOT_FOUND", `file not found: ${path}.`, { cause: e });
  if (code === "ENOTDIR") return new SbertError("INVALID_INPUT", `cannot read ${path}: ${dirname(path)} is not a folder.`, { cause: e });
  if (code === "ELOOP" || code === "ENXIO" || code === "EISDIR") return new SbertError("INVALID_MODEL_FILE", `${path} is not a regular file (${code}); weights must be a safetensors file`, { cause: e });
  return e;
}
