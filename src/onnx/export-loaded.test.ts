import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { CrossEncoder } from "../models/cross-encoder.js";
import { loadPipeline } from "../models/pipeline.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { Dense } from "../modules/dense.js";
import type { PipelineModule } from "../modules/module.js";
import { Tensor } from "../tensor/tensor.js";
import { buildOnnxModel, exportOnnx } from "./export.js";
import type { ModelSpec } from "./graph.js";
import { encodeModel } from "./proto-writer.js";

const bytes = (m: ModelSpec): Buffer => Buffer.concat(encodeModel(m));
const errorOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

describe("the exporter walks a loaded pipeline (the folder is read by the loaders only)", () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "sbert-export-loaded-"));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it("a SentenceTransformer on the native backend exports the same graph as its folder (Pooling, Dense, Normalize; fp32 and int8)", async () => {
    const dir = join(FIXTURES, "st-bert-cls-dense-normalize");
    const model = await SentenceTransformer.load(dir, { backend: "native" });
    for (const opts of [{ withPooling: true }, { withPooling: true, quantize: "int8" as const }, {}]) {
      expect(bytes(await buildOnnxModel(model, opts)).equals(bytes(await buildOnnxModel(dir, opts)))).toBe(true);
    }
    const r = await exportOnnx(model, { output: tmp, withPooling: true });
    expect(r.path).toBe(join(tmp, "model_pooled.onnx"));
    expect(r.outputs).toEqual(["token_embeddings", "sentence_embedding"]);
  });

  it("the module list of loadPipeline and a CrossEncoder export as their folders do", async () => {
    const st = join(FIXTURES, "st-xlmr-spm-mean-dense");
    const modules = await loadPipeline(st, { backend: "native" });
    expect(bytes(await buildOnnxModel(modules, { withPooling: true })).equals(bytes(await buildOnnxModel(st, { withPooling: true })))).toBe(true);
    const ce = join(FIXTURES, "ce-bert-3label");
    const model = await CrossEncoder.load(ce, { backend: "native" });
    const graph = await buildOnnxModel(model);
    expect(graph.graph.outputs.map((o) => o.name)).toEqual(["logits"]);
    expect(bytes(graph).equals(bytes(await buildOnnxModel(ce)))).toBe(true);
  });

  it("a loaded model needs output; a module that reports no exportSpec, or a Dense from tokens to sentences, is refused with pooling only", async () => {
    const modules = await loadPipeline(join(FIXTURES, "st-bert-mean"), { backend: "native" });
    expect(await errorOf(exportOnnx(modules))).toMatchObject({ code: "INVALID_INPUT" });
    const opaque: PipelineModule = { typeName: "Custom", forward: (f) => f, outputDimension: () => undefined, getConfigDict: () => undefined, parameters: () => new Map(), save: async () => undefined };
    const withOpaque = [...modules, opaque];
    expect(await errorOf(buildOnnxModel(withOpaque, { withPooling: true }))).toMatchObject({ code: "UNSUPPORTED_FORMAT" });
    expect((await buildOnnxModel(withOpaque)).graph.outputs.map((o) => o.name)).toEqual(["last_hidden_state"]);
    const h = modules[0]?.outputDimension() ?? 0;
    const tokenToSentence = new Dense(new Tensor(new Float32Array(h * h), [h, h]), undefined, "identity", "tokenEmbeddings", "sentenceEmbedding");
    expect(await errorOf(buildOnnxModel([...modules, tokenToSentence], { withPooling: true }))).toMatchObject({ code: "UNSUPPORTED_FORMAT" });
    expect(await errorOf(buildOnnxModel([opaque]))).toMatchObject({ code: "UNSUPPORTED_FORMAT" });
  });

  it("a model on ONNX Runtime has no weights in memory to export: INVALID_OPERATION naming the native backend", async () => {
    const model = await SentenceTransformer.load(join(FIXTURES, "st-bert-mean"), { backend: "onnx", onnxCache: join(tmp, "cache") });
    try {
      const e = await errorOf(buildOnnxModel(model));
      expect(e).toMatchObject({ code: "INVALID_OPERATION" });
      expect(String(e)).toMatch(/native/);
    } finally {
      await model.dispose();
    }
  });
});
