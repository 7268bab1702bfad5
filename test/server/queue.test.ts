/**
 * The batching queue: token budget, dropping inputs of disconnected clients before compute,
 * failure isolation, bounded admission (429), and the guarantee that batching changes no result:
 * an input embedded in a busy server equals the same input embedded alone, bit for bit
 * (tolerance 0: the backend is checked batch-invariant at start-up, and each group is one
 * library call).
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SentenceTransformer } from "../../src/index.js";
import { type Backend, InProcessBackend } from "../../src/server/backend.js";
import { ClientGoneError } from "../../src/server/errors.js";
import { ServerMetrics } from "../../src/server/metrics.js";
import { type ServedModel, loadServedModel } from "../../src/server/model.js";
import { BatchQueue, type QueueItem } from "../../src/server/queue.js";
import { startServer } from "../../src/server/server.js";
import type { WorkGroup, WorkOutput } from "../../src/server/work.js";
import { ST_DIR, metricValue, get, nums, post, rowsOf, start, until } from "./helpers.js";

/** A backend that records its calls and waits for `open()` before answering. */
function gated(compute: (g: readonly WorkGroup[]) => Promise<WorkOutput[][]>, batchInvariant = true) {
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => (open = r));
  const calls: WorkGroup[][] = [];
  const backend: Backend = {
    capacity: 1,
    batchInvariant,
    healthy: () => true,
    close: async () => {},
    run: async (groups) => {
      calls.push(groups.map((g) => ({ spec: g.spec, inputs: [...g.inputs] })));
      await gate;
      return compute(groups);
    },
  };
  return { backend, calls, open: () => open() };
}

/** Echo backend: each input's output is its length (or throws on "bad"). */
const echo = async (groups: readonly WorkGroup[]): Promise<WorkOutput[][]> =>
  groups.map((g) =>
    g.inputs.map((x) => {
      if (x === "bad") throw new Error("bad input");
      return { data: Float32Array.of((x as string).length), rows: 1, cols: 1 };
    }),
  );

const item = (input: string, tokens = 4): QueueItem => ({ spec: { op: "embed", normalize: true }, input, tokens });

describe("BatchQueue", () => {
  it("packs the oldest inputs under the token budget; an input over the budget still runs alone", async () => {
    const g = gated(echo);
    g.open();
    const q = new BatchQueue(g.backend, { maxBatchTokens: 10 });
    const jobs = ["a", "b", "c", "d", "e"].map((s) => q.submit({ items: [item(s)] }));
    const big = q.submit({ items: [item("huge", 50)] });
    await Promise.all([...jobs, big]);
    expect(g.calls.map((c) => c.flatMap((grp) => grp.inputs))).toEqual([["a", "b"], ["c", "d"], ["e"], ["huge"]]);
  });

  it("drops a job whose client went away before its inputs are computed", async () => {
    const g = gated(echo);
    const metrics = new ServerMetrics({ queueSize: () => 0, inFlight: () => 0 });
    const q = new BatchQueue(g.backend, { maxBatchTokens: 100 }, metrics);
    const first = q.submit({ items: [item("first")] });
    await until(() => g.calls.length === 1);
    const client = new AbortController();
    const gone = q.submit({ items: [item("gone"), item("gone too")], signal: client.signal });
    const kept = q.submit({ items: [item("kept")] });
    client.abort();
    g.open();
    await expect(gone).rejects.toBeInstanceOf(ClientGoneError);
    expect((await kept).outputs.map((o) => o.data[0])).toEqual([4]);
    await first;
    expect(g.calls.flat().flatMap((grp) => grp.inputs)).toEqual(["first", "kept"]);
    expect(metrics.cancelled.get()).toBe(2);
  });

  it("merges requests with equal options into one group; splits them when the backend is not batch-invariant", async () => {
    for (const invariant of [true, false]) {
      const g = gated(echo, invariant);
      g.open();
      const q = new BatchQueue(g.backend, { maxBatchTokens: 100 });
      await Promise.all([q.submit({ items: [item("a"), item("b")] }), q.submit({ items: [item("c")] })]);
      expect(g.calls[0]?.map((grp) => grp.inputs)).toEqual(invariant ? [["a", "b", "c"]] : [["a", "b"], ["c"]]);
    }
  });

  it("a batch that fails is retried per request: only the request with the bad input fails", async () => {
    const g = gated(echo);
    g.open();
    const q = new BatchQueue(g.backend, { maxBatchTokens: 100 });
    const [ok, bad] = await Promise.allSettled([q.submit({ items: [item("fine")] }), q.submit({ items: [item("bad")] })]);
    expect(ok.status === "fulfilled" && ok.value.outputs[0]?.data[0]).toBe(4);
    expect(bad.status).toBe("rejected");
  });
});

describe("a busy server (real model, gated backend)", () => {
  let served: ServedModel;
  let model: SentenceTransformer;
  let inner: InProcessBackend;

  beforeAll(async () => {
    served = await loadServedModel(ST_DIR);
    if (served.kind !== "embedding") throw new Error("fixture is a bi-encoder");
    model = served.model;
    inner = await InProcessBackend.start(served);
  });

  const words = ["apple", "river", "stone", "music", "green", "cloud", "table", "light"];
  const text = (i: number): string => Array.from({ length: 1 + (i % 7) }, (_, k) => words[(i + k) % words.length]).join(" ");

  it("the fixture's backend is batch-invariant, so requests share library calls", () => {
    expect(inner.batchInvariant).toBe(true);
  });

  it("every input embedded among 24 concurrent requests equals the same input embedded alone (exact)", async () => {
    const g = gated((groups) => inner.run(groups));
    const server = await start({ model: ST_DIR, served, createBackend: async () => g.backend });
    try {
      const first = post(server, "/embed", { inputs: "warm up" });
      await until(() => g.calls.length === 1);
      const requests = Array.from({ length: 24 }, (_, i) => {
        const opts = { normalize: i % 2 === 0, ...(i % 3 === 0 ? { prompt_name: "query" } : {}), ...(i % 4 === 0 ? { dimensions: 16 } : {}), truncate: true };
        const inputs = i % 5 === 0 ? [text(i), text(i + 1)] : text(i);
        return { inputs, opts };
      });
      const replies = requests.map((r) => post(server, "/embed", { inputs: r.inputs, ...r.opts }));
      const total = requests.reduce((s, r) => s + (Array.isArray(r.inputs) ? r.inputs.length : 1), 0);
      await until(() => server.stats().queueSize === total);
      g.open();
      const got = await Promise.all(replies);
      await first;
      expect(g.calls).toHaveLength(2);
      const batch = g.calls[1] ?? [];
      expect(batch.flatMap((grp) => grp.inputs)).toHaveLength(total);
      expect(batch.length).toBe(new Set(requests.map((r) => JSON.stringify(r.opts))).size); // one library call per option set
      expect(Math.max(...batch.map((grp) => grp.inputs.length))).toBeGreaterThanOrEqual(3);
      for (const [i, r] of requests.entries()) {
        const texts = Array.isArray(r.inputs) ? r.inputs : [r.inputs];
        const libOpts = { normalizeEmbeddings: r.opts.normalize, ...(r.opts.prompt_name ? { promptName: r.opts.prompt_name } : {}), ...(r.opts.dimensions ? { truncateDim: r.opts.dimensions } : {}) };
        const alone = await Promise.all(texts.map(async (t) => nums((await model.encode([t], libOpts)).row(0))));
        expect(got[i]?.status).toBe(200);
        expect(got[i]?.body, `request ${i}`).toEqual(alone);
      }
    } finally {
      await server.close();
    }
  });

  it("a client that disconnects while queued is dropped before compute; the rest are answered", async () => {
    const g = gated((groups) => inner.run(groups));
    const server = await start({ model: ST_DIR, served, createBackend: async () => g.backend });
    try {
      const first = post(server, "/embed", { inputs: "holding the backend" });
      await until(() => g.calls.length === 1);
      const req = httpRequest({ host: "127.0.0.1", port: server.port, path: "/embed", method: "POST", headers: { "content-type": "application/json" } });
      req.on("error", () => {});
      req.end(JSON.stringify({ inputs: ["never computed"] }));
      const kept = post(server, "/embed", { inputs: "computed" });
      await until(() => server.stats().queueSize === 2);
      req.destroy();
      await until(() => server.stats().inFlight === 2);
      g.open();
      expect((await kept).body).toEqual(rowsOf(await model.encode(["computed"], { normalizeEmbeddings: true })));
      await first;
      expect(g.calls.flat().flatMap((grp) => grp.inputs)).not.toContain("never computed");
      expect(metricValue((await get(server, "/metrics")).text, "sbert_inputs_dropped_before_compute")).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("beyond --max-concurrent-requests a request gets 429 at once; admitted ones finish", async () => {
    const g = gated((groups) => inner.run(groups));
    const server = await start({ model: ST_DIR, served, maxConcurrentRequests: 3, createBackend: async () => g.backend });
    try {
      let answered = 0;
      const admitted = ["one", "two", "three"].map((t) => post(server, "/embed", { inputs: t }).finally(() => answered++));
      await until(() => server.stats().inFlight === 3);
      const refused = await post(server, "/embed", { inputs: "four" });
      expect(refused).toMatchObject({ status: 429, body: { error: "Model is overloaded", error_type: "overloaded" } });
      // "at once": answered while the admitted requests still wait on the closed gate, not after them
      expect(answered).toBe(0);
      expect((await get(server, "/health")).status).toBe(200);
      g.open();
      expect((await Promise.all(admitted)).map((r) => r.status)).toEqual([200, 200, 200]);
      expect((await post(server, "/embed", { inputs: "five" })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("while the model loads: 503 unhealthy for /health and inference routes; 200 once ready", async () => {
    let release: () => void = () => {};
    const loading = new Promise<void>((r) => (release = r));
    const server = await startServer({ model: ST_DIR, served, port: 0, host: "127.0.0.1", createBackend: async () => (await loading, inner) });
    try {
      expect(server.state()).toBe("loading");
      expect(await get(server, "/health")).toMatchObject({ status: 503, body: { error: "the model is loading", error_type: "unhealthy" } });
      expect(await post(server, "/embed", { inputs: "a" })).toMatchObject({ status: 503, body: { error_type: "unhealthy" } });
      release();
      await server.ready;
      expect((await get(server, "/health")).status).toBe(200);
      expect((await post(server, "/embed", { inputs: "a" })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  afterAll(() => inner?.close());
});
