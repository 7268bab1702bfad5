import type { Attr, ModelSpec, NodeSpec, TensorSpec, TensorValues, ValueInfo } from "./graph.js";

const VARINT = 0;
const FIXED32 = 5;
const BYTES = 2;

/**
 * A protocol-buffers wire-format writer. Small fields are packed into a scratch buffer; large byte
 * fields (tensor data) and nested messages are kept by reference, so a 400 MB model is copied once,
 * when it is written to disk. Repeated scalars are written unpacked, as proto2 (onnx.proto) does.
 */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private partsLength = 0;
  private buf = new Uint8Array(256);
  private pos = 0;

  /** Encoded size in bytes. */
  get length(): number {
    return this.partsLength + this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private flushScratch(): void {
    if (this.pos === 0) return;
    this.parts.push(this.buf.slice(0, this.pos));
    this.partsLength += this.pos;
    this.pos = 0;
  }

  private append(data: Uint8Array): void {
    if (data.length <= 64) {
      this.reserve(data.length);
      this.buf.set(data, this.pos);
      this.pos += data.length;
      return;
    }
    this.flushScratch();
    this.parts.push(data);
    this.partsLength += data.length;
  }

  /** A base-128 varint; negative numbers as 64-bit two's complement (10 bytes), as int64 requires. */
  private varint(value: number | bigint): void {
    this.reserve(10);
    if (typeof value === "number" && value >= 0 && value <= 0x7fffffff) {
      let v = value;
      while (v > 0x7f) {
        this.buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.pos++] = v;
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** int32 / int64 / enum / bool field. */
  int(field: number, value: number | bigint): this {
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new RangeError(`protobuf int field ${field}: ${value} is not an integer`);
    this.tag(field, VARINT);
    this.varint(value);
    return this;
  }

  /** float field (fixed 32-bit, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  /** bytes field; `data` is kept by reference, not copied. */
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, BYTES);
    this.varint(data.length);
    this.append(data);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** Embedded message field. */
  message(field: number, sub: ProtoWriter): this {
    this.tag(field, BYTES);
    this.varint(sub.length);
    sub.flushScratch();
    for (const p of sub.parts) this.append(p);
    return this;
  }

  /** The encoded message as chunks, in order (concatenate, or write them one after another). */
  finish(): Uint8Array[] {
    this.flushScratch();
    return this.parts;
  }
}

// Field numbers below are those of onnx/onnx.proto (IR version 8+).

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A tensor's values as little-endian bytes (ONNX raw_data): the array's own memory on little-endian hosts. */
export function littleEndianBytes(values: TensorValues, hostLittleEndian = HOST_LITTLE_ENDIAN): Uint8Array {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (hostLittleEndian || values.BYTES_PER_ELEMENT === 1) return raw;
  const out = new Uint8Array(raw.length);
  const width = values.BYTES_PER_ELEMENT;
  for (let i = 0; i < raw.length; i += width) for (let j = 0; j < width; j++) out[i + j] = raw[i + width - 1 - j] as number;
  return out;
}

function tensorProto(t: TensorSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d); // dims
  w.int(2, t.dataType); // data_type
  w.string(8, t.name); // name
  if (t.external) {
    const entry = (key: string, value: string): ProtoWriter => new ProtoWriter().string(1, key).string(2, value);
    w.message(13, entry("location", t.external.location)); // external_data
    w.message(13, entry("offset", String(t.external.offset)));
    w.message(13, entry("length", String(t.external.length)));
    w.int(14, 1); // data_location: EXTERNAL
  } else {
    w.bytes(9, littleEndianBytes(t.values)); // raw_data
  }
  return w;
}

function attributeProto(name: string, a: Attr): ProtoWriter {
  const w = new ProtoWriter().string(1, name); // name
  if ("f" in a) w.float(2, a.f).int(20, 1); // FLOAT
  else if ("i" in a) w.int(3, a.i).int(20, 2); // INT
  else if ("s" in a) w.string(4, a.s).int(20, 3); // STRING
  else if ("floats" in a) {
    for (const f of a.floats) w.float(7, f);
    w.int(20, 6); // FLOATS
  } else {
    for (const i of a.ints) w.int(8, i);
    w.int(20, 7); // INTS
  }
  return w;
}

function nodeProto(n: NodeSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [k, a] of Object.entries(n.attrs)) w.message(5, attributeProto(k, a));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function valueInfoProto(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = typeof d === "number" ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d); // dim_value | dim_param
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape); // elem_type, shape
  const type = new ProtoWriter().message(1, tensorType); // TypeProto.tensor_type
  return new ProtoWriter().string(1, v.name).message(2, type);
}

/** Serializes a model to ONNX protobuf bytes (as chunks; their concatenation is the .onnx file). */
export function encodeModel(m: ModelSpec): Uint8Array[] {
  const g = new ProtoWriter();
  for (const n of m.graph.nodes) g.message(1, nodeProto(n));
  g.string(2, m.graph.name);
  for (const t of m.graph.initializers.values()) g.message(5, tensorProto(t));
  for (const v of m.graph.inputs) g.message(11, valueInfoProto(v));
  for (const v of m.graph.outputs) g.message(12, valueInfoProto(v));

  const w = new ProtoWriter().int(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  w.message(7, g);
  for (const [domain, version] of Object.entries(m.opsets)) {
    const op = new ProtoWriter();
    if (domain) op.string(1, domain);
    w.message(8, op.int(2, version));
  }
  for (const [key, value] of Object.entries(m.metadata)) w.message(14, new ProtoWriter().string(1, key).string(2, value));
  return w.finish();
}
