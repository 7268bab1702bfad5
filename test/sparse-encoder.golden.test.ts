/**
 * SparseEncoder against Python sentence-transformers 5.7 (test/fixtures/sparse-splade-bert,
 * sparse-inference-free): indices equal and values within 1e-5 (with and without
 * maxActiveDims), decode tokens and weights, sparsity figures, similarity, batch-equals-single,
 * on the native backend and on ONNX Runtime (the masked-LM head exported with the encoder).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SbertError } from "../src/errors.js";
import { SparseEncoder } from "../src/models/sparse-encoder.js";
import type { SparseEmbeddings } from "../src/util/sparse-embeddings.js";
import { CAN_EXPORT, backendsFor } from "./helpers/backends.js";
import { type Fixture, type Golden, maxAbsDiff, sparseEncoderFixtures } from "./helpers/fixtures.js";

const TOL = 1e-5;
type Row = { indices: number[]; values: number[] };
type Encode = (m: SparseEncoder, texts: string[], o?: { maxActiveDims?: number; batchSize?: number }) => Promise<SparseEmbeddings>;

function expectRows(got: SparseEmbeddings, want: Row[]): void {
  const rows = got.toArrays();
  expect(rows.map((r) => r.indices)).toEqual(want.map((r) => r.indices));
  expect(maxAbsDiff(rows.map((r) => r.values), want.map((r) => r.values))).toBeLessThanOrEqual(TOL);
}

function expectDecoded(got: [string, number][][], want: [string, number][][]): void {
  expect(got.map((r) => r.map(([t]) => t))).toEqual(want.map((r) => r.map(([t]) => t)));
  expect(maxAbsDiff(got.map((r) => r.map(([, w]) => w)), want.map((r) => r.map(([, w]) => w)))).toBeLessThanOrEqual(TOL);
}

/** The checks every block of sparse keys gets: `prefix` + sparse_embeddings, _max_active_dims_5, decode, sparsity, active dims. */
function sparseBlock(g: Golden, prefix: string, texts: () => string[], encode: Encode, model: () => SparseEncoder): void {
  const key = (k: string): unknown => g[`${prefix}${k}`];
  it(`${prefix}sparse_embeddings: indices equal, values within ${TOL}`, async () => {
    expectRows(await encode(model(), texts(), { batchSize: 4 }), key("sparse_embeddings") as Row[]);
  });
  it(`${prefix}sparse_embeddings_max_active_dims_5`, async () => {
    const e = await encode(model(), texts(), { batchSize: 4, maxActiveDims: 5 });
    expectRows(e, key("sparse_embeddings_max_active_dims_5") as Row[]);
    expect(model().sparsity(e)).toEqual(camel(key("sparsity_max_active_dims_5")));
  });
  it(`${prefix}sparsity, active dims per row, decode top 5`, async () => {
    const e = await encode(model(), texts(), { batchSize: 4 });
    expect(model().sparsity(e)).toEqual(camel(key("sparsity")));
    expect(Array.from({ length: e.rows }, (_, r) => e.row(r).indices.length)).toEqual(key("active_dims_per_row"));
    const decodeKey = Object.keys(g).find((k) => k.startsWith(`${prefix}decode_top5_first`)) as string;
    const n = Number(decodeKey.slice(`${prefix}decode_top5_first`.length));
    const firstN = await encode(model(), texts().slice(0, n), { batchSize: 4 });
    expectDecoded(model().decode(firstN, 5), g[decodeKey] as [string, number][][]);
  });
  it(`${prefix}batch of 4 equals one by one (within ${TOL})`, async () => {
    const batched = await encode(model(), texts(), { batchSize: 4 });
    const single = await encode(model(), texts(), { batchSize: 1 });
    expect(maxAbsDiff(batched.toDense(), single.toDense())).toBeLessThanOrEqual(TOL);
  });
}

function camel(v: unknown): { activeDims: number; sparsityRatio: number } {
  const o = v as { active_dims: number; sparsity_ratio: number };
  return { activeDims: o.active_dims, sparsityRatio: o.sparsity_ratio };
}

const byName = new Map(sparseEncoderFixtures().map((f) => [f.name, f] as const));
const splade = byName.get("sparse-splade-bert") as Fixture;
const free = byName.get("sparse-inference-free") as Fixture;

describe("sparse fixtures are present", () => {
  it("both sparse fixture folders are found", () => {
    expect([...byName.keys()].sort()).toEqual(["sparse-inference-free", "sparse-splade-bert"]);
  });
});

describe.each(backendsFor(splade.dir, CAN_EXPORT))("golden sparse-splade-bert on %s", (backend) => {
  const g = splade.golden;
  let model: SparseEncoder;
  beforeAll(async () => {
    model = await SparseEncoder.load(splade.dir, { backend });
  });
  it("runs on the backend asked for", () => {
    expect((model.inputModule() as unknown as { backend: { name: string } }).backend.name).toBe(backend);
  });
  it("dimension, max length, similarity function", () => {
    expect(model.getEmbeddingDimension()).toBe(g["embedding_dimension"]);
    expect(model.maxSeqLength).toBe(g["max_seq_length"]);
    expect(model.similarityFnName).toBe(g["similarity_fn_name"]);
    expect(model.modules.map((m) => m.typeName)).toEqual(g["modules"]);
  });
  it("token ids equal the padded batch Python tokenized", () => {
    const batch = model.inputModule().tokenize(g["sentences"] as string[]);
    const ids = Array.from({ length: batch.batchSize }, (_, r) => Array.from(batch.inputIds.subarray(r * batch.seqLen, (r + 1) * batch.seqLen)));
    expect(ids).toEqual((g["batch_tokenize"] as { input_ids: number[][] }).input_ids);
  });
  sparseBlock(g, "", () => g["sentences"] as string[], (m, t, o) => m.encode(t, o), () => model);
  it(`similarity_dot within ${TOL}`, async () => {
    const e = await model.encode(g["sentences"] as string[]);
    expect(maxAbsDiff(model.similarity(e, e), g["similarity_dot"])).toBeLessThanOrEqual(TOL);
  });
});

describe.each(backendsFor(free.dir, CAN_EXPORT))("golden sparse-inference-free on %s", (backend) => {
  const g = free.golden;
  let model: SparseEncoder;
  beforeAll(async () => {
    model = await SparseEncoder.load(free.dir, { backend });
  });
  const q: Encode = (m, t, o) => m.encodeQuery(t, o);
  const d: Encode = (m, t, o) => m.encodeDocument(t, o);
  it("the document route runs on the backend asked for", () => {
    expect((model.inputModule("document") as unknown as { backend: { name: string } }).backend.name).toBe(backend);
  });
  it("one Router module with the query and document routes", () => {
    expect(model.modules.map((m) => m.typeName)).toEqual(g["modules"]);
    expect(model.pipeline("query").map((m) => m.typeName)).toEqual((g["router_routes"] as Record<string, string[]>)["query"]);
    expect(model.pipeline("document").map((m) => m.typeName)).toEqual((g["router_routes"] as Record<string, string[]>)["document"]);
    expect(model.getEmbeddingDimension()).toBe(g["embedding_dimension"]);
    expect(model.inputModule("query").maxSeqLength).toBe(g["query_route_max_seq_length"]);
    expect(model.inputModule("document").maxSeqLength).toBe(g["document_route_max_seq_length"]);
  });
  it("query tokenization has no special tokens; document tokenization as Python's", () => {
    const rows = model.inputModule("query").tokenizeRows(g["queries"] as string[]);
    expect(rows.map((r) => r.ids)).toEqual((g["query_tokenization"] as { input_ids: number[] }[]).slice(0, 3).map((t) => t.input_ids));
    const batch = model.inputModule("document").tokenize(g["documents"] as string[]);
    const ids = Array.from({ length: batch.batchSize }, (_, r) => Array.from(batch.inputIds.subarray(r * batch.seqLen, (r + 1) * batch.seqLen)));
    expect(ids).toEqual((g["document_padded_batch_tokenization"] as { input_ids: number[][] }).input_ids);
  });
  sparseBlock(g, "query_", () => g["queries"] as string[], q, () => model);
  sparseBlock(g, "document_", () => g["documents"] as string[], d, () => model);
  sparseBlock(g, "sentences_encode_query_", () => g["sentences"] as string[], q, () => model);
  sparseBlock(g, "sentences_encode_document_", () => g["sentences"] as string[], d, () => model);
  it(`similarity_query_x_document_dot within ${TOL}`, async () => {
    const s = model.similarity(await model.encodeQuery(g["queries"] as string[]), await model.encodeDocument(g["documents"] as string[]));
    expect(maxAbsDiff(s, g["similarity_query_x_document_dot"])).toBeLessThanOrEqual(TOL);
  });
  it("encode without a task takes the default route (document)", async () => {
    expect(g["encode_without_task_equals_encode_document"]).toBe(true);
    const docs = g["documents"] as string[];
    expect((await model.encode(docs)).toArrays()).toEqual((await model.encodeDocument(docs)).toArrays());
  });
  it("a task without a route is INVALID_INPUT naming the routes", async () => {
    await expect(model.encode(["x"], { task: "passage" })).rejects.toThrow(/no route found for task "passage".*"query", "document"/);
  });
});

describe("bad input is a typed error", () => {
  let model: SparseEncoder;
  beforeAll(async () => {
    model = await SparseEncoder.load(splade.dir, { backend: "native" });
  });
  it.each([0, -3, 1.5, 1001])("maxActiveDims %s", async (k) => {
    const err = await model.encode(["a"], { maxActiveDims: k }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SbertError);
    expect((err as SbertError).code).toBe("INVALID_INPUT");
  });
  it("maxActiveDims equal to the vocabulary keeps every value", async () => {
    const t = ["The quick brown fox"];
    expect((await model.encode(t, { maxActiveDims: 1000 })).toArrays()).toEqual((await model.encode(t)).toArrays());
  });
  it("decode topK 0 is INVALID_INPUT", async () => {
    const e = await model.encode(["a"]);
    expect(() => model.decode(e, 0)).toThrow(SbertError);
  });
});
