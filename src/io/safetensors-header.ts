/**
 * The safetensors header: dtype table, parsing + validation of the JSON header, and building a
 * header for the writer. Byte-level tensor decoding lives in `safetensors.ts`.
 *
 * Layout: `u64 N (little-endian) | N bytes of UTF-8 JSON | data buffer`. Offsets in the header are
 * relative to the start of the data buffer.
 */
import { SbertError } from "../errors.js";
import { jsonSyntaxDetail } from "./json-syntax.js";

/** Element types this library decodes, with their size in bytes and their rank in the Rust crate's
 * `Dtype` enum (the writer orders tensors by descending rank, then by name, like the crate). */
export const DTYPES = {
  BOOL: { size: 1, rank: 0 },
  U8: { size: 1, rank: 1 },
  I8: { size: 1, rank: 2 },
  I16: { size: 2, rank: 5 },
  U16: { size: 2, rank: 6 },
  F16: { size: 2, rank: 7 },
  BF16: { size: 2, rank: 8 },
  I32: { size: 4, rank: 9 },
  U32: { size: 4, rank: 10 },
  F32: { size: 4, rank: 11 },
  F64: { size: 8, rank: 12 },
  I64: { size: 8, rank: 13 },
  U64: { size: 8, rank: 14 },
} as const;

export type Dtype = keyof typeof DTYPES;

/** Default bound on the JSON header, in bytes (the Rust crate's `MAX_HEADER_SIZE`). */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

/** Where one tensor lives; `dataOffsets` are byte offsets into the data buffer, `[begin, end)`. */
export interface TensorInfo {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly dataOffsets: readonly [number, number];
}

export interface ParsedHeader {
  /** `__metadata__`, as a frozen null-prototype object (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** Byte offset of the data buffer in the file (8 + N). */
  readonly dataStart: number;
}

const METADATA_KEY = "__metadata__";

function isDtype(value: string): value is Dtype {
  return Object.prototype.hasOwnProperty.call(DTYPES, value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Orders strings by their UTF-8 bytes, as Rust's `str::cmp` does. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Number of elements for `shape`, or `undefined` if it exceeds `Number.MAX_SAFE_INTEGER`. */
export function elementCount(shape: readonly number[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return n;
}

/**
 * Parses and validates the header of a safetensors file held in `bytes`.
 *
 * Follows the Rust crate: the header length must fit in the file and in `maxHeaderBytes`; the
 * header must be a UTF-8 JSON object; every tensor's byte length must equal
 * `product(shape) * size(dtype)`; and the tensors, sorted by offset, must cover the data buffer
 * contiguously (each `begin` equals the previous `end`, the last `end` equals the buffer length),
 * so overlaps, holes and trailing bytes are all rejected. `bytes` may be only the start of the file
 * (at least `8 + N` bytes) when `fileSize` gives the whole file's size.
 *
 * @throws SbertError `INVALID_MODEL_FILE` (corrupt or lying header), `UNSUPPORTED_FORMAT` (dtype).
 */
export function parseHeader(bytes: Uint8Array, source: string, maxHeaderBytes: number, fileSize = bytes.byteLength): ParsedHeader {
  const fail = (what: string): never => {
    throw new SbertError(
      "INVALID_MODEL_FILE",
      `${source}: not a valid safetensors file: ${what}. Re-download or re-export the weights.`,
    );
  };
  if (fileSize < 8 || bytes.byteLength < 8) fail(`it holds ${fileSize} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(maxHeaderBytes)) {
    fail(`the header claims ${declared} bytes, above the ${maxHeaderBytes}-byte limit (maxHeaderBytes)`);
  }
  const headerLength = Number(declared);
  if (8 + headerLength > fileSize) {
    fail(`the header claims ${headerLength} bytes but only ${fileSize - 8} follow the length field`);
  }
  if (8 + headerLength > bytes.byteLength) throw new RangeError("parseHeader: the header bytes were not all passed in");

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail("the header is not valid UTF-8");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${jsonSyntaxDetail(e)})`);
  }
  if (!isPlainObject(json)) fail("the header is not a JSON object");
  const header = json as Record<string, unknown>;

  const dataStart = 8 + headerLength;
  const bufferLength = fileSize - dataStart;
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const tensors = new Map<string, TensorInfo>();

  // Object.keys lists an own "__proto__" key that JSON.parse created; values only go into a Map
  // and a null-prototype object, so no key can reach Object.prototype.
  for (const name of Object.keys(header)) {
    const entry = header[name];
    if (name === METADATA_KEY) {
      if (entry === null) continue;
      if (!isPlainObject(entry)) fail(`"${METADATA_KEY}" is not an object of strings`);
      const md = entry as Record<string, unknown>;
      for (const key of Object.keys(md)) {
        const value = md[key];
        if (typeof value !== "string") fail(`"${METADATA_KEY}" entry ${JSON.stringify(key)} is not a string`);
        metadata[key] = value as string;
      }
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!isPlainObject(entry)) fail(`${where} is not an object with dtype, shape and data_offsets`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== "string") fail(`${where} has no string "dtype"`);
    if (!Array.isArray(shape)) fail(`${where} has no array "shape"`);
    if (!Array.isArray(offsets)) fail(`${where} has no array "data_offsets"`);
    const dt = dtype as string;
    if (!isDtype(dt)) {
      throw new SbertError(
        "UNSUPPORTED_FORMAT",
        `${source}: ${where} has dtype ${JSON.stringify(dt)}, which sbert-ts does not read ` +
          `(supported: ${Object.keys(DTYPES).join(", ")}). Convert the weights to float32 in Python ` +
          `(e.g. model.to(torch.float32).save_pretrained(dir)).`,
      );
    }
    const dims = shape as unknown[];
    if (!dims.every(isCount)) fail(`${where} has shape ${JSON.stringify(dims)}; dims must be non-negative integers`);
    const offs = offsets as unknown[];
    const [begin, end] = offs;
    if (offs.length !== 2 || !isCount(begin) || !isCount(end) || begin > end) {
      fail(`${where} has data_offsets ${JSON.stringify(offs)}; expected [begin, end] with 0 <= begin <= end`);
    }
    const b = begin as number;
    const e = end as number;
    if (e > bufferLength) fail(`${where} ends at byte ${e} but the data buffer holds ${bufferLength} bytes`);
    const count = elementCount(dims as number[]);
    const expected = count === undefined ? undefined : count * DTYPES[dt].size;
    if (expected !== e - b) {
      fail(
        `${where} has ${e - b} bytes but dtype ${dt} and shape ${JSON.stringify(dims)} ` +
          `need ${expected ?? "more than 2^53"}`,
      );
    }
    tensors.set(name, { dtype: dt, shape: Object.freeze(dims.slice() as number[]), dataOffsets: Object.freeze([b, e] as const) });
  }

  // Contiguity, as the Rust crate checks it: sort by (begin, end), then each begin must equal the
  // previous end and the last end must equal the buffer length.
  const ordered = [...tensors].sort(
    ([, x], [, y]) => x.dataOffsets[0] - y.dataOffsets[0] || x.dataOffsets[1] - y.dataOffsets[1],
  );
  let cursor = 0;
  let previous: string | undefined;
  for (const [name, info] of ordered) {
    const [b, e] = info.dataOffsets;
    if (b < cursor) {
      fail(`tensor ${JSON.stringify(name)} (bytes ${b}..${e}) overlaps tensor ${JSON.stringify(previous)} (ending at ${cursor})`);
    }
    if (b > cursor) {
      fail(`bytes ${cursor}..${b} of the data buffer belong to no tensor (the format requires contiguous tensors)`);
    }
    cursor = e;
    previous = name;
  }
  if (cursor !== bufferLength) {
    fail(`the tensors cover ${cursor} bytes but the data buffer holds ${bufferLength} (trailing bytes)`);
  }

  return { metadata: Object.freeze(metadata), tensors, dataStart };
}

/** One tensor as the writer lays it out. */
export interface HeaderEntry {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly dataOffsets: readonly [number, number];
}

/**
 * Builds the header bytes (JSON padded with spaces to a multiple of 8, as the Python library
 * does): `__metadata__` first (keys sorted), then `entries` in the given order, compact JSON.
 */
export function buildHeader(entries: readonly HeaderEntry[], metadata?: Readonly<Record<string, string>>): Uint8Array {
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareUtf8);
    const body = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(",");
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${body}}`);
  }
  for (const t of entries) {
    const info = JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: t.dataOffsets });
    parts.push(`${JSON.stringify(t.name)}:${info}`);
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const padded = new Uint8Array(Math.ceil(json.byteLength / 8) * 8).fill(0x20);
  padded.set(json);
  return padded;
}
