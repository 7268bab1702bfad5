/**
 * Bad input over real HTTP: every case gets TEI's error shape and the right status, and the
 * server keeps serving (checked after each group).
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SentenceTransformer } from "../../src/index.js";
import { loadServedModel } from "../../src/server/model.js";
import type { RunningServer } from "../../src/server/server.js";
import { ST_DIR, get, partialPost, post, rawExchange, rowsOf, start, until } from "./helpers.js";

let server: RunningServer;
let model: SentenceTransformer;

beforeAll(async () => {
  const served = await loadServedModel(ST_DIR);
  if (served.kind !== "embedding") throw new Error("fixture is a bi-encoder");
  model = served.model;
  server = await start({ model: ST_DIR, served, requestTimeoutMs: 400 });
});
afterAll(() => server?.close());

/** The server still answers a normal request correctly. */
async function stillServes(): Promise<void> {
  const r = await post(server, "/embed", { inputs: "still here" });
  expect(r.status).toBe(200);
  expect(r.body).toEqual(rowsOf(await model.encode(["still here"], { normalizeEmbeddings: true })));
  expect((await get(server, "/health")).status).toBe(200);
}

describe("malformed bodies", () => {
  it("invalid JSON → 400 validation", async () => {
    const r = await post(server, "/embed", '{"inputs": ["a", ');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error_type: "validation" });
    expect((r.body as { error: string }).error).toMatch(/^Failed to parse the request body as JSON/);
  });

  it("invalid UTF-8 → 400 validation", async () => {
    const bytes = Buffer.concat([Buffer.from('{"inputs": "caf'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const r = await post(server, "/embed", bytes);
    expect(r).toMatchObject({ status: 400, body: { error: "the request body is not valid UTF-8", error_type: "validation" } });
  });

  it.each([
    ["a JSON list", "/embed", []],
    ["null", "/embed", null],
    ["no inputs field", "/embed", { input: "a" }],
    ["inputs a number", "/embed", { inputs: 5 }],
    ["inputs an object", "/embed", { inputs: { text: "a" } }],
    ["a null inside the list", "/embed", { inputs: ["a", null] }],
    ["a fractional token id", "/embed", { inputs: [1.5, 2] }],
    ["a negative token id", "/embed", { inputs: [[1, -2]] }],
    ["a token id outside the vocabulary", "/embed", { inputs: [[2, 999999]] }],
    ["normalize a string", "/embed", { inputs: "a", normalize: "yes" }],
    ["truncate a number", "/embed", { inputs: "a", truncate: 1 }],
    ["dimensions 0", "/embed", { inputs: "a", dimensions: 0 }],
    ["dimensions over the model's size", "/embed", { inputs: "a", dimensions: 49 }],
    ["dimensions fractional", "/embed", { inputs: "a", dimensions: 1.5 }],
    ["an unknown prompt_name", "/embed", { inputs: "a", prompt_name: "nope" }],
    ["prompt_name with token ids", "/embed", { inputs: [[2, 3]], prompt_name: "query" }],
    ["truncation_direction left", "/embed", { inputs: "a", truncation_direction: "left" }],
    ["truncation_direction unknown", "/embed", { inputs: "a", truncation_direction: "up" }],
    ["similarity inputs a string", "/similarity", { inputs: "a" }],
    ["similarity sentences not strings", "/similarity", { inputs: { source_sentence: "a", sentences: [1] } }],
    ["encoding_format hex", "/v1/embeddings", { input: "a", encoding_format: "hex" }],
    ["decode ids a string", "/decode", { ids: "1 2" }],
    ["decode a batch mixing lists and ids", "/decode", { ids: [[1, 2], 3] }],
    ["tokenize inputs a number", "/tokenize", { inputs: 3 }],
  ])("%s → 422 validation", async (_name, path, body) => {
    const r = await post(server, path, body);
    expect(r.status).toBe(422);
    const shape = path === "/v1/embeddings" ? { type: "validation", code: 422 } : { error_type: "validation" };
    expect(r.body).toMatchObject(shape);
  });

  it("the server still serves", stillServes);
});

describe("empty and oversized inputs", () => {
  it.each([
    ["/embed", { inputs: [] }, "`inputs` cannot be empty"],
    ["/embed", { inputs: "" }, "`inputs` cannot be empty"],
    ["/embed", { inputs: ["a", ""] }, "`inputs` cannot be empty"],
    ["/embed_all", { inputs: [] }, "`inputs` cannot be empty"],
    ["/similarity", { inputs: { source_sentence: "a", sentences: [] } }, "`inputs.sentences` cannot be empty"],
    ["/tokenize", { inputs: [] }, "`inputs` cannot be empty"],
    ["/decode", { ids: [] }, "`ids` cannot be empty"],
  ])("%s %j → 400 empty", async (path, body, message) => {
    expect(await post(server, path, body)).toMatchObject({ status: 400, body: { error: message, error_type: "empty" } });
  });

  it("10,000 inputs → 413 (more than --max-client-batch-size)", async () => {
    const r = await post(server, "/embed", { inputs: Array.from({ length: 10_000 }, (_, i) => `text ${i}`) });
    expect(r).toMatchObject({ status: 413, body: { error: "batch size 10000 > maximum allowed batch size 32", error_type: "validation" } });
  });

  it("a 5 MB body → 413 (over --payload-limit), with Content-Length and chunked; the connection stays usable", async () => {
    const big = JSON.stringify({ inputs: "x".repeat(5 * 1024 * 1024) });
    expect(await post(server, "/embed", big)).toMatchObject({ status: 413, body: { error_type: "validation" } });
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: server.port, path: "/embed", method: "POST", headers: { "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 5; i++) req.write(big.slice(i * 1024 * 1024, (i + 1) * 1024 * 1024));
      req.end(big.slice(5 * 1024 * 1024));
    });
    expect(status).toBe(413);
  });

  it("a 1 MB string → 422 without truncation; with truncate: true the library's embedding of the whole string", async () => {
    const huge = "word ".repeat(200_000);
    const refused = await post(server, "/embed", { inputs: huge });
    expect(refused.status).toBe(422);
    expect((refused.body as { error: string }).error).toMatch(/must have less than \d+ characters/);
    const truncated = await post(server, "/embed", { inputs: huge, truncate: true });
    expect(truncated.status).toBe(200);
    expect(truncated.body).toEqual(rowsOf(await model.encode([huge], { normalizeEmbeddings: true })));
  });

  it("an input over max_input_length tokens → 422 naming the count; truncate: true → the library's truncated embedding", async () => {
    const text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen";
    const tokens = model.transformer.tokenizer.encode(text).ids.length;
    expect(tokens).toBeGreaterThan(model.maxSeqLength);
    const r = await post(server, "/embed", { inputs: [text] });
    expect(r).toMatchObject({ status: 422, body: { error_type: "validation" } });
    expect((r.body as { error: string }).error).toContain(`less than ${model.maxSeqLength} tokens. Given: ${tokens}`);
    const ok = await post(server, "/embed", { inputs: [text], truncate: true });
    expect(ok.body).toEqual(rowsOf(await model.encode([text], { normalizeEmbeddings: true })));
  });

  it("the server still serves", stillServes);
});

describe("misbehaving clients", () => {
  it("a client that never finishes its body gets 408 after --request-timeout, and the connection is closed", async () => {
    const head = "POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n";
    const { response, closedByServer } = await rawExchange(server, Buffer.from(`${head}{"inputs": "a`), { waitMs: 3000 });
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(response).toContain('"error_type":"timeout"');
    expect(closedByServer).toBe(true);
  });

  it("a client that disconnects in the middle of its body: nothing is computed, nothing leaks", async () => {
    const before = (await get(server, "/metrics")).text;
    const p = partialPost(server, "/embed", 100, '{"inputs": ["half a bo');
    await until(() => server.stats().inFlight === 1);
    p.abort();
    expect(await p.done).toBe("closed");
    await until(() => server.stats().active === 0 && server.stats().inFlight === 0);
    expect((await get(server, "/metrics")).text.match(/te_request_count\S* \d+/g)).toEqual(before.match(/te_request_count\S* \d+/g));
  });

  it("the server still serves", stillServes);
});
