/**
 * Sparse-model routes over real HTTP (worker thread backend): POST /embed_sparse in TEI's shape
 * `[[{"index", "value"}]]`, equal to `SparseEncoder.encode` exactly; TEI's 424 answers for /embed
 * (normalize) and /embed_all on a sparse model, and for /embed_sparse on a dense one.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SparseEncoder } from "../../src/models/sparse-encoder.js";
import { loadServedModel } from "../../src/server/model.js";
import type { RunningServer } from "../../src/server/server.js";
import { ROOT, ST_DIR, get, post, start } from "./helpers.js";

const SPLADE = join(ROOT, "test/fixtures/sparse-splade-bert");
const FREE = join(ROOT, "test/fixtures/sparse-inference-free");
const TEXTS = ["The quick brown fox jumps over the lazy dog.", "", "Hello, world!!! How are you??", "Café résumé naïve"];

let server: RunningServer;
let model: SparseEncoder;
beforeAll(async () => {
  const served = await loadServedModel(SPLADE);
  if (served.kind !== "sparse") throw new Error("fixture is a sparse encoder");
  model = served.model;
  server = await start({ model: SPLADE });
});
afterAll(() => server?.close());

describe("POST /embed_sparse", () => {
  it("a list: the library's non-zero entries, indices ascending, exactly", async () => {
    const texts = TEXTS.filter((t) => t !== "");
    const r = await post(server, "/embed_sparse", { inputs: texts });
    expect(r.status).toBe(200);
    const want = await model.encode(texts);
    expect(r.body).toEqual(Array.from({ length: want.rows }, (_, i) => want.entries(i)));
    expect(Number(r.headers.get("x-compute-tokens"))).toBeGreaterThan(0);
  });
  it("one string is a list of one list", async () => {
    const r = await post(server, "/embed_sparse", { inputs: TEXTS[0] });
    expect(r.status).toBe(200);
    expect(r.body).toEqual([(await model.encode([TEXTS[0] as string])).entries(0)]);
  });
  it("an empty input is TEI's 400 empty; a wrong type 422", async () => {
    const empty = await post(server, "/embed_sparse", { inputs: "" });
    expect([empty.status, (empty.body as { error_type: string }).error_type]).toEqual([400, "empty"]);
    const bad = await post(server, "/embed_sparse", { inputs: 3 });
    expect(bad.status).toBe(422);
  });
});

describe("dense routes on a sparse model, as TEI answers them", () => {
  it("/embed with the default normalize: 424 backend", async () => {
    const r = await post(server, "/embed", { inputs: "a" });
    expect(r.status).toBe(424);
    expect(r.body).toEqual({ error: "`normalize` is not available for SPLADE models", error_type: "backend" });
  });
  it("/embed with normalize false: the dense vocabulary-sized rows", async () => {
    const r = await post(server, "/embed", { inputs: [TEXTS[2]], normalize: false });
    expect(r.status).toBe(200);
    const want = (await model.encode([TEXTS[2] as string])).toDense();
    expect(r.body).toEqual([Array.from(want.row(0))]);
  });
  it("/embed_all: 424", async () => {
    const r = await post(server, "/embed_all", { inputs: "a" });
    expect(r.status).toBe(424);
    expect((r.body as { error: string }).error).toBe("`embed_all` is not available for SPLADE models");
  });
  it("/info says embedding with splade pooling", async () => {
    const r = await get(server, "/info");
    expect((r.body as { model_type: unknown }).model_type).toEqual({ embedding: { pooling: "splade" } });
  });
});

describe("/embed_sparse on a dense model", () => {
  it("424 Model is not an embedding model with SPLADE pooling", async () => {
    const dense = await start({ model: ST_DIR });
    try {
      const r = await post(dense, "/embed_sparse", { inputs: "a" });
      expect(r.status).toBe(424);
      expect(r.body).toEqual({ error: "Model is not an embedding model with SPLADE pooling", error_type: "backend" });
    } finally {
      await dense.close();
    }
  });
});

describe("an inference-free (Router) model is served through its default route", () => {
  it("/embed_sparse equals encode() (the document route)", async () => {
    const served = await loadServedModel(FREE);
    if (served.kind !== "sparse") throw new Error("fixture is a sparse encoder");
    const s = await start({ model: FREE, served, threads: 0 });
    try {
      const r = await post(s, "/embed_sparse", { inputs: ["Berlin has many people", "weather today"] });
      expect(r.status).toBe(200);
      const want = await served.model.encodeDocument(["Berlin has many people", "weather today"]);
      expect(r.body).toEqual([want.entries(0), want.entries(1)]);
    } finally {
      await s.close();
    }
  });
});
