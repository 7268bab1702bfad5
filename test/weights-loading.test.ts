/**
 * Weights loading: sharded checkpoints (index validated), files over 2 GiB (read by ranges, never
 * whole), weights paths that are not regular files, NaN / Inf weights refused at load, and error
 * messages that never quote bytes of a file outside the model folder.
 */
import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, open, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SentenceTransformer } from "../src/index.js";
import { exportOnnx } from "../src/onnx/index.js";
import { readSafetensors, writeSafetensors } from "../src/tensor/index.js";
import { openSafetensors } from "../src/io/safetensors-file.js";
import { buildHeader, type HeaderEntry } from "../src/io/safetensors-header.js";
import { toFloat32Array } from "../src/io/safetensors.js";
import { loadParamStore } from "../src/modules/weights.js";
import { FIXTURES } from "./helpers/fixtures.js";
import { shardedFiles } from "./helpers/sharded.js";
import { failure } from "./helpers/errors.js";

const MEAN = join(FIXTURES, "st-bert-mean");
const TEXTS = ["a dog runs", "the cat sits on the mat"];
let tmp: string;
let expected: Float32Array;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-weights-"));
  const model = await SentenceTransformer.load(MEAN, { backend: "native" });
  expected = (await model.encode(TEXTS)).data;
  await model.dispose();
});

afterAll(() => rm(tmp, { recursive: true, force: true }));

async function writeFolder(name: string, files: Record<string, Uint8Array>): Promise<string> {
  const dir = join(tmp, name);
  for (const [path, body] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), body);
  }
  return dir;
}

/** A copy of st-bert-mean without its weights (and without its ONNX files). */
async function withoutWeights(name: string): Promise<string> {
  const dir = join(tmp, name);
  await cp(MEAN, dir, { recursive: true, filter: (src) => !src.endsWith("model.safetensors") && !src.includes("/onnx") });
  return dir;
}

async function encode(dir: string, backend: "native" | "onnx" = "native"): Promise<Float32Array> {
  const model = await SentenceTransformer.load(dir, { backend });
  try {
    return (await model.encode(TEXTS)).data;
  } finally {
    await model.dispose();
  }
}

describe("sharded checkpoints", () => {
  it("two shards + model.safetensors.index.json give the same embeddings as the single file (native and exported ONNX)", async () => {
    const dir = await writeFolder("sharded", await shardedFiles(MEAN));
    expect(Array.from(await encode(dir))).toEqual(Array.from(expected));
    await exportOnnx(dir);
    const onnx = await encode(dir, "onnx");
    for (let i = 0; i < onnx.length; i++) expect(Math.abs((onnx[i] as number) - (expected[i] as number))).toBeLessThan(1e-5);
  });

  const cases: [string, (index: { weight_map: Record<string, string> }) => void, string][] = [
    ["a shard path that leaves the folder", (i) => void (i.weight_map["pooler.dense.bias"] = "../model-00001-of-00002.safetensors"), "a shard must be a .safetensors file in the same folder"],
    ["an absolute shard path", (i) => void (i.weight_map["pooler.dense.bias"] = "/etc/passwd"), "a shard must be a .safetensors file in the same folder"],
    ["a shard in a subfolder", (i) => void (i.weight_map["pooler.dense.bias"] = "sub/x.safetensors"), "a shard must be a .safetensors file in the same folder"],
    ["a tensor listed in the wrong shard", (i) => swapFirst(i.weight_map), "says it is in"],
    ["a tensor the index lists but no shard holds", (i) => void (i.weight_map["encoder.extra.weight"] = "model-00001-of-00002.safetensors"), 'lists tensor "encoder.extra.weight"'],
    ["a tensor that no entry lists", (i) => void delete i.weight_map[Object.keys(i.weight_map)[0] as string], "does not list it"],
    ["an empty weight_map", (i) => void (i.weight_map = {}), "the weight_map is empty"],
  ];
  it.each(cases)("refuses %s (INVALID_MODEL_FILE)", async (what, edit, fragment) => {
    const dir = await writeFolder(`bad-index-${what.replace(/\W+/g, "-")}`, await shardedFiles(MEAN, edit));
    const e = await failure(loadParamStore(dir));
    expect(e.code).toBe("INVALID_MODEL_FILE");
    expect(e.message).toContain(fragment);
  });

  it("a missing shard is FILE_NOT_FOUND naming it", async () => {
    const files = await shardedFiles(MEAN);
    delete files["model-00002-of-00002.safetensors"];
    const e = await failure(loadParamStore(await writeFolder("missing-shard", files)));
    expect(e.code).toBe("FILE_NOT_FOUND");
    expect(e.message).toContain("model-00002-of-00002.safetensors is missing");
  });
});

function swapFirst(map: Record<string, string>): void {
  const first = Object.keys(map)[0] as string;
  map[first] = map[first] === "model-00001-of-00002.safetensors" ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
}

describe("weights over 2 GiB", () => {
  it("loads a 2.2 GB (sparse) file whose tensors lie beyond 2 GiB, without reading it whole", async () => {
    // A U8 padding tensor (skipped by the loader, never read) fills the first 2.2 GB of the data
    // buffer; the model's real tensors follow it, so every byte the loader reads is past 2^31.
    const source = await readSafetensors(join(MEAN, "model.safetensors"));
    const PAD = 2_200_000_000;
    const entries: HeaderEntry[] = [{ name: "zz_padding", dtype: "U8", shape: [PAD], dataOffsets: [0, PAD] }];
    const datas: Float32Array[] = [];
    let at = PAD;
    for (const [name, t] of source) {
      const data = toFloat32Array(t);
      entries.push({ name, dtype: "F32", shape: t.shape, dataOffsets: [at, at + data.byteLength] });
      datas.push(data);
      at += data.byteLength;
    }
    const header = buildHeader(entries, { format: "pt" });
    const dir = await withoutWeights("big");
    const path = join(dir, "model.safetensors");
    const fh = await open(path, "w");
    try {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(header.byteLength));
      await fh.write(len, 0, 8, 0);
      await fh.write(header, 0, header.byteLength, 8);
      let pos = 8 + header.byteLength + PAD;
      for (const d of datas) {
        await fh.write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), 0, d.byteLength, pos);
        pos += d.byteLength;
      }
    } finally {
      await fh.close();
    }
    const file = await openSafetensors(path);
    try {
      expect(file.size).toBeGreaterThan(2 ** 31);
    } finally {
      await file.close();
    }
    const rssBefore = process.memoryUsage().rss;
    expect(Array.from(await encode(dir))).toEqual(Array.from(expected));
    // The loader held the real tensors (~0.4 MB), not the file: far below its 2.2 GB.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(PAD / 4);
  });
});

describe("weights that are not a regular file", () => {
  const kinds: [string, (path: string) => Promise<void>, string][] = [
    ["a symlink to /dev/zero", (p) => symlink("/dev/zero", p), "is a device"],
    ["a FIFO", async (p) => void execFileSync("mkfifo", [p]), "is a FIFO"],
    ["a folder", (p) => mkdir(p), "is a folder"],
  ];
  it.each(kinds)("refuses %s as model.safetensors with INVALID_MODEL_FILE", async (what, make, fragment) => {
    const dir = await withoutWeights(`odd-${what.replace(/\W+/g, "-")}`);
    await make(join(dir, "model.safetensors"));
    const e = await failure(SentenceTransformer.load(dir, { backend: "native" }));
    expect(e.code).toBe("INVALID_MODEL_FILE");
    expect(e.message).toContain(`model.safetensors ${fragment}, not a regular file`);
  });

  it("refuses a shard index that is not a regular file", async () => {
    const dir = await withoutWeights("odd-index");
    await symlink("/dev/zero", join(dir, "model.safetensors.index.json"));
    const e = await failure(loadParamStore(dir));
    expect(e.code).toBe("INVALID_MODEL_FILE");
    expect(e.message).toContain("is not a regular file");
  });
});

describe("non-finite weights", () => {
  it("are refused at load, naming the tensor and the count", async () => {
    const dir = await withoutWeights("nan-weights");
    const file = await readSafetensors(join(MEAN, "model.safetensors"));
    const tensors: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
    for (const [n, t] of file) tensors[n] = { shape: t.shape, data: toFloat32Array(t) };
    const bias = tensors["encoder.layer.0.output.dense.bias"] as { data: Float32Array };
    bias.data[3] = NaN;
    bias.data[5] = Infinity;
    bias.data[7] = NaN;
    await writeSafetensors(join(dir, "model.safetensors"), tensors, file.metadata);
    for (const backend of ["native", "onnx"] as const) {
      const e = await failure(SentenceTransformer.load(dir, { backend }));
      expect(e.code).toBe("INVALID_MODEL_FILE");
      expect(e.message).toContain('tensor "encoder.layer.0.output.dense.bias" holds 3 NaN or infinite values (of');
    }
  });
});

describe("errors never quote a file outside the model folder", () => {
  const SECRET = "root:x:0:0:root:/root:/bin/bash\nsecret-line\n";
  for (const name of ["config.json", "tokenizer.json", "modules.json", "1_Pooling/config.json", "model.safetensors.index.json"]) {
    it(`a symlinked ${name} that is not JSON: the message names the path, not the bytes`, async () => {
      const dir = join(tmp, `leak-${name.replace(/\W+/g, "-")}`);
      await cp(MEAN, dir, { recursive: true, filter: (src) => !src.includes("/onnx") });
      const outside = join(tmp, `outside-${name.replace(/\W+/g, "-")}`);
      await writeFile(outside, SECRET);
      if (name.endsWith("index.json")) await rm(join(dir, "model.safetensors"));
      await rm(join(dir, name), { force: true });
      await symlink(outside, join(dir, name));
      const e = await failure(SentenceTransformer.load(dir, { backend: "native" }));
      expect(e.code).toBe("INVALID_MODEL_FILE");
      expect(e.message).toContain(name);
      expect(e.message).not.toContain("root");
      expect(String((e as { cause?: unknown }).cause ?? "")).not.toContain("root");
    });
  }

  it("a symlinked model.safetensors pointing at a text file: no bytes quoted", async () => {
    const dir = await withoutWeights("leak-weights");
    const outside = join(tmp, "outside-weights");
    await writeFile(outside, `{"a":1,"b":"${"s".repeat(8)}` + SECRET);
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64LE(BigInt((await readFile(outside)).length - 8));
    await writeFile(outside, Buffer.concat([bytes, await readFile(outside)]));
    await symlink(outside, join(dir, "model.safetensors"));
    const e = await failure(SentenceTransformer.load(dir, { backend: "native" }));
    expect(e.code).toBe("INVALID_MODEL_FILE");
    expect(e.message).not.toContain("root");
  });
});
