/**
 * Bi-encoder routes over real HTTP (127.0.0.1, ephemeral port, worker thread backend), each
 * compared with the library's own result for the same input: exact equality (tolerance 0), since
 * the server computes with the same library call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SentenceTransformer } from "../../src/index.js";
import { type ServedModel, loadServedModel } from "../../src/server/model.js";
import type { RunningServer } from "../../src/server/server.js";
import { ST_DIR, get, metricValue, nums, post, rowsOf, start } from "./helpers.js";

const TEXTS = ["A man is eating food.", "A monkey is playing drums.", "Hello, world!", "Numbers 12345 and 3.14159"];

let server: RunningServer;
let served: ServedModel;
let model: SentenceTransformer;

beforeAll(async () => {
  served = await loadServedModel(ST_DIR);
  if (served.kind !== "embedding") throw new Error("fixture is a bi-encoder");
  model = served.model;
  server = await start({ model: ST_DIR, served });
});
afterAll(() => server?.close());

describe("POST /embed", () => {
  it("one string: the library's normalized embedding, exactly, with TEI's timing headers", async () => {
    const r = await post(server, "/embed", { inputs: TEXTS[0] });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(rowsOf(await model.encode([TEXTS[0] as string], { normalizeEmbeddings: true })));
    for (const h of ["x-total-time", "x-tokenization-time", "x-queue-time", "x-inference-time", "x-compute-tokens", "x-compute-characters"]) {
      expect(r.headers.get(h), h).toMatch(/^\d+$/);
    }
    expect(Number(r.headers.get("x-compute-tokens"))).toBe(model.tokenize([TEXTS[0] as string]).lengths[0]);
  });

  it("a list with normalize false, prompt_name and dimensions: encode(list, { promptName, truncateDim }) exactly", async () => {
    const r = await post(server, "/embed", { inputs: TEXTS, normalize: false, prompt_name: "query", dimensions: 16 });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(rowsOf(await model.encode(TEXTS, { promptName: "query", truncateDim: 16 })));
  });

  it("dimensions with normalize: truncate first, then normalize, as the library does", async () => {
    const r = await post(server, "/embed", { inputs: TEXTS.slice(0, 2), dimensions: 8 });
    expect(r.body).toEqual(rowsOf(await model.encode(TEXTS.slice(0, 2), { truncateDim: 8, normalizeEmbeddings: true })));
  });

  it("token ids (special tokens included) embed exactly as the text they came from", async () => {
    const batch = model.tokenize([TEXTS[1] as string]);
    const ids = nums(batch.inputIds.subarray(0, batch.lengths[0]));
    const r = await post(server, "/embed", { inputs: [ids, TEXTS[2]] });
    expect(r.status).toBe(200);
    const want = await model.encode([TEXTS[1] as string, TEXTS[2] as string], { normalizeEmbeddings: true });
    expect(r.body).toEqual(rowsOf(want));
  });
});

it("POST /embed_all: every input's token embeddings (truncated to max_seq_length as asked), exactly", async () => {
  const r = await post(server, "/embed_all", { inputs: TEXTS.slice(0, 2), prompt_name: "document", truncate: true });
  expect(r.status).toBe(200);
  const want = await model.encode(TEXTS.slice(0, 2), { outputValue: "token_embeddings", promptName: "document" });
  expect(r.body).toEqual(want.map(rowsOf));
});

it("POST /similarity: model.similarity of the unnormalized embeddings, exactly", async () => {
  const r = await post(server, "/similarity", { inputs: { source_sentence: TEXTS[0], sentences: TEXTS.slice(1) }, parameters: { prompt_name: "query" } });
  expect(r.status).toBe(200);
  const src = await model.encode([TEXTS[0] as string], { promptName: "query" });
  const others = await model.encode(TEXTS.slice(1), { promptName: "query" });
  expect(r.body).toEqual(nums(model.similarity(src, others).row(0)));
});

describe("POST /v1/embeddings (OpenAI)", () => {
  it("float: the OpenAI response shape, normalized embeddings and usage token counts", async () => {
    const r = await post(server, "/v1/embeddings", { input: TEXTS.slice(0, 3), model: "anything" });
    expect(r.status).toBe(200);
    const body = r.body as { object: string; model: string; data: { object: string; index: number; embedding: number[] }[]; usage: Record<string, number> };
    const want = await model.encode(TEXTS.slice(0, 3), { normalizeEmbeddings: true });
    expect(body.object).toBe("list");
    expect(body.model).toBe(ST_DIR);
    expect(body.data.map((d) => [d.object, d.index])).toEqual([["embedding", 0], ["embedding", 1], ["embedding", 2]]);
    expect(body.data.map((d) => d.embedding)).toEqual(rowsOf(want));
    const tokens = Array.from(model.tokenize(TEXTS.slice(0, 3)).lengths).reduce((a, b) => a + b, 0);
    expect(body.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
  });

  it("base64 with dimensions: little-endian float32 bytes equal to encode(..., { truncateDim })", async () => {
    const r = await post(server, "/v1/embeddings", { input: TEXTS[3], encoding_format: "base64", dimensions: 24 });
    expect(r.status).toBe(200);
    const b64 = (r.body as { data: { embedding: string }[] }).data[0]?.embedding as string;
    const bytes = Buffer.from(b64, "base64");
    const got = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const want = await model.encode([TEXTS[3] as string], { truncateDim: 24, normalizeEmbeddings: true });
    expect(nums(got)).toEqual(nums(want.row(0)));
  });

  it("token-id input (one list of ids)", async () => {
    const batch = model.tokenize([TEXTS[0] as string]);
    const r = await post(server, "/v1/embeddings", { input: nums(batch.inputIds.subarray(0, batch.lengths[0])) });
    expect((r.body as { data: { embedding: number[] }[] }).data[0]?.embedding).toEqual(nums((await model.encode([TEXTS[0] as string], { normalizeEmbeddings: true })).row(0)));
  });

  it("errors in TEI's OpenAI shape { message, code, type }", async () => {
    const r = await post(server, "/v1/embeddings", { input: [] });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ message: "`input` cannot be empty", code: 400, type: "empty" });
  });
});

it("POST /tokenize: the ids the model sees, special tokens marked; the prompt included", async () => {
  const r = await post(server, "/tokenize", { inputs: [TEXTS[2]], prompt_name: "query" });
  expect(r.status).toBe(200);
  const tokens = (r.body as { id: number; special: boolean; text: string; start: null }[][])[0] ?? [];
  const batch = model.tokenize([`query: ${TEXTS[2]}`]);
  expect(tokens.map((t) => t.id)).toEqual(nums(batch.inputIds.subarray(0, batch.lengths[0])));
  expect(tokens.map((t) => t.special)).toEqual(tokens.map((_, i) => i === 0 || i === tokens.length - 1));
  expect(tokens[0]?.text).toBe("[CLS]");
  const plain = await post(server, "/tokenize", { inputs: TEXTS[2], add_special_tokens: false });
  expect((plain.body as { special: boolean }[][])[0]?.every((t) => !t.special)).toBe(true);
});

it("POST /decode: the tokenizer's decode, one text per id list", async () => {
  const batch = model.tokenize([TEXTS[0] as string]);
  const ids = nums(batch.inputIds.subarray(0, batch.lengths[0]));
  const tok = model.transformer.tokenizer;
  expect((await post(server, "/decode", { ids })).body).toEqual([tok.decode(ids, { skipSpecialTokens: true })]);
  expect((await post(server, "/decode", { ids: [ids, ids.slice(1, 3)], skip_special_tokens: false })).body).toEqual([tok.decode(ids), tok.decode(ids.slice(1, 3))]);
});

it("GET /info, /health, /metrics", async () => {
  const info = (await get(server, "/info")).body as Record<string, unknown>;
  expect(info).toMatchObject({ model_id: ST_DIR, model_type: { embedding: { pooling: "mean" } }, max_input_length: model.maxSeqLength, max_client_batch_size: 32, max_batch_tokens: 16384, auto_truncate: false });
  expect((await get(server, "/health")).status).toBe(200);
  const metrics = await get(server, "/metrics");
  expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
  for (const name of ["te_request_count", "te_request_success", "te_queue_size", "te_batch_next_size_count", "te_batch_next_tokens_sum", "te_request_duration_bucket", "te_request_queue_duration_sum", "te_request_inference_duration_count", "process_resident_memory_bytes"]) {
    expect(metrics.text, name).toContain(name);
  }
  expect(metricValue(metrics.text, "te_request_count")).toBeGreaterThan(5);
  expect(metricValue(metrics.text, "te_request_input_length_count")).toBeGreaterThan(5);
});

it("cross-encoder routes answer 424 as TEI does for an embedding model", async () => {
  expect(await post(server, "/rerank", { query: "q", texts: ["a"] })).toMatchObject({ status: 424, body: { error: "model is not a re-ranker model", error_type: "backend" } });
  expect(await post(server, "/predict", { inputs: "a" })).toMatchObject({ status: 424, body: { error: "Model is not a classifier model", error_type: "backend" } });
});

it("unknown routes 404, wrong methods 405, both in the TEI error shape", async () => {
  expect(await post(server, "/nope", {})).toMatchObject({ status: 404, body: { error_type: "not_found" } });
  expect(await get(server, "/embed")).toMatchObject({ status: 405 });
});

describe("--api-key", () => {
  let secured: RunningServer;
  beforeAll(async () => {
    secured = await start({ model: ST_DIR, served, apiKey: "s3cret", threads: 0 });
  });
  afterAll(() => secured?.close());

  it("401 without or with a wrong key, 200 with `Authorization: Bearer <key>`; /health and /metrics stay public", async () => {
    expect(await post(secured, "/embed", { inputs: "a" })).toMatchObject({ status: 401, body: { error_type: "unauthorized" } });
    expect((await post(secured, "/embed", { inputs: "a" }, { authorization: "Bearer nope" })).status).toBe(401);
    expect((await get(secured, "/info")).status).toBe(401);
    const ok = await post(secured, "/embed", { inputs: "a" }, { authorization: "Bearer s3cret" });
    expect(ok.body).toEqual(rowsOf(await model.encode(["a"], { normalizeEmbeddings: true })));
    expect((await get(secured, "/health")).status).toBe(200);
    expect((await get(secured, "/metrics")).status).toBe(200);
  });
});
