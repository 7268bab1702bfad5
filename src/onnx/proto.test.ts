import { describe, expect, it } from "vitest";
import { DataType } from "./graph.js";
import { GraphBuilder } from "./graph-builder.js";
import { readFields, summarizeOnnx } from "./proto-reader.js";
import { ProtoWriter, encodeModel, littleEndianBytes } from "./proto-writer.js";

const concat = (chunks: Uint8Array[]): Uint8Array => Buffer.concat(chunks);

describe("ProtoWriter", () => {
  it("writes varints, negative int64 as 10 bytes, fixed32 floats and nested messages", () => {
    const w = new ProtoWriter().int(1, 1).int(2, 300).int(3, -1).float(4, 1.5).message(5, new ProtoWriter().string(1, "ab"));
    const bytes = concat(w.finish());
    expect(Array.from(bytes.subarray(0, 5))).toEqual([0x08, 0x01, 0x10, 0xac, 0x02]);
    expect(bytes.length).toBe(w.length);
    const f = readFields(bytes);
    expect(f.map((x) => x.field)).toEqual([1, 2, 3, 4, 5]);
    expect(f[1]?.value).toBe(300n);
    expect(BigInt.asIntN(64, f[2]?.value as bigint)).toBe(-1n);
    expect(new DataView(Uint8Array.from(f[3]?.value as Uint8Array).buffer).getFloat32(0, true)).toBe(1.5);
    expect(Array.from(readFields(f[4]?.value as Uint8Array)[0]?.value as Uint8Array)).toEqual([97, 98]);
  });

  it("keeps large byte fields by reference (no copy until written)", () => {
    const big = new Uint8Array(1000).fill(7);
    const chunks = new ProtoWriter().bytes(9, big).finish();
    expect(chunks.some((c) => c === big)).toBe(true);
  });

  it("byte-swaps tensor data on big-endian hosts", () => {
    // told the host is big-endian, the element's bytes are reversed (here: simulated on a little-endian host)
    expect(Array.from(littleEndianBytes(Int32Array.from([1]), false))).toEqual([0, 0, 0, 1]);
    expect(Array.from(littleEndianBytes(Float32Array.from([1]), true))).toEqual([0, 0, 0x80, 0x3f]);
    expect(Array.from(littleEndianBytes(Int8Array.from([-1, 2]), false))).toEqual([255, 2]);
  });
});

describe("encodeModel", () => {
  it("writes a ModelProto that the reader summarizes back", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", DataType.FLOAT, ["n", 2]);
    const w = b.tensor("w", DataType.FLOAT, [2, 2], Float32Array.from([1, 2, 3, 4]));
    b.output(b.op("MatMul", [x, w]), "y", DataType.FLOAT, ["n", 2]);
    b.op("Relu", [x]); // dead: pruned by build()
    const bytes = concat(encodeModel({ irVersion: 8, opsets: { "": 17, "com.microsoft": 1 }, producerName: "p", producerVersion: "1", graph: b.build(), metadata: { k: "v" } }));
    const s = summarizeOnnx(bytes);
    expect(s).toEqual({
      irVersion: 8,
      producerName: "p",
      opsets: { "": 17, "com.microsoft": 1 },
      inputs: ["x"],
      outputs: ["y"],
      opCounts: { MatMul: 1 },
      initializerCount: 1,
      metadata: { k: "v" },
    });
  });

  it("rejects a truncated file", () => {
    expect(() => summarizeOnnx(Uint8Array.from([0x3a, 0x05, 0x01]))).toThrow(/truncated/);
  });
});
