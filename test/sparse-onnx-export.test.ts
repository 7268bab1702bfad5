/**
 * `exportOnnx` of SPLADE models: the masked-LM head in the graph (`logits` (B, T, V)) and, with
 * `withPooling`, SpladePooling too (`sentence_embedding` (B, V)); ONNX Runtime's results equal
 * Python's sparse rows within 1e-5 (test/fixtures/sparse-splade-bert, the document route of
 * sparse-inference-free).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OnnxBackend } from "../src/backends/onnx-backend.js";
import { SbertError } from "../src/errors.js";
import { SparseEncoder } from "../src/models/sparse-encoder.js";
import { exportOnnx } from "../src/onnx/export.js";
import { SparseEmbeddings } from "../src/util/sparse-embeddings.js";
import { runPipeline } from "../src/models/pipeline.js";
import type { PipelineModule } from "../src/modules/module.js";
import { SpladePooling } from "../src/modules/splade-pooling.js";
import { FIXTURES, maxAbsDiff, readGolden } from "./helpers/fixtures.js";
import { copyFixture } from "./helpers/temp-model.js";

const TOL = 1e-5;
type Row = { indices: number[]; values: number[] };
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-sparse-onnx-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const cases = [
  { name: "sparse-splade-bert", dir: join(FIXTURES, "sparse-splade-bert"), texts: "sentences", rows: "sparse_embeddings", task: undefined },
  { name: "sparse-inference-free/document", dir: join(FIXTURES, "sparse-inference-free", "document_0_MLMTransformer"), texts: "documents", rows: "document_sparse_embeddings", task: "document" },
] as const;

describe.each(cases)("ONNX export of $name", (c) => {
  const g = readGolden(c.name.startsWith("sparse-inference-free") ? join(FIXTURES, "sparse-inference-free") : c.dir);
  const texts = g[c.texts] as string[];
  const want = SparseEmbeddings.fromRows(g[c.rows] as Row[], g["embedding_dimension"] as number).toDense();

  it("with pooling: sentence_embedding (B, V) equals Python's rows", async () => {
    const model = await SparseEncoder.load(c.name.startsWith("sparse-inference-free") ? join(FIXTURES, "sparse-inference-free") : c.dir, { backend: "native" });
    const modules = model.pipeline(c.task);
    const out = join(tmp, c.name.replace("/", "_"));
    await mkdir(out);
    const res = await exportOnnx(modules, { output: out, withPooling: true });
    expect(res.outputs).toEqual(["sentence_embedding"]);
    const backend = await OnnxBackend.create(res.path);
    try {
      const batch = model.inputModule(c.task).tokenize(texts);
      const emb = (await backend.run(batch)).sentenceEmbedding;
      expect(emb?.shape).toEqual([texts.length, want.cols]);
      expect(maxAbsDiff(emb?.data, want.data)).toBeLessThanOrEqual(TOL);
    } finally {
      await backend.dispose();
    }
  });
});

describe("a folder's own pooled graph (onnx/model_pooled.onnx) runs SPLADE inside ONNX Runtime", () => {
  it("SparseEncoder with onnxFile model_pooled.onnx equals Python's rows (indices equal, values within 1e-5)", async () => {
    const copy = await copyFixture("sparse-splade-bert");
    try {
      const res = await exportOnnx(copy.dir, { withPooling: true });
      expect(res.path).toBe(join(copy.dir, "onnx", "model_pooled.onnx"));
      const model = await SparseEncoder.load(copy.dir, { backend: "onnx", onnxFile: "model_pooled.onnx" });
      const g = readGolden(copy.dir);
      const rows = (await model.encode(g["sentences"] as string[], { batchSize: 4 })).toArrays();
      const want = g["sparse_embeddings"] as Row[];
      expect(rows.map((r) => r.indices)).toEqual(want.map((r) => r.indices));
      expect(maxAbsDiff(rows.map((r) => r.values), want.map((r) => r.values))).toBeLessThanOrEqual(TOL);
      const k5 = (await model.encode(g["sentences"] as string[], { maxActiveDims: 5 })).toArrays();
      expect(k5.map((r) => r.indices)).toEqual((g["sparse_embeddings_max_active_dims_5"] as Row[]).map((r) => r.indices));
      await model.dispose();
    } finally {
      await copy.cleanup();
    }
  });
});

describe("sum pooling in the graph equals the native SpladePooling(sum)", () => {
  it.each(["relu", "log1p_relu"] as const)("sum / %s within 1e-5", async (activation) => {
    const model = await SparseEncoder.load(join(FIXTURES, "sparse-splade-bert"), { backend: "native" });
    const mods = [model.modules[0] as PipelineModule, new SpladePooling({ strategy: "sum", activation })];
    const out = join(tmp, `sum-${activation}`);
    await mkdir(out);
    const res = await exportOnnx(mods, { output: out, withPooling: true });
    const texts = readGolden(join(FIXTURES, "sparse-splade-bert"))["sentences"] as string[];
    const batch = model.inputModule().tokenize(texts);
    const native = (await runPipeline(mods, { batch })).sentenceEmbedding;
    const backend = await OnnxBackend.create(res.path);
    try {
      const onnx = (await backend.run(batch)).sentenceEmbedding;
      expect(maxAbsDiff(onnx?.data, native?.data)).toBeLessThanOrEqual(TOL);
      expect(native?.data.some((v) => v > 0)).toBe(true);
    } finally {
      await backend.dispose();
    }
  });
});

describe("ONNX export refuses what it cannot bake", () => {
  it("withPooling on a fill-mask pipeline without SpladePooling is UNSUPPORTED_FORMAT", async () => {
    const err = await exportOnnx(join(FIXTURES, "sparse-inference-free", "document_0_MLMTransformer"), { output: tmp, withPooling: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SbertError);
    expect((err as SbertError).code).toBe("UNSUPPORTED_FORMAT");
  });
  it("without pooling the graph's output is the masked-LM logits", async () => {
    const res = await exportOnnx(join(FIXTURES, "sparse-inference-free", "document_0_MLMTransformer"), { output: tmp, fileName: "mlm.onnx", task: "fill-mask" });
    expect(res.outputs).toEqual(["logits"]);
  });
});
