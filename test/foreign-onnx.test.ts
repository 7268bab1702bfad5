import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EncoderBatch } from "../src/architectures/encoder.js";
import { OnnxBackend } from "../src/backends/onnx-backend.js";
import { SentenceTransformer } from "../src/index.js";
import { GraphBuilder } from "../src/onnx/graph-builder.js";
import { DataType, IR_VERSION, OPSET } from "../src/onnx/graph.js";
import { writeOnnxModel } from "../src/onnx/write-model.js";
import { runCli } from "./helpers/cli.js";
import { FIXTURES, maxAbsDiff, readGolden } from "./helpers/fixtures.js";
import { copyFixture } from "./helpers/temp-model.js";

/**
 * A model type with no definition here, shipping its own ONNX export, runs on the onnx backend
 * (issue 12 item 4). The folder is st-bert-mean (which ships onnx/model.onnx) with config.json's
 * model_type renamed and its safetensors weights removed: the embeddings must still equal Python's.
 */
const golden = readGolden(join(FIXTURES, "st-bert-mean"));
const sentences = golden["sentences"] as string[];

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await copyFixture("st-bert-mean"));
  const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(dir, "config.json"), JSON.stringify({ ...config, model_type: "acme-encoder", architectures: ["AcmeModel"] }));
  await rm(join(dir, "model.safetensors"));
});
afterAll(() => cleanup());

describe("a model type without a definition, from its shipped ONNX file", () => {
  it("encodes on auto and onnx as Python does (≤ 1e-5)", async () => {
    for (const backend of ["auto", "onnx"] as const) {
      const model = await SentenceTransformer.load(dir, { backend, threads: 1 });
      try {
        expect(model.transformer.backend.name).toBe("onnx");
        const emb = await model.encode(sentences, { batchSize: 4 });
        expect(maxAbsDiff(emb, golden["embeddings"])).toBeLessThanOrEqual(1e-5);
      } finally {
        await model.dispose();
      }
    }
  });

  it("refuses the native backend, naming the model type, the supported ones and the way that works", async () => {
    await expect(SentenceTransformer.load(dir, { backend: "native" })).rejects.toMatchObject({
      code: "UNSUPPORTED_FORMAT",
      message: expect.stringMatching(/^model_type "acme-encoder" has no native implementation here \(supported natively: bert, .*mpnet.*\); .* ships onnx\/model\.onnx: load it with backend "onnx"/),
    });
  });

  it("without the ONNX file fails with the model type and the supported ones", async () => {
    const bare = await copyFixture("st-bert-mean");
    try {
      const config = JSON.parse(await readFile(join(bare.dir, "config.json"), "utf8")) as Record<string, unknown>;
      await writeFile(join(bare.dir, "config.json"), JSON.stringify({ ...config, model_type: "acme-encoder" }));
      await rm(join(bare.dir, "onnx"), { recursive: true });
      for (const backend of ["auto", "onnx", "native"] as const) {
        await expect(SentenceTransformer.load(bare.dir, { backend })).rejects.toMatchObject({
          code: "UNSUPPORTED_FORMAT",
          message: expect.stringMatching(/^model_type "acme-encoder" has no native implementation here \(supported natively: bert, .*\); a folder that ships an ONNX export \(onnx\/model\.onnx\) runs on the onnx backend, and this one has none$/),
        });
      }
    } finally {
      await bare.cleanup();
    }
  });

  it("encodes through the CLI, and `sbert info` says it runs from the ONNX file only", async () => {
    const input = join(dir, "texts.txt");
    const output = join(dir, "out.jsonl");
    await writeFile(input, "a first text\nanother one\n");
    const enc = await runCli(["encode", "-m", dir, "-i", input, "-o", output]);
    expect(enc.stderr).toBe("");
    expect(enc.code).toBe(0);
    const rows = (await readFile(output, "utf8")).trim().split("\n");
    expect(rows).toHaveLength(2);
    const info = await runCli(["info", "-m", dir, "--json"]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ architecture: "acme-encoder", engines: ["onnx"], backend: "onnx" });
    const text = await runCli(["info", "-m", dir]);
    expect(text.stdout).toMatch(/engines: +onnx only/);
    const bert = await runCli(["info", "-m", join(FIXTURES, "st-bert-mean"), "--json"]);
    expect(JSON.parse(bert.stdout)).toMatchObject({ engines: ["native", "onnx"] });
  });
});

/**
 * A decoder export (Optimum / transformers.js) takes position_ids and an empty key/value cache: a
 * small graph with those inputs shows what each is fed. last_hidden_state[b, t] = tok[id] + pos[p]
 * + Σ past (0 for an empty cache) + (use_cache_branch ? 100 : 0).
 */
describe("OnnxBackend feeds a shipped decoder export by its own input names", () => {
  async function decoderGraph(path: string, extraInput?: string): Promise<void> {
    const b = new GraphBuilder("decoder");
    const ids = b.input("input_ids", DataType.INT64, ["batch_size", "sequence_length"]);
    b.input("attention_mask", DataType.INT64, ["batch_size", "sequence_length"]);
    const pos = b.input("position_ids", DataType.INT64, ["batch_size", "sequence_length"]);
    const pastK = b.input("past_key_values.0.key", DataType.FLOAT, ["batch_size", 2, "past_sequence_length", 3]);
    const pastV = b.input("past_key_values.0.value", DataType.FLOAT, ["batch_size", 2, "past_sequence_length", 3]);
    const branch = b.input("use_cache_branch", DataType.BOOL, [1]);
    if (extraInput) b.input(extraInput, DataType.FLOAT, [1]);
    const tok = b.tensor("tok", DataType.FLOAT, [10, 2], Float32Array.from({ length: 20 }, (_, i) => i));
    const posT = b.tensor("pos", DataType.FLOAT, [8, 2], Float32Array.from({ length: 16 }, (_, i) => 1000 * i));
    let x = b.op("Add", [b.op("Gather", [tok, ids]), b.op("Gather", [posT, pos])]);
    x = b.op("Add", [x, b.op("Add", [b.op("ReduceSum", [pastK], { keepdims: { i: 0 } }), b.op("ReduceSum", [pastV], { keepdims: { i: 0 } })])]);
    const hundred = b.tensor("hundred", DataType.FLOAT, [1], Float32Array.from([100]));
    x = b.op("Add", [x, b.op("Mul", [b.op("Cast", [branch], { to: { i: DataType.FLOAT } }), hundred])]);
    b.output(x, "last_hidden_state", DataType.FLOAT, ["batch_size", "sequence_length", 2]);
    await writeOnnxModel({ irVersion: IR_VERSION, opsets: { "": OPSET }, producerName: "test", producerVersion: "0", graph: b.build(), metadata: {} }, path);
  }

  const batch: EncoderBatch = { batchSize: 2, seqLen: 3, inputIds: Int32Array.from([1, 2, 3, 0, 4, 5]), attentionMask: Int32Array.from([1, 1, 1, 0, 1, 1]), tokenTypeIds: new Int32Array(6) };

  it("position ids 0..T−1 in every row (as sentence-transformers, which passes none), an empty cache, the no-cache branch", async () => {
    const path = join(dir, "decoder.onnx");
    await decoderGraph(path);
    const backend = await OnnxBackend.create(path, { threads: 1 });
    try {
      const out = await backend.run(batch);
      const expected: number[] = [];
      for (let r = 0; r < 2; r++) for (let t = 0; t < 3; t++) for (let c = 0; c < 2; c++) expected.push(2 * (batch.inputIds[r * 3 + t] as number) + c + 1000 * (2 * t + c));
      expect(Array.from(out.tokenEmbeddings?.data ?? [])).toEqual(expected);
    } finally {
      await backend.dispose();
    }
  });

  it("refuses, at load, an input it would not know how to fill", async () => {
    const path = join(dir, "odd.onnx");
    await decoderGraph(path, "pixel_values");
    await expect(OnnxBackend.create(path)).rejects.toMatchObject({
      code: "INVALID_MODEL_FILE",
      message: expect.stringContaining(`takes an input "pixel_values" that a text embedding model is not fed`),
    });
  });
});
