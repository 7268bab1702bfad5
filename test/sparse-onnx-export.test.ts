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
import { FIXTURES, maxAbsDiff, readGolden } from "./helpers/fixtures.js";

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
