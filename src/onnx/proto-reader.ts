import { SbertError } from "../errors.js";

/** One field of a protobuf message: varints as bigint, fixed32/64 as raw bytes, length-delimited as bytes. */
export interface ProtoField {
  field: number;
  wireType: number;
  value: bigint | Uint8Array;
}

/** Splits one protobuf message into its fields (no schema: nested messages stay bytes). */
export function readFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new SbertError("INVALID_MODEL_FILE", "truncated protobuf varint");
      const b = buf[pos++] as number;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > buf.length) throw new SbertError("INVALID_MODEL_FILE", "truncated protobuf field");
    const v = buf.subarray(pos, pos + n);
    pos += n;
    return v;
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wireType = key & 7;
    if (wireType === 0) out.push({ field, wireType, value: varint() });
    else if (wireType === 1) out.push({ field, wireType, value: take(8) });
    else if (wireType === 2) out.push({ field, wireType, value: take(Number(varint())) });
    else if (wireType === 5) out.push({ field, wireType, value: take(4) });
    else throw new SbertError("INVALID_MODEL_FILE", `unsupported protobuf wire type ${wireType}`);
  }
  return out;
}

const text = (v: bigint | Uint8Array): string => (v instanceof Uint8Array ? new TextDecoder().decode(v) : "");
const bytes = (v: bigint | Uint8Array): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array());
const signed = (v: bigint | Uint8Array): number => (typeof v === "bigint" ? Number(BigInt.asIntN(64, v)) : 0);

/** What a model file declares, read without running it. */
export interface OnnxSummary {
  irVersion: number;
  producerName: string;
  /** Domain ("" = ai.onnx) → opset version. */
  opsets: Record<string, number>;
  inputs: string[];
  outputs: string[];
  /** Op type → node count (contrib ops as `com.microsoft:Attention`). */
  opCounts: Record<string, number>;
  initializerCount: number;
  metadata: Record<string, string>;
}

/** Reads the header of an ONNX ModelProto: versions, opsets, graph input/output names, op counts. */
export function summarizeOnnx(buf: Uint8Array): OnnxSummary {
  const s: OnnxSummary = { irVersion: 0, producerName: "", opsets: {}, inputs: [], outputs: [], opCounts: {}, initializerCount: 0, metadata: {} };
  for (const f of readFields(buf)) {
    if (f.field === 1) s.irVersion = signed(f.value);
    else if (f.field === 2) s.producerName = text(f.value);
    else if (f.field === 8) {
      let domain = "";
      let version = 0;
      for (const o of readFields(bytes(f.value))) {
        if (o.field === 1) domain = text(o.value);
        if (o.field === 2) version = signed(o.value);
      }
      s.opsets[domain === "ai.onnx" ? "" : domain] = version;
    } else if (f.field === 14) {
      const kv = readFields(bytes(f.value));
      s.metadata[text(kv.find((x) => x.field === 1)?.value ?? 0n)] = text(kv.find((x) => x.field === 2)?.value ?? 0n);
    } else if (f.field === 7) {
      for (const g of readFields(bytes(f.value))) {
        const name = (): string => text(readFields(bytes(g.value)).find((x) => x.field === 1)?.value ?? 0n);
        if (g.field === 11) s.inputs.push(name());
        else if (g.field === 12) s.outputs.push(name());
        else if (g.field === 5) s.initializerCount++;
        else if (g.field === 1) {
          const node = readFields(bytes(g.value));
          const op = text(node.find((x) => x.field === 4)?.value ?? 0n);
          const domain = text(node.find((x) => x.field === 7)?.value ?? 0n);
          const key = domain && domain !== "ai.onnx" ? `${domain}:${op}` : op;
          s.opCounts[key] = (s.opCounts[key] ?? 0) + 1;
        }
      }
    }
  }
  return s;
}
