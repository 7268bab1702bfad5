import { rm } from "node:fs/promises";
import { basename } from "node:path";
import { SbertError } from "../errors.js";
import { type WrittenFile, writeFileAtomic } from "../io/write-file-atomic.js";
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
 * a missing file. Returns the total bytes written, the data file's path, if any, and each file
 * written with its size and sha256 (data file first).
 */
export async function writeOnnxModel(model: ModelSpec, path: string, opts: WriteOnnxOptions = {}): Promise<{ bytes: number; externalData: string | undefined; files: WrittenFile[] }> {
  const weights = [...model.graph.initializers.values()].reduce((s, t) => s + t.values.byteLength, 0);
  if (!(opts.externalData ?? weights > EXTERNAL_ABOVE)) {
    const chunks = encodeModel(model);
    const bytes = chunks.reduce((s, c) => s + c.length, 0);
    if (bytes > PROTOBUF_LIMIT) throw new SbertError("UNSUPPORTED_FORMAT", `the ONNX graph would be ${(bytes / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB limit; write it with external data`);
    const file = await writeFileAtomic(path, chunks);
    return { bytes, externalData: undefined, files: [file] };
  }
  const dataPath = `${path}_data`;
  const split = splitExternalData(model, basename(dataPath));
  const chunks = encodeModel(split.model);
  const bytes = chunks.reduce((s, c) => s + c.length, 0);
  if (bytes > PROTOBUF_LIMIT) throw new SbertError("UNSUPPORTED_FORMAT", `the ONNX graph without its weights is still ${(bytes / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB limit`);
  const data = await writeFileAtomic(dataPath, split.data);
  let graph: WrittenFile;
  try {
    graph = await writeFileAtomic(path, chunks);
  } catch (e) {
    await rm(dataPath, { force: true });
    throw e;
  }
  return { bytes: bytes + data.bytes, externalData: dataPath, files: [data, graph] };
}
