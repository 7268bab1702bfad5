/**
 * Safetensors reader and writer (https://github.com/huggingface/safetensors).
 *
 * Our own implementation, because no npm package fits: we need the Rust crate's validation rules,
 * exact F16/BF16 upcasting, an atomic writer and no native code, and the format is small enough
 * to own. Reading and writing follow the Rust crate (`safetensors/src/tensor.rs`).
 *
 * @example
 * const file = await readSafetensors("model/model.safetensors");
 * const w = file.get("embeddings.word_embeddings.weight"); // { dtype: "F32", shape: [1000, 48], data }
 * await writeSafetensors("out/model.safetensors", { "linear.weight": { shape: [2, 2], data: new Float32Array(4) } });
 */
import { dirname } from "node:path";
import { SbertError } from "../errors.js";
import { writeFileAtomic } from "./write-file-atomic.js";
import {
  DEFAULT_MAX_HEADER_BYTES,
  DTYPES,
  buildHeader,
  compareUtf8,
  elementCount,
  parseHeader,
  type Dtype,
  type HeaderEntry,
  type TensorInfo,
} from "./safetensors-header.js";
import { openSafetensors } from "./safetensors-file.js";

export { DEFAULT_MAX_HEADER_BYTES, type Dtype, type TensorInfo };

interface Tensor<D extends Dtype, A> {
  /** The dtype stored in the file (F16/BF16 keep their name although `data` is float32). */
  readonly dtype: D;
  /** Row-major dims; `[]` is a scalar (one element). */
  readonly shape: number[];
  readonly data: A;
}

/**
 * One decoded tensor; narrow on `dtype` to get the array type. F32, F16 and BF16 all come back as
 * a `Float32Array` (F16/BF16 upcast exactly); F64 stays `Float64Array`; I64/U64 are BigInt arrays
 * (see `toNumbers`); BOOL is a `Uint8Array` of 0/1. `data` is a fresh copy owned by the caller.
 */
export type TensorRecord =
  | Tensor<"F32" | "F16" | "BF16", Float32Array>
  | Tensor<"F64", Float64Array>
  | Tensor<"I64", BigInt64Array>
  | Tensor<"U64", BigUint64Array>
  | Tensor<"I32", Int32Array>
  | Tensor<"U32", Uint32Array>
  | Tensor<"I16", Int16Array>
  | Tensor<"U16", Uint16Array>
  | Tensor<"I8", Int8Array>
  | Tensor<"U8" | "BOOL", Uint8Array>;

/** An opened safetensors file. Tensors are decoded on each `get` (or iteration), not cached. */
export interface SafetensorsFile extends Iterable<[string, TensorRecord]> {
  /** The path (or label) used in error messages. */
  readonly source: string;
  /** `__metadata__` (e.g. `{ format: "pt" }`); a frozen null-prototype object, empty if absent. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensor names sorted by UTF-8 bytes (like Python's `safe_open(...).keys()`). */
  names(): string[];
  has(name: string): boolean;
  /** Dtype, shape and byte range of a tensor without decoding it. */
  info(name: string): TensorInfo;
  /** @throws SbertError `INVALID_INPUT` naming the missing tensor and the ones that exist. */
  get(name: string): TensorRecord;
}

/**
 * Reads and validates a safetensors file: the header, then each tensor's bytes into a buffer of
 * its own (files over 2 GiB are fine; only regular files are read).
 * @throws SbertError FILE_NOT_FOUND, INVALID_MODEL_FILE, UNSUPPORTED_FORMAT
 */
export async function readSafetensors(
  path: string,
  opts: { maxHeaderBytes?: number } = {},
): Promise<SafetensorsFile> {
  const file = await openSafetensors(path, opts);
  try {
    const raw = new Map<string, Uint8Array>();
    for (const [name, info] of file.header.tensors) raw.set(name, await file.readRange(info.dataOffsets));
    return new ParsedFile(path, file.header.metadata, file.header.tensors, (name) => raw.get(name) as Uint8Array);
  } finally {
    await file.close();
  }
}

/** Float dtypes, which `readFloatTensors` decodes to float32. */
const FLOAT_DTYPES: ReadonlySet<Dtype> = new Set<Dtype>(["F32", "F16", "BF16", "F64"]);

/**
 * Reads the floating-point tensors of a safetensors file one at a time, each decoded to float32
 * (F16/BF16 exactly, F64 rounded) straight from its own byte range, and hands each to `onTensor`
 * (name order). Integer and bool tensors are skipped. Peak memory is the tensors kept by
 * `onTensor` plus one tensor's raw bytes. Returns the file's metadata and all its tensor names.
 * @throws SbertError FILE_NOT_FOUND, INVALID_MODEL_FILE, UNSUPPORTED_FORMAT
 */
export async function readFloatTensors(
  path: string,
  onTensor: (name: string, shape: number[], data: Float32Array) => void,
  opts: { maxHeaderBytes?: number } = {},
): Promise<{ metadata: Readonly<Record<string, string>>; names: string[] }> {
  const file = await openSafetensors(path, opts);
  try {
    const names = [...file.header.tensors.keys()].sort(compareUtf8);
    for (const name of names) {
      const info = file.header.tensors.get(name) as TensorInfo;
      if (!FLOAT_DTYPES.has(info.dtype)) continue;
      const raw = await file.readRange(info.dataOffsets);
      // F32 on a little-endian host: the fresh read buffer is the array (no second copy).
      const data =
        info.dtype === "F32" && HOST_LITTLE_ENDIAN
          ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4)
          : toFloat32Array({ dtype: info.dtype, shape: [], data: decodeTensorBytes(info.dtype, raw) } as TensorRecord);
      onTensor(name, info.shape.slice(), data);
    }
    return { metadata: file.header.metadata, names };
  } finally {
    await file.close();
  }
}

/**
 * Parses safetensors bytes held in memory. Tensor data is copied out of `bytes` on `get`, so the
 * caller may reuse `bytes` only after it is done with the returned file.
 */
export function parseSafetensors(
  bytes: Uint8Array,
  source = "<safetensors bytes>",
  opts: { maxHeaderBytes?: number } = {},
): SafetensorsFile {
  const max = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(max) || max < 2) {
    throw new SbertError("INVALID_INPUT", `maxHeaderBytes must be an integer >= 2, got ${max}`);
  }
  const header = parseHeader(bytes, source, max);
  const data = bytes.subarray(header.dataStart);
  return new ParsedFile(source, header.metadata, header.tensors, (_, info) => data.subarray(info.dataOffsets[0], info.dataOffsets[1]));
}

/** A tensor's raw little-endian bytes. */
type RawBytes = (name: string, info: TensorInfo) => Uint8Array;

class ParsedFile implements SafetensorsFile {
  readonly #tensors: ReadonlyMap<string, TensorInfo>;
  readonly #raw: RawBytes;
  readonly #names: string[];

  constructor(
    readonly source: string,
    readonly metadata: Readonly<Record<string, string>>,
    tensors: ReadonlyMap<string, TensorInfo>,
    raw: RawBytes,
  ) {
    this.#tensors = tensors;
    this.#raw = raw;
    this.#names = [...tensors.keys()].sort(compareUtf8);
  }

  names(): string[] {
    return this.#names.slice();
  }

  has(name: string): boolean {
    return this.#tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.#tensors.get(name);
    if (info === undefined) throw this.#missing(name);
    return info;
  }

  get(name: string): TensorRecord {
    const info = this.info(name);
    const { dtype, shape } = info;
    const raw = this.#raw(name, info);
    return { dtype, shape: shape.slice(), data: decodeTensorBytes(dtype, raw) } as TensorRecord;
  }

  *[Symbol.iterator](): Iterator<[string, TensorRecord]> {
    for (const name of this.#names) yield [name, this.get(name)];
  }

  #missing(name: string): SbertError {
    const shown = this.#names.slice(0, 8).join(", ");
    const more = this.#names.length > 8 ? `, ... (${this.#names.length - 8} more)` : "";
    const similar = this.#names.find((n) => n.endsWith(`.${name}`) || name.endsWith(`.${n}`));
    const hint = similar === undefined ? "" : ` Did you mean "${similar}" (a different prefix)?`;
    return new SbertError(
      "INVALID_INPUT",
      `${this.source}: no tensor named "${name}".${hint} ` +
        `The file holds ${this.#names.length} tensors: ${shown || "(none)"}${more}.`,
    );
  }
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type ArrayCtor = new (buffer: ArrayBuffer) => TensorRecord["data"];
type Getter = (view: DataView, offset: number) => number | bigint;

/** How each stored dtype is decoded: the array type, plus a little-endian DataView getter. */
const CODECS: Record<Exclude<Dtype, "F16" | "BF16">, [ArrayCtor, Getter]> = {
  F64: [Float64Array, (v, o) => v.getFloat64(o, true)],
  F32: [Float32Array, (v, o) => v.getFloat32(o, true)],
  I64: [BigInt64Array, (v, o) => v.getBigInt64(o, true)],
  U64: [BigUint64Array, (v, o) => v.getBigUint64(o, true)],
  I32: [Int32Array, (v, o) => v.getInt32(o, true)],
  U32: [Uint32Array, (v, o) => v.getUint32(o, true)],
  I16: [Int16Array, (v, o) => v.getInt16(o, true)],
  U16: [Uint16Array, (v, o) => v.getUint16(o, true)],
  I8: [Int8Array, (v, o) => v.getInt8(o)],
  U8: [Uint8Array, (v, o) => v.getUint8(o)],
  BOOL: [Uint8Array, (v, o) => (v.getUint8(o) === 0 ? 0 : 1)],
};

/**
 * Decodes one tensor's little-endian bytes into a fresh array (one copy; unaligned input is fine).
 * `hostLittleEndian` exists so tests can exercise the portable (big-endian) path.
 */
export function decodeTensorBytes(
  dtype: Dtype,
  raw: Uint8Array,
  hostLittleEndian = HOST_LITTLE_ENDIAN,
): TensorRecord["data"] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === "F16" || dtype === "BF16") {
    const out = new Float32Array(raw.byteLength / 2);
    const bits = new Uint32Array(out.buffer); // same host order as `out`, so bit patterns carry over
    for (let i = 0; i < out.length; i++) {
      const h = view.getUint16(2 * i, true);
      if (dtype === "BF16") {
        bits[i] = h << 16;
        continue;
      }
      // IEEE half -> float32, exact: subnormals are mant * 2^-24 (exact in float32); normals,
      // inf and nan move sign, rebiased exponent (15 -> 127) and mantissa into float32 bits.
      const exp = (h >> 10) & 0x1f;
      const mant = h & 0x3ff;
      if (exp === 0) out[i] = (h & 0x8000 ? -1 : 1) * mant * 2 ** -24;
      else bits[i] = ((h & 0x8000) << 16) | (exp === 0x1f ? 0x7f800000 : (exp + 112) << 23) | (mant << 13);
    }
    return out;
  }
  const [Ctor, get] = CODECS[dtype];
  const size = DTYPES[dtype].size;
  if (hostLittleEndian && dtype !== "BOOL") {
    const copy = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
    return new Ctor(copy);
  }
  const out = new Ctor(new ArrayBuffer(raw.byteLength)) as { [i: number]: number | bigint };
  for (let i = 0; i * size < raw.byteLength; i++) out[i] = get(view, i * size);
  return out as TensorRecord["data"];
}

/** The data as float32: F32/F16/BF16 as-is, F64 rounded to float32.
 * @throws SbertError `INVALID_INPUT` for integer and bool tensors. */
export function toFloat32Array(tensor: TensorRecord): Float32Array {
  if (tensor.data instanceof Float32Array) return tensor.data;
  if (tensor.data instanceof Float64Array) return Float32Array.from(tensor.data);
  throw new SbertError(
    "INVALID_INPUT",
    `expected a floating-point tensor but got dtype ${tensor.dtype}; read it with toNumbers()`,
  );
}

/** The data as plain numbers (I64/U64 included).
 * @throws SbertError `INVALID_INPUT` if a 64-bit value lies outside ±(2^53 - 1). */
export function toNumbers(tensor: TensorRecord): number[] {
  const out = new Array<number>(tensor.data.length);
  for (let i = 0; i < tensor.data.length; i++) {
    const v = tensor.data[i] as number | bigint;
    if (typeof v === "bigint") {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new SbertError("INVALID_INPUT", `${tensor.dtype} value ${v} at index ${i} does not fit a JS number exactly; use the BigInt array`);
      }
      out[i] = Number(v);
    } else out[i] = v;
  }
  return out;
}

/** A tensor for the writer; `dtype` defaults from the array type. */
export interface WritableTensor {
  readonly dtype?: "F32" | "I64";
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export type WritableTensors = Readonly<Record<string, WritableTensor>> | ReadonlyMap<string, WritableTensor>;

/**
 * Serializes tensors like the Python library: tensors ordered by dtype (I64 before F32, as the
 * Rust crate's descending-alignment rule gives) then by name, `__metadata__` first, and the
 * header padded with spaces to a multiple of 8 so the data is 8-byte aligned.
 *
 * @throws SbertError `INVALID_INPUT` / `SHAPE_MISMATCH` for bad input.
 */
export function serializeSafetensors(tensors: WritableTensors, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const items: [string, WritableTensor][] =
    tensors instanceof Map
      ? [...(tensors as ReadonlyMap<string, WritableTensor>)]
      : Object.entries(tensors as Readonly<Record<string, WritableTensor>>);
  const prepared = items.map(([name, t]) => {
    const inferred = t.data instanceof Float32Array ? "F32" : t.data instanceof BigInt64Array ? "I64" : undefined;
    const dtype = t.dtype ?? inferred;
    if (inferred === undefined || dtype !== inferred) {
      throw new SbertError(
        "INVALID_INPUT",
        `tensor "${name}": dtype ${String(dtype)} needs a ${dtype === "I64" ? "BigInt64Array" : "Float32Array"}`,
      );
    }
    if (name === "__metadata__") throw new SbertError("INVALID_INPUT", `"__metadata__" is reserved and cannot name a tensor`);
    const shape: readonly unknown[] = Array.isArray(t.shape) ? t.shape : [Number.NaN];
    if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new SbertError("INVALID_INPUT", `tensor "${name}": shape ${JSON.stringify(t.shape)} must list non-negative integers`);
    }
    if (elementCount(t.shape) !== t.data.length) {
      throw new SbertError(
        "SHAPE_MISMATCH",
        `tensor "${name}": shape ${JSON.stringify(t.shape)} needs ${elementCount(t.shape) ?? "> 2^53"} elements, data has ${t.data.length}`,
      );
    }
    return { name, dtype, shape: t.shape.slice(), data: t.data };
  });
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new SbertError("INVALID_INPUT", `metadata "${k}" must be a string`);
    }
  }
  prepared.sort((a, b) => DTYPES[b.dtype].rank - DTYPES[a.dtype].rank || compareUtf8(a.name, b.name));

  let offset = 0;
  const entries: HeaderEntry[] = prepared.map((t) => {
    const begin = offset;
    offset += t.data.byteLength;
    return { name: t.name, dtype: t.dtype, shape: t.shape, dataOffsets: [begin, offset] };
  });
  const header = buildHeader(entries, metadata);
  const out = new Uint8Array(8 + header.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  out.set(header, 8);
  let at = 8 + header.byteLength;
  for (const t of prepared) {
    encodeTensorBytes(t.data, out, at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Writes `data` little-endian into `out` starting at byte `at`.
 * `hostLittleEndian` exists so tests can exercise the portable (big-endian) path.
 */
export function encodeTensorBytes(
  data: Float32Array | BigInt64Array,
  out: Uint8Array,
  at: number,
  hostLittleEndian = HOST_LITTLE_ENDIAN,
): void {
  if (hostLittleEndian) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (data instanceof Float32Array) data.forEach((x, i) => view.setFloat32(at + 4 * i, x, true));
  else data.forEach((x, i) => view.setBigInt64(at + 8 * i, x, true));
}

/**
 * Writes a safetensors file atomically (`writeFileAtomic`: a temp file in the same folder, every
 * byte written, flushed, renamed over `path`; on failure the temp file is removed).
 *
 * @throws SbertError `FILE_NOT_FOUND` if the folder does not exist, plus `serializeSafetensors`'s.
 */
export async function writeSafetensors(
  path: string,
  tensors: WritableTensors,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const bytes = serializeSafetensors(tensors, metadata);
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    throw fsError(e, path, "write");
  }
}

/**
 * The error to raise when a model folder holds only PyTorch pickle weights (`pytorch_model.bin`).
 */
export function pickleWeightsError(path: string): SbertError {
  return new SbertError(
    "UNSUPPORTED_FORMAT",
    `${path}: PyTorch pickle weights (pytorch_model.bin) are not loaded, because unpickling a file ` +
      `can run arbitrary code. Convert them to model.safetensors once with Python, either\n` +
      `  import torch; from safetensors.torch import save_file\n` +
      `  sd = torch.load("pytorch_model.bin", weights_only=True)\n` +
      `  save_file({k: v.contiguous() for k, v in sd.items()}, "model.safetensors", metadata={"format": "pt"})\n` +
      `or, for a transformers / sentence-transformers model: model.save_pretrained(dir, safe_serialization=True).`,
  );
}

function fsError(e: unknown, path: string, action: "read" | "write"): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "ENOENT") {
    const what = action === "read" ? `file not found: ${path}` : `cannot write ${path}: folder ${dirname(path)} does not exist`;
    return new SbertError("FILE_NOT_FOUND", `${what}.`, { cause: e });
  }
  if (code === "EISDIR" || code === "ENOTDIR") {
    return new SbertError("INVALID_INPUT", `cannot ${action} ${path}: a path component is not what it should be (${code}).`, { cause: e });
  }
  return e;
}
