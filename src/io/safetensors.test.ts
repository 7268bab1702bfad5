import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SbertError, type ErrorCode } from "../errors.js";
import {
  decodeTensorBytes,
  encodeTensorBytes,
  parseSafetensors,
  pickleWeightsError,
  readSafetensors,
  serializeSafetensors,
  toFloat32Array,
  toNumbers,
  writeSafetensors,
  type Dtype,
  type TensorRecord,
} from "./safetensors.js";

const MEAN = "test/fixtures/st-bert-mean/model.safetensors";
const DENSE = "test/fixtures/st-bert-cls-dense-normalize/2_Dense/model.safetensors";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sbert-safetensors-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A file from a raw header text and data bytes; `declared` overrides the length field. */
function build(header: string, data: Uint8Array | number = 0, declared?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const d = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

function u16le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(out.buffer).setUint16(2 * i, v, true));
  return out;
}

function expectSbertError(fn: () => unknown, code: ErrorCode, ...fragments: string[]): SbertError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SbertError);
  const err = caught as SbertError;
  expect(err.code).toBe(code);
  for (const f of fragments) expect(err.message).toContain(f);
  return err;
}

function headerLength(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
}

describe("writer + reader round trip", () => {
  it("round-trips F32, I64, metadata, a 0-dim tensor and a scalar", async () => {
    const path = join(dir, "roundtrip.safetensors");
    await writeSafetensors(
      path,
      {
        "b.weight": { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 1e-30, Number.POSITIVE_INFINITY, -0]) },
        "a.ids": { dtype: "I64", shape: [3], data: new BigInt64Array([1n, -5n, 9007199254740993n]) },
        empty: { shape: [0, 4], data: new Float32Array(0) },
        scalar: { shape: [], data: new Float32Array([Math.fround(0.1)]) },
      },
      { format: "pt", note: "hi" },
    );
    const bytes = await readFile(path);
    expect(headerLength(bytes) % 8).toBe(0);
    const file = await readSafetensors(path);
    expect(file.source).toBe(path);
    expect({ ...file.metadata }).toEqual({ format: "pt", note: "hi" });
    expect(file.names()).toEqual(["a.ids", "b.weight", "empty", "scalar"]);

    const w = file.get("b.weight");
    expect(w.dtype).toBe("F32");
    expect(w.shape).toEqual([2, 3]);
    expect(Array.from(w.data as Float32Array)).toEqual([1, -2, 3.5, Math.fround(1e-30), Infinity, -0]);
    const ids = file.get("a.ids");
    expect(ids.dtype).toBe("I64");
    expect(ids.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(ids.data as BigInt64Array)).toEqual([1n, -5n, 9007199254740993n]);
    expect(file.get("empty")).toMatchObject({ dtype: "F32", shape: [0, 4] });
    expect(file.get("empty").data.length).toBe(0);
    const s = file.get("scalar");
    expect(s.shape).toEqual([]);
    expect(Array.from(toFloat32Array(s))).toEqual([Math.fround(0.1)]);
    // I64 is laid out first (the Rust crate's descending-alignment order), so it stays 8-aligned.
    expect(file.info("a.ids").dataOffsets).toEqual([0, 24]);
    expect(file.info("b.weight").dataOffsets).toEqual([24, 48]);
  });

  it("accepts a Map, overwrites an existing file and iterates in name order", async () => {
    const path = join(dir, "map.safetensors");
    await writeFile(path, "old contents");
    await writeSafetensors(
      path,
      new Map([
        ["z", { shape: [1], data: new Float32Array([3]) }],
        ["y", { shape: [2], data: new Float32Array([1, 2]) }],
      ]),
    );
    const file = await readSafetensors(path);
    expect({ ...file.metadata }).toEqual({});
    const seen = [...file].map(([name, t]) => [name, Array.from(t.data as Float32Array)]);
    expect(seen).toEqual([
      ["y", [1, 2]],
      ["z", [3]],
    ]);
  });

  it("returns independent copies from get()", () => {
    const file = parseSafetensors(serializeSafetensors({ t: { shape: [2], data: new Float32Array([1, 2]) } }));
    const first = file.get("t");
    (first.data as Float32Array)[0] = 99;
    first.shape.push(7);
    expect(Array.from(file.get("t").data as Float32Array)).toEqual([1, 2]);
    expect(file.get("t").shape).toEqual([2]);
  });

  it("writes the same bytes as the Rust crate's serializer (its unit-test vectors)", () => {
    const data = new Float32Array([0, 1, 2, 3, 4, 5]);
    const dataBytes = new Uint8Array(data.buffer);
    const cases: [string, number[], string][] = [
      ["attn.0", [1, 2, 3], ""], // header is exactly 64 bytes: no padding
      ["attn0", [1, 1, 2, 3], "       "], // 65 bytes: padded with 7 spaces to 72
    ];
    for (const [name, shape, pad] of cases) {
      const json = `{"${name}":{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[0,24]}}${pad}`;
      expect(serializeSafetensors({ [name]: { shape, data } })).toEqual(build(json, dataBytes));
    }
    expect(serializeSafetensors({})).toEqual(build("{}      "));
    expect(serializeSafetensors({}, { framework: "pt" })).toEqual(build('{"__metadata__":{"framework":"pt"}}     '));
  });
});

describe("reading the Python fixtures", () => {
  it("reads st-bert-mean/model.safetensors", async () => {
    const file = await readSafetensors(MEAN);
    expect(file.metadata.format).toBe("pt");
    expect(file.names()).toHaveLength(39);
    for (const [, t] of file) expect(t.dtype).toBe("F32");
    const emb = file.get("embeddings.word_embeddings.weight");
    expect(emb.shape).toEqual([1000, 48]);
    expect(emb.data).toBeInstanceOf(Float32Array);
    expect(emb.data.length).toBe(48_000);
    expect(emb.data[47_999]).toBe(-0.02437574602663517);
    const bias = toFloat32Array(file.get("encoder.layer.1.output.dense.bias"));
    expect(Array.from(bias.slice(0, 3))).toEqual([0.06242181733250618, -0.1165216937661171, -0.05932127311825752]);
  });

  it("reads the Dense module's weights", async () => {
    const file = await readSafetensors(DENSE);
    expect(file.names()).toEqual(["linear.bias", "linear.weight"]);
    expect(Object.keys(file.metadata)).toEqual([]);
    const w = file.get("linear.weight");
    expect(w.shape).toEqual([32, 48]);
    expect(w.data[0]).toBe(-0.10131292790174484);
    expect(w.data[32 * 48 - 1]).toBe(0.04024988412857056);
    expect(file.get("linear.bias").data[0]).toBe(-0.06874802708625793);
  });

  it("re-serializes what Python wrote to identical bytes that read back identically", async () => {
    for (const fixture of [MEAN, DENSE]) {
      const original = await readSafetensors(fixture);
      const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
      for (const [name, t] of original) tensors.set(name, { shape: t.shape, data: toFloat32Array(t) });
      const hasMetadata = Object.keys(original.metadata).length > 0;
      const path = join(dir, "resaved.safetensors");
      await writeSafetensors(path, tensors, hasMetadata ? { ...original.metadata } : undefined);
      expect(Buffer.compare(await readFile(path), await readFile(fixture))).toBe(0);
      const again = await readSafetensors(path);
      expect(again.names()).toEqual(original.names());
      expect(again.metadata).toEqual(original.metadata);
      for (const name of original.names()) {
        const [a, b] = [again.get(name), original.get(name)];
        expect([a.dtype, a.shape]).toEqual([b.dtype, b.shape]);
        expect(Buffer.compare(Buffer.from(a.data.buffer), Buffer.from(b.data.buffer)), name).toBe(0);
      }
    }
  });
});

describe("dtype decoding", () => {
  it("decodes F16 exactly, subnormals, infinities and NaN included", () => {
    const codes = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555, 0x7e00];
    const file = parseSafetensors(build(`{"h":{"dtype":"F16","shape":[11],"data_offsets":[0,22]}}`, u16le(codes)));
    const t = file.get("h");
    expect(t.dtype).toBe("F16");
    expect(t.data).toBeInstanceOf(Float32Array);
    const v = Array.from(toFloat32Array(t));
    expect(v.slice(0, 10)).toEqual([1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, -0, 0.333251953125]);
    expect(Object.is(v[8], -0)).toBe(true);
    expect(v[10]).toBeNaN();
  });

  it("decodes BF16 by shifting into the high 16 bits", () => {
    const codes = [0x3f80, 0xc000, 0x7f80, 0xff80, 0x0001, 0x4049, 0x7fc0];
    const file = parseSafetensors(build(`{"b":{"dtype":"BF16","shape":[7],"data_offsets":[0,14]}}`, u16le(codes)));
    const t = file.get("b");
    expect(t.dtype).toBe("BF16");
    const v = Array.from(toFloat32Array(t));
    expect(v.slice(0, 6)).toEqual([1, -2, Infinity, -Infinity, 2 ** -133, 3.140625]);
    expect(v[6]).toBeNaN();
  });

  it("decodes integer, bool and F64 tensors, also at unaligned offsets", () => {
    const data = new Uint8Array(1 + 8 + 4 + 2 + 1 + 8 + 8);
    const dv = new DataView(data.buffer);
    dv.setUint8(0, 2); // BOOL (nonzero -> 1)
    dv.setFloat64(1, 0.1, true);
    dv.setInt32(9, -7, true);
    dv.setInt16(13, -300, true);
    dv.setInt8(15, -3);
    dv.setBigUint64(16, 2n ** 64n - 1n, true);
    dv.setBigInt64(24, -(2n ** 60n), true);
    const header = JSON.stringify({
      flag: { dtype: "BOOL", shape: [1], data_offsets: [0, 1] },
      f64: { dtype: "F64", shape: [1], data_offsets: [1, 9] },
      i32: { dtype: "I32", shape: [1], data_offsets: [9, 13] },
      i16: { dtype: "I16", shape: [1], data_offsets: [13, 15] },
      i8: { dtype: "I8", shape: [], data_offsets: [15, 16] },
      u64: { dtype: "U64", shape: [1], data_offsets: [16, 24] },
      i64: { dtype: "I64", shape: [1], data_offsets: [24, 32] },
    });
    const file = parseSafetensors(build(header, data));
    expect(Array.from(file.get("flag").data as Uint8Array)).toEqual([1]);
    const f64 = file.get("f64");
    expect(f64.data).toBeInstanceOf(Float64Array);
    expect(f64.data[0]).toBe(0.1);
    expect(toFloat32Array(f64)[0]).toBe(Math.fround(0.1));
    expect(toNumbers(file.get("i32"))).toEqual([-7]);
    expect(toNumbers(file.get("i16"))).toEqual([-300]);
    expect(toNumbers(file.get("i8"))).toEqual([-3]);
    expect((file.get("u64").data as BigUint64Array)[0]).toBe(2n ** 64n - 1n);
    expectSbertError(() => toNumbers(file.get("u64")), "INVALID_INPUT", "BigInt");
    expectSbertError(() => toFloat32Array(file.get("i64")), "INVALID_INPUT", "I64");
  });

  it("gives the same values and bytes on the portable (big-endian host) path", () => {
    const raw = new Uint8Array(1 + 32);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 37 + 11) & 0xff;
    const unaligned = raw.subarray(1);
    const dtypes: Dtype[] = ["F64", "F32", "F16", "BF16", "I64", "U64", "I32", "U32", "I16", "U16", "I8", "U8", "BOOL"];
    for (const dtype of dtypes) {
      const fast = decodeTensorBytes(dtype, unaligned, true);
      const portable = decodeTensorBytes(dtype, unaligned, false);
      expect(portable, dtype).toEqual(fast);
    }
    const floats = new Float32Array([1.5, -0, Number.NaN, 3e38, 1e-45]);
    const longs = new BigInt64Array([1n, -(2n ** 63n), 2n ** 63n - 1n]);
    for (const data of [floats, longs]) {
      const [fast, portable] = [new Uint8Array(1 + data.byteLength), new Uint8Array(1 + data.byteLength)];
      encodeTensorBytes(data, fast, 1, true);
      encodeTensorBytes(data, portable, 1, false);
      expect(portable).toEqual(fast);
    }
    const ids = toNumbers({ dtype: "I64", shape: [2], data: new BigInt64Array([3n, -4n]) } satisfies TensorRecord);
    expect(ids).toEqual([3, -4]);
  });
});

describe("validation", () => {
  const f32 = (offsets: [number, number], shape: number[] = [1]) => ({ dtype: "F32", shape, data_offsets: offsets });
  const bad: [string, Uint8Array, ErrorCode, string][] = [
    ["a file shorter than 8 bytes", new Uint8Array(5), "INVALID_MODEL_FILE", "fewer than the 8-byte"],
    ["a header length larger than the file", build("{}", 0, 4096n), "INVALID_MODEL_FILE", "claims 4096 bytes"],
    ["a header length above the bound", build("{}", 0, 2n ** 40n), "INVALID_MODEL_FILE", "above the 100000000-byte limit"],
    ["a header that is not UTF-8", build('{"\u00ff":1}').map((b, i) => (i === 10 ? 0xff : b)), "INVALID_MODEL_FILE", "UTF-8"],
    ["a header that is not JSON", build("{not json"), "INVALID_MODEL_FILE", "not valid JSON"],
    ["a header that is an array", build("[1,2]   "), "INVALID_MODEL_FILE", "not a JSON object"],
    ["a tensor entry that is not an object", build('{"t":[1]}'), "INVALID_MODEL_FILE", 'tensor "t" is not an object'],
    ["a tensor without dtype", build('{"t":{"shape":[1],"data_offsets":[0,4]}}', 4), "INVALID_MODEL_FILE", '"dtype"'],
    ["a tensor without shape", build('{"t":{"dtype":"F32","data_offsets":[0,4]}}', 4), "INVALID_MODEL_FILE", '"shape"'],
    ["a tensor without offsets", build('{"t":{"dtype":"F32","shape":[1]}}', 4), "INVALID_MODEL_FILE", '"data_offsets"'],
    ["a negative dim", build(JSON.stringify({ t: f32([0, 4], [-1]) }), 4), "INVALID_MODEL_FILE", "non-negative integers"],
    ["a fractional dim", build(JSON.stringify({ t: f32([0, 4], [1.5]) }), 4), "INVALID_MODEL_FILE", "non-negative integers"],
    ["three offsets", build('{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', 4), "INVALID_MODEL_FILE", "[begin, end]"],
    ["a negative offset", build(JSON.stringify({ t: f32([-4, 0]) }), 4), "INVALID_MODEL_FILE", "[begin, end]"],
    ["begin after end", build(JSON.stringify({ t: f32([4, 0]) }), 4), "INVALID_MODEL_FILE", "begin <= end"],
    ["offsets beyond the buffer", build(JSON.stringify({ t: f32([0, 8], [2]) }), 4), "INVALID_MODEL_FILE", "ends at byte 8"],
    ["a length/shape mismatch", build(JSON.stringify({ t: f32([0, 8]) }), 8), "INVALID_MODEL_FILE", "need 4"],
    ["overlapping tensors", build(JSON.stringify({ a: f32([0, 8], [2]), b: f32([4, 8]) }), 8), "INVALID_MODEL_FILE", "overlaps"],
    ["a hole between tensors", build(JSON.stringify({ a: f32([0, 4]), b: f32([8, 12]) }), 12), "INVALID_MODEL_FILE", "bytes 4..8"],
    ["trailing bytes", build(JSON.stringify({ a: f32([0, 4]) }), 8), "INVALID_MODEL_FILE", "trailing"],
    ["a non-string metadata value", build('{"__metadata__":{"n":1}}'), "INVALID_MODEL_FILE", "__metadata__"],
    ["an unknown dtype", build('{"t":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}', 1), "UNSUPPORTED_FORMAT", '"Q7"'],
    ["an fp8 dtype", build('{"t":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', 1), "UNSUPPORTED_FORMAT", "F8_E4M3"],
    ["a __proto__ key that is not a tensor", build('{"__proto__":{"polluted":"yes"}}'), "INVALID_MODEL_FILE", "__proto__"],
  ];
  for (const [what, bytes, code, fragment] of bad) {
    it(`rejects ${what}`, () => {
      expectSbertError(() => parseSafetensors(bytes, "bad.safetensors"), code, "bad.safetensors", fragment);
      expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    });
  }

  it("honours maxHeaderBytes", () => {
    const bytes = build('{"__metadata__":{"k":"a long enough value"}}');
    expect(parseSafetensors(bytes).metadata.k).toBe("a long enough value");
    expectSbertError(() => parseSafetensors(bytes, "x", { maxHeaderBytes: 16 }), "INVALID_MODEL_FILE", "16-byte limit");
    expectSbertError(() => parseSafetensors(bytes, "x", { maxHeaderBytes: -1 }), "INVALID_INPUT", "maxHeaderBytes");
  });

  it("keeps __proto__ keys as plain data", () => {
    const header = '{"__metadata__":{"__proto__":"m","format":"pt"},"__proto__":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}';
    const file = parseSafetensors(build(header, new Uint8Array([5, 6])));
    expect(Object.getPrototypeOf(file.metadata)).toBeNull();
    expect(Object.keys(file.metadata).sort()).toEqual(["__proto__", "format"]);
    expect(file.metadata["__proto__"]).toBe("m");
    expect(file.names()).toEqual(["__proto__"]);
    expect(file.has("__proto__")).toBe(true);
    expect(file.has("constructor")).toBe(false);
    expect(Array.from(file.get("__proto__").data as Uint8Array)).toEqual([5, 6]);
    expect(({} as Record<string, unknown>)["dtype"]).toBeUndefined();
  });

  it("names a missing tensor, lists a shortened inventory and suggests a prefix fix", async () => {
    const file = await readSafetensors(MEAN);
    const err = expectSbertError(() => file.get("bert.pooler.dense.weight"), "INVALID_INPUT", MEAN, '"bert.pooler.dense.weight"');
    expect(err.message).toContain('Did you mean "pooler.dense.weight"');
    expect(err.message).toContain("39 tensors");
    expect(err.message).toContain("(31 more)");
    expectSbertError(() => file.info("nope"), "INVALID_INPUT", '"nope"');
  });

  it("reports a missing file as FILE_NOT_FOUND", async () => {
    await expect(readSafetensors(join(dir, "absent.safetensors"))).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
  });
});

describe("writer failures", () => {
  it("rejects bad tensors before touching the disk", async () => {
    const sub = await mkdtemp(join(dir, "bad-input-"));
    const path = join(sub, "m.safetensors");
    const cases: [Parameters<typeof writeSafetensors>[1], ErrorCode][] = [
      [{ t: { shape: [3], data: new Float32Array(2) } }, "SHAPE_MISMATCH"],
      [{ t: { shape: [-1], data: new Float32Array(0) } }, "INVALID_INPUT"],
      [{ t: { dtype: "I64", shape: [1], data: new Float32Array(1) } }, "INVALID_INPUT"],
      [{ __metadata__: { shape: [1], data: new Float32Array(1) } }, "INVALID_INPUT"],
    ];
    for (const [tensors, code] of cases) {
      await expect(writeSafetensors(path, tensors)).rejects.toMatchObject({ name: "SbertError", code });
    }
    expect(await readdir(sub)).toEqual([]);
  });

  it("leaves no temp file when the target folder is missing", async () => {
    const sub = await mkdtemp(join(dir, "missing-"));
    const path = join(sub, "nope", "m.safetensors");
    await expect(writeSafetensors(path, { t: { shape: [1], data: new Float32Array(1) } })).rejects.toMatchObject({
      code: "FILE_NOT_FOUND",
    });
    expect(await readdir(sub)).toEqual([]);
  });

  it("removes its temp file when the final rename fails", async () => {
    const sub = await mkdtemp(join(dir, "rename-"));
    const path = join(sub, "m.safetensors");
    await mkdir(path); // a folder where the file should go: rename fails after the temp was written
    await expect(writeSafetensors(path, { t: { shape: [1], data: new Float32Array(1) } })).rejects.toBeInstanceOf(SbertError);
    expect(await readdir(sub)).toEqual(["m.safetensors"]);
    expect(await readdir(path)).toEqual([]);
  });
});

describe("pickleWeightsError", () => {
  it("refuses pickle weights and says how to convert them", () => {
    const err = pickleWeightsError("/models/x/pytorch_model.bin");
    expect(err).toBeInstanceOf(SbertError);
    expect(err.code).toBe("UNSUPPORTED_FORMAT");
    expect(err.message).toContain("/models/x/pytorch_model.bin");
    expect(err.message).toContain("from safetensors.torch import save_file");
    expect(err.message).toContain("safe_serialization=True");
  });
});
