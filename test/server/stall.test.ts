/**
 * Cheap stalls (issue 17.2, 17.10): huge `truncate: true` inputs cost the model thread and the
 * tokenizer what the limit can use (counted in characters, not timed), a batch whose
 * client has gone is not computed and is counted as 499, requests sent on a keep-alive connection
 * while the server drains get 503 with `Connection: close`, a request still open after the drain
 * timeout is cut, and unknown `startServer` options are refused. Real HTTP on 127.0.0.1, the real model on real worker threads where it matters.
 */
import { Agent, request as httpRequest } from "node:http";
import { Tokenizer } from "@huggingface/tokenizers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SbertError } from "../../src/errors.js";
import { type Backend, InProcessBackend } from "../../src/server/backend.js";
import { type ServedModel, loadServedModel } from "../../src/server/model.js";
import { startServer } from "../../src/server/server.js";
import { toApiError } from "../../src/server/errors.js";
import { type WorkGroup, executeGroup, executeLiveGroup } from "../../src/server/work.js";
import { WorkerPoolBackend } from "../../src/server/worker-pool.js";
import { CE_DIR, ST_DIR, get, metricValue, post, start, until } from "./helpers.js";

let served: ServedModel & { kind: "embedding" };
beforeAll(async () => {
  const s = await loadServedModel(ST_DIR);
  if (s.kind !== "embedding") throw new Error("fixture is a bi-encoder");
  served = s;
});

/** A backend that holds each batch until `open()`; `inner` computes it. */
function gate(inner: Backend): { backend: Backend; batches: WorkGroup[][]; open: () => void } {
  let release: () => void = () => {};
  const opened = new Promise<void>((r) => (release = r));
  const batches: WorkGroup[][] = [];
  const backend: Backend = {
    capacity: 1,
    batchInvariant: inner.batchInvariant,
    healthy: () => true,
    close: () => inner.close(),
    run: async (groups) => {
      batches.push([...groups]);
      await opened;
      return inner.run(groups);
    },
  };
  return { backend, batches, open: () => release() };
}

/** POST over its own connection; resolves with the status, or "reset" when the connection fails. */
function rawPost(port: number, path: string, body: string, agent: Agent | false = false): { req: ReturnType<typeof httpRequest>; reply: Promise<{ status: number | "reset"; headers: Record<string, unknown>; text: string }> } {
  const req = httpRequest({ host: "127.0.0.1", port, path, method: "POST", agent, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } });
  const reply = new Promise<{ status: number | "reset"; headers: Record<string, unknown>; text: string }>((resolve) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", () => resolve({ status: "reset", headers: {}, text: "" }));
  });
  req.end(body);
  return { req, reply };
}

describe("huge truncated inputs", () => {
  it("reach the model worker as the prefix truncation needs, with the library's embedding of the whole text", async () => {
    const seen: number[] = [];
    const server = await start({
      model: ST_DIR,
      served,
      payloadLimit: 8_000_000,
      createBackend: async (s) => {
        const pool = await WorkerPoolBackend.start({ source: ST_DIR, modelClass: "sentence-transformer", maxInputLength: s.model.transformer.maxSeqLength, backend: "native", onnxThreads: undefined }, 1);
        return {
          capacity: pool.capacity,
          batchInvariant: pool.batchInvariant,
          healthy: () => pool.healthy(),
          close: () => pool.close(),
          run: (groups) => {
            for (const g of groups) for (const x of g.inputs) seen.push(typeof x === "string" ? x.length : (x as readonly unknown[]).length);
            return pool.run(groups);
          },
        };
      },
    });
    try {
      const huge = `${"  ".repeat(1000)}${"the quick brown fox jumps over the lazy dog ".repeat(50_000)}`;
      const r = await post(server, "/embed", { inputs: [huge, "small"], truncate: true });
      expect(r.status).toBe(200);
      expect(Math.max(...seen)).toBeLessThan(20_000);
      const expected = await served.model.encode([huge, "small"], { normalizeEmbeddings: true });
      const got = r.body as number[][];
      for (let i = 0; i < 2; i++) got[i]?.forEach((v, j) => expect(Math.abs(v - (expected.row(i)[j] as number))).toBeLessThan(1e-6));
      expect(Number(r.headers.get("x-compute-tokens"))).toBe(served.model.transformer.maxSeqLength + served.model.transformer.tokenizer.encode("small").ids.length);
    } finally {
      await server.close();
    }
  });

  it("huge truncated (query, document) pairs rank with the library's scores of the whole texts", async () => {
    const ce = await loadServedModel(CE_DIR);
    if (ce.kind === "embedding" || ce.kind === "sparse") throw new Error("fixture is a cross-encoder");
    const server = await start({ model: CE_DIR, payloadLimit: 8_000_000 });
    try {
      const words = (w: string, n: number): string => `${w} `.repeat(n);
      const query = words("river stone", 20_000);
      const texts = [words("music cloud", 30_000), words("green table", 10_000), "short", `${words("quiet", 20_000)}storm`];
      const r = await post(server, "/rerank", { query, texts, truncate: true, raw_scores: true });
      expect(r.status).toBe(200);
      const expected = (await ce.model.predict(texts.map((t) => [query, t] as [string, string]), { activation: "identity" })) as Float32Array;
      for (const { index, score } of r.body as { index: number; score: number }[]) expect(Math.abs(score - (expected[index] as number))).toBeLessThan(1e-6);
    } finally {
      await server.close();
    }
  });

  it("a 2 MB truncated request costs the tokenizer (measuring and computing) what a 20 KB one does: a small request is not stuck behind a flood of them", async () => {
    const inner = await InProcessBackend.start(served);
    const server = await start({ model: ST_DIR, served, payloadLimit: 8_000_000, createBackend: async () => inner });
    // With the in-process backend both the HTTP thread's measuring and the model's own tokenizing run here.
    const encode = vi.spyOn(Tokenizer.prototype, "encode");
    try {
      const sentence = "the quick brown fox jumps over the lazy dog ";
      const charsTokenized = async (textChars: number): Promise<number> => {
        encode.mockClear();
        const r = await post(server, "/embed", { inputs: sentence.repeat(Math.ceil(textChars / sentence.length)), truncate: true });
        expect(r.status).toBe(200);
        return encode.mock.calls.reduce((n: number, c: unknown[]) => n + String(c[0]).length, 0);
      };
      const small = await charsTokenized(20_000);
      const big = await charsTokenized(2_000_000);
      if (process.env["SBERT_TEST_VERBOSE"]) console.log(`characters tokenized: ${small} for 20 KB, ${big} for 2 MB`);
      expect(small).toBeGreaterThan(0);
      // Before the fix the 2 MB text was tokenized whole: 100× the 20 KB one.
      expect(big).toBeLessThanOrEqual(2 * small);
    } finally {
      encode.mockRestore();
      await server.close();
    }
  });
});

describe("clients that leave", () => {
  it("a batch whose client disconnected is not computed, and the request counts as 499, not 200", async () => {
    const inner = await InProcessBackend.start(served);
    const g = gate(inner);
    const server = await start({ model: ST_DIR, served, createBackend: async () => g.backend });
    const encode = vi.spyOn(served.model, "encode");
    try {
      const body = JSON.stringify({ inputs: ["one", "two", "three"] });
      const { req, reply } = rawPost(server.port, "/embed", body);
      await until(() => g.batches.length === 1);
      req.destroy();
      expect((await reply).status).toBe("reset");
      await until(async () => metricValue((await get(server, "/metrics")).text, "sbert_http_responses", '{route="/embed",status="499"}') === 1);
      g.open();
      await until(async () => metricValue((await get(server, "/metrics")).text, "sbert_inputs_skipped_in_batch") === 3);
      expect(encode).not.toHaveBeenCalled();
      const metrics = (await get(server, "/metrics")).text;
      expect(metricValue(metrics, "sbert_http_responses", '{route="/embed",status="200"}')).toBe(0);
      expect(metricValue(metrics, "te_request_success")).toBe(0);
      // The next request is computed as usual.
      expect((await post(server, "/embed", { inputs: "still served" })).status).toBe(200);
      expect(encode).toHaveBeenCalledTimes(1);
    } finally {
      encode.mockRestore();
      await server.close();
    }
  });
});

describe("draining", () => {
  it("a request on an idle keep-alive connection during the drain gets 503 with Connection: close, not a reset", async () => {
    const inner = await InProcessBackend.start(served);
    const g = gate(inner);
    const server = await start({ model: ST_DIR, served, createBackend: async () => g.backend });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await rawPost(server.port, "/decode", JSON.stringify({ ids: [101, 102] }), agent).reply;
      expect(first.status).toBe(200);
      const slow = rawPost(server.port, "/embed", JSON.stringify({ inputs: "accepted before the drain" }));
      await until(() => g.batches.length === 1);
      const closed = server.close();
      await until(() => server.state() === "draining");
      const late = await rawPost(server.port, "/embed", JSON.stringify({ inputs: "sent while draining" }), agent).reply;
      expect(late.status).toBe(503);
      expect(late.headers["connection"]).toBe("close");
      expect(JSON.parse(late.text)).toMatchObject({ error_type: "unhealthy" });
      g.open();
      expect((await slow.reply).status).toBe(200);
      await closed;
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});

describe("drain timeout", () => {
  it("a request still open when the drain timeout passes is cut, and close() still stops the server", async () => {
    const inner = await InProcessBackend.start(served);
    const g = gate(inner);
    const lines: string[] = [];
    const server = await start({ model: ST_DIR, served, drainTimeoutMs: 1, log: (l) => lines.push(l), createBackend: async () => g.backend });
    try {
      const stuck = rawPost(server.port, "/embed", JSON.stringify({ inputs: "never answered" }));
      await until(() => g.batches.length === 1);
      await server.close();
      expect((await stuck.reply).status).toBe("reset");
      expect(server.state()).toBe("closed");
      expect(lines).toContain("drain timeout after 1 ms: closing 1 open request(s)");
      expect(lines.at(-1)).toBe("stopped");
    } finally {
      g.open();
      await server.close();
    }
  });
});

describe("startServer options", () => {
  it("refuses an unknown option and names the nearest one", async () => {
    const bad = { model: ST_DIR, prot: 0 } as unknown as Parameters<typeof startServer>[0];
    await expect(startServer(bad)).rejects.toThrow(SbertError);
    await expect(startServer(bad)).rejects.toThrow(/unknown option "prot".*"port"/);
    const snake = { model: CE_DIR, max_batch_tokens: 10 } as unknown as Parameters<typeof startServer>[0];
    await expect(startServer(snake)).rejects.toThrow(/"maxBatchTokens"/);
  });
});

afterAll(() => vi.restoreAllMocks());

describe("errors and skipped inputs", () => {
  it("NON_FINITE_OUTPUT is a 500 with the library's message", () => {
    const e = toApiError(new SbertError("NON_FINITE_OUTPUT", "embedding rows 3, 7 are not finite"));
    expect(e.status).toBe(500);
    expect(e.message).toBe("embedding rows 3, 7 are not finite");
  });

  it("a merged group computes its live inputs with the same bits and skips the flagged ones", async () => {
    const spec = { op: "embed" as const, normalize: true };
    const inputs = ["first text", "the client left", "third one"];
    const flags = new Int32Array(new SharedArrayBuffer(12));
    Atomics.store(flags, 1, 1);
    const out = await executeLiveGroup(served, { spec, inputs, cancel: { flags, index: [0, 1, 2] } });
    expect(out[1]?.skipped).toBe(true);
    for (const i of [0, 2]) {
      const [alone] = await executeGroup(served, { spec, inputs: [inputs[i] as string] });
      expect(Array.from(out[i]?.data ?? [])).toEqual(Array.from(alone?.data ?? []));
    }
  });
});
