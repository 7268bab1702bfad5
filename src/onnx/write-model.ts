import { randomBytes } from "node:crypto";
import { open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SbertError } from "../errors.js";
import type { ModelSpec, TensorSpec } from "./graph.js";
import { encodeModel, littleEndianBytes } from "./proto-writer.js";

/** Largest size a single protobuf message may have. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;
/** Above this much weight data, initializers go to an external-data file (room left for the graph itself). */
const EXTERNAL_ABOVE = 1.75 * 2 ** 30;
/** Tensors smaller than this stay inside the .onnx file even with external data. */
const INLINE_BELOW = 1024;
/** External tensors start at multiples of this (lets runtimes memory-map them). */
const ALIGN = 4096;

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Writes chunks to `path` atomically: a temp file next to it, then a rename. On any failure the
 * temp file is removed and nothing is left at `path` that was not there before.
 */
export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const dir = dirname(path);
  const info = await stat(dir).catch((e: unknown) => {
    if (isMissing(e)) throw new SbertError("FILE_NOT_FOUND", `output folder ${dir} does not exist; create it first`, { cause: e });
    throw e;
  });
  if (!info.isDirectory()) throw new SbertError("INVALID_INPUT", `${dir} is not a folder`);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const fh = await open(tmp, "wx");
    try {
      // Coalesce the many small chunks so the file is written in large blocks.
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        if (pendingBytes > 0) await fh.write(Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      };
      for (const c of chunks) {
        if (c.length >= 1 << 20) {
          await flush();
          await fh.write(c);
        } else {
          pending.push(c);
          pendingBytes += c.length;
          if (pendingBytes >= 1 << 20) await flush();
        }
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
}

/** Moves the large initializers into one data blob: the model pointing at it, and its chunks. */
function splitExternalData(model: ModelSpec, location: string): { model: ModelSpec; data: Uint8Array[] } {
  const data: Uint8Array[] = [];
  const initializers = new Map<string, TensorSpec>();
  let offset = 0;
  for (const t of model.graph.initializers.values()) {
    if (t.values.byteLength < INLINE_BELOW) {
      initializers.set(t.name, t);
      continue;
    }
    const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
    if (pad) data.push(new Uint8Array(pad));
    offset += pad;
    const bytes = littleEndianBytes(t.values);
    data.push(bytes);
    initializers.set(t.name, { ...t, external: { location, offset, length: bytes.length } });
    offset += bytes.length;
  }
  return { model: { ...model, graph: { ...model.graph, initializers } }, data };
}

export interface WriteOnnxOptions {
  /** Store the weights in `<file>_data` next to the model (default: only when they exceed ~1.75 GiB). */
  externalData?: boolean;
}

/**
 * Serializes `model` to `path` atomically. Weights over protobuf's 2 GiB limit go to an external
 * data file `<file name>_data` (as Optimum names it), written first so the .onnx never points at
 * a missing file. Returns the total bytes written and the data file's path, if any.
 */
export async function writeOnnxModel(model: ModelSpec, path: string, opts: WriteOnnxOptions = {}): Promise<{ bytes: number; externalData: string | undefined }> {
  const weights = [...model.graph.initializers.values()].reduce((s, t) => s + t.values.byteLength, 0);
  if (!(opts.externalData ?? weights > EXTERNAL_ABOVE)) {
    const chunks = encodeModel(model);
    const bytes = chunks.reduce((s, c) => s + c.length, 0);
    if (bytes > PROTOBUF_LIMIT) throw new SbertError("UNSUPPORTED_FORMAT", `the ONNX graph would be ${(bytes / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB limit; write it with external data`);
    await writeFileAtomic(path, chunks);
    return { bytes, externalData: undefined };
  }
  const dataPath = `${path}_data`;
  const split = splitExternalData(model, basename(dataPath));
  const chunks = encodeModel(split.model);
  const bytes = chunks.reduce((s, c) => s + c.length, 0);
  if (bytes > PROTOBUF_LIMIT) throw new SbertError("UNSUPPORTED_FORMAT", `the ONNX graph without its weights is still ${(bytes / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB limit`);
  await writeFileAtomic(dataPath, split.data);
  try {
    await writeFileAtomic(path, chunks);
  } catch (e) {
    await rm(dataPath, { force: true });
    throw e;
  }
  return { bytes: bytes + split.data.reduce((s, c) => s + c.length, 0), externalData: dataPath };
}
