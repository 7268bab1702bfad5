/**
 * Cross-encoder routes over real HTTP, compared with `CrossEncoder.rank` / `predict` on the same
 * inputs: exact equality (tolerance 0).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CrossEncoder } from "../../src/index.js";
import { type ServedModel, loadServedModel } from "../../src/server/model.js";
import type { RunningServer } from "../../src/server/server.js";
import { CE_DIR, get, nums, post, start } from "./helpers.js";

const QUERY = "Who lives in Berlin?";
const DOCS = ["Berlin has many people.", "Berlin has museums.", "Paris is in France.", ""];

let server: RunningServer;
let served: ServedModel;
let ce: CrossEncoder;

beforeAll(async () => {
  served = await loadServedModel(CE_DIR);
  if (served.kind !== "reranker") throw new Error("fixture is a one-label cross-encoder");
  ce = served.model;
  server = await start({ model: CE_DIR, served });
});
afterAll(() => server?.close());

describe("POST /rerank", () => {
  it("ranks like CrossEncoder.rank: same order, same scores (sigmoid), texts on request", async () => {
    const r = await post(server, "/rerank", { query: QUERY, texts: DOCS, return_text: true });
    expect(r.status).toBe(200);
    const want = await ce.rank(QUERY, DOCS, { returnDocuments: true });
    expect(r.body).toEqual(want.map((h) => ({ index: h.corpusId, text: h.text, score: h.score })));
    expect(r.headers.get("x-inference-time")).toMatch(/^\d+$/);
  });

  it("raw_scores: the logits (identity activation); no text unless asked; truncate as the library truncates", async () => {
    const long = [...DOCS, "Berlin is the capital of Germany and has about three and a half million inhabitants."];
    expect((await post(server, "/rerank", { query: QUERY, texts: long })).status).toBe(422);
    const r = await post(server, "/rerank", { query: QUERY, texts: long, raw_scores: true, truncate: true });
    const want = await ce.rank(QUERY, long, { activation: "identity" });
    expect(r.body).toEqual(want.map((h) => ({ index: h.corpusId, score: h.score })));
  });

  it("empty texts → 400, more than --max-client-batch-size → 413", async () => {
    expect(await post(server, "/rerank", { query: QUERY, texts: [] })).toMatchObject({ status: 400, body: { error: "`texts` cannot be empty", error_type: "empty" } });
    expect(await post(server, "/rerank", { query: QUERY, texts: new Array(33).fill("x") })).toMatchObject({ status: 413, body: { error_type: "validation" } });
  });
});

describe("POST /predict", () => {
  it("one text, one pair, a batch: predict's scores with the model's labels, best first", async () => {
    const single = await post(server, "/predict", { inputs: DOCS[0] });
    const score = async (a: string, b: string): Promise<number> => ((await ce.predict([[a, b]])) as Float32Array)[0] as number;
    expect(single.body).toEqual([{ score: await score(DOCS[0] as string, ""), label: "LABEL_0" }]);
    const pair = await post(server, "/predict", { inputs: [QUERY, DOCS[1]] });
    expect(pair.body).toEqual([{ score: await score(QUERY, DOCS[1] as string), label: "LABEL_0" }]);
    const batch = await post(server, "/predict", { inputs: [[QUERY, DOCS[0]], [DOCS[2]]], raw_scores: true });
    const want = nums((await ce.predict([[QUERY, DOCS[0] as string], [DOCS[2] as string, ""]], { activation: "identity" })) as Float32Array);
    expect(batch.body).toEqual(want.map((score) => [{ score, label: "LABEL_0" }]));
  });

  it("a text alone scores exactly as the pair (text, \"\") and as the library's single-text encoding", async () => {
    const a = await post(server, "/predict", { inputs: [DOCS[1]] });
    const b = await post(server, "/predict", { inputs: [DOCS[1], ""] });
    expect(a.body).toEqual(b.body);
  });

  it("malformed inputs → 422, empty → 400", async () => {
    expect((await post(server, "/predict", { inputs: [["a", "b", "c"]] })).status).toBe(422);
    expect((await post(server, "/predict", { inputs: [1] })).status).toBe(422);
    expect((await post(server, "/predict", { inputs: [] })).status).toBe(400);
  });
});

it("/tokenize works on a cross-encoder; embedding routes answer 424 (TEI's shapes)", async () => {
  const t = await post(server, "/tokenize", { inputs: "hello" });
  expect(t.status).toBe(200);
  expect(await post(server, "/embed", { inputs: "a" })).toMatchObject({ status: 424, body: { error: "Model is not an embedding model", error_type: "backend" } });
  expect(await post(server, "/v1/embeddings", { input: "a" })).toMatchObject({ status: 424, body: { message: "Model is not an embedding model", code: 424, type: "backend" } });
  expect((await post(server, "/similarity", { inputs: { source_sentence: "a", sentences: ["b"] } })).status).toBe(424);
  expect((await post(server, "/embed_all", { inputs: "a" })).status).toBe(424);
});

it("GET /info: model_type reranker with id2label / label2id; POST / is /rerank", async () => {
  const info = (await get(server, "/info")).body as Record<string, unknown>;
  expect(info["model_type"]).toEqual({ reranker: { id2label: { "0": "LABEL_0" }, label2id: { LABEL_0: 0 } } });
  const viaRoot = await post(server, "/", { query: QUERY, texts: DOCS.slice(0, 2) });
  expect(viaRoot.body).toEqual((await post(server, "/rerank", { query: QUERY, texts: DOCS.slice(0, 2) })).body);
});
