/**
 * The HTTP server (node:http): listen, load the model in the background, and a graceful close:
 * stop accepting, answer what was accepted, then stop the workers. Which state the server is in
 * and what it admits is `lifecycle.ts`; one request's path is `router.ts`.
 *
 * Request path: router → validator + tokenizer (this thread) → BatchQueue (one owner) → Backend
 * (worker threads).
 *
 * @example
 * const server = await startServer({ model: "test/fixtures/st-bert-mean", port: 0 });
 * await server.ready;
 * await fetch(`${server.url}/embed`, { method: "POST", body: JSON.stringify({ inputs: "hi" }) });
 * await server.close();
 */
import { type Server, createServer } from "node:http";
import { type AddressInfo, Server as NetServer } from "node:net";
import { checkOptions, optionKeys } from "../strict-options.js";
import { type Backend, InProcessBackend } from "./backend.js";
import { DEFAULT_SERVER_CONFIG, type ServerConfig, checkBatchBudget } from "./config.js";
import { ServerLifecycle, type ServerState } from "./lifecycle.js";
import { ServerMetrics } from "./metrics.js";
import { type ServedModel, backendName, loadServedModel, maxInputLength, modelClassOf } from "./model.js";
import { BatchQueue } from "./queue.js";
import { type Loaded, createRequestHandler } from "./router.js";
import { embed } from "./routes-embed.js";
import { info } from "./routes-info.js";
import { predict, rerank } from "./routes-rerank.js";
import { embedSparse } from "./routes-sparse.js";
import { WorkerPoolBackend } from "./worker-pool.js";
import { packageVersion } from "../package-version.js";

export type { ServerState } from "./lifecycle.js";

export interface StartOptions extends Partial<Omit<ServerConfig, "model">> {
  model: string;
  /** An already loaded model for `model` (saves loading it twice in tests and embedding apps). */
  served?: ServedModel;
  /** Builds the backend instead of worker threads / the main thread (tests). */
  createBackend?: (served: ServedModel) => Promise<Backend>;
  /** Lifecycle lines (default: none). */
  log?: (line: string) => void;
  /** Longest wait for accepted requests on close, in ms (default 30 000); then connections are cut. */
  drainTimeoutMs?: number;
}

export interface RunningServer {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  /** Resolves when the model is loaded and the workers are up; rejects when loading fails. */
  readonly ready: Promise<void>;
  readonly metrics: ServerMetrics;
  state(): ServerState;
  stats(): { queueSize: number; inFlight: number; active: number };
  /** Graceful stop: refuses new connections, finishes accepted requests, stops the backend. */
  close(): Promise<void>;
}

const START_KEYS = optionKeys<StartOptions>({
  model: true, served: true, createBackend: true, log: true, drainTimeoutMs: true,
  port: true, host: true, maxBatchTokens: true, maxConcurrentRequests: true, maxClientBatchSize: true, maxInputLength: true,
  autoTruncate: true, apiKey: true, backend: true, threads: true, payloadLimit: true, requestTimeoutMs: true, revision: true, onnxFile: true,
  maxImageBytes: true, maxImagePixels: true,
});

/**
 * Starts listening at once and loads the model in the background (`ready`).
 * @throws SbertError INVALID_INPUT for an option `StartOptions` does not have (with the nearest valid one)
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  checkOptions(opts, START_KEYS, "startServer");
  const { served: _s, createBackend: _b, log: _l, drainTimeoutMs: _d, ...settings } = opts;
  const cfg: ServerConfig = { ...DEFAULT_SERVER_CONFIG, ...definedOnly(settings), model: opts.model };
  const log = opts.log ?? (() => {});
  const drainTimeoutMs = opts.drainTimeoutMs ?? 30_000;
  const lc = new ServerLifecycle<Loaded>({ maxConcurrentRequests: cfg.maxConcurrentRequests, drainTimeoutMs });
  const metrics = new ServerMetrics({ queueSize: () => lc.resources?.queue.size ?? 0, inFlight: () => lc.inFlight });
  const handle = createRequestHandler({ config: cfg, lifecycle: lc, metrics, log });
  const server: Server = createServer({ keepAliveTimeout: 5000 }, (req, res) => void handle(req, res));
  server.requestTimeout = cfg.requestTimeoutMs * 2;
  server.headersTimeout = Math.min(cfg.requestTimeoutMs, 60_000);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host}:${port}`;
  log(`listening on ${url}`);

  const ready = load(cfg, opts, metrics, log).then((loaded) => {
    lc.loaded(loaded);
    log(readyLine(cfg, loaded));
  });
  ready.catch((e: unknown) => {
    lc.loadFailed();
    log(`failed to load: ${(e as Error).message}`);
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    ready,
    metrics,
    state: () => lc.state,
    stats: () => ({ queueSize: lc.resources?.queue.size ?? 0, inFlight: lc.inFlight, active: lc.active }),
    close: () => (closing ??= drainAndStop(server, lc, ready, { drainTimeoutMs, log })),
  };
}

/** Loads the model (unless given), starts the backend and the queue. */
async function load(cfg: ServerConfig, opts: StartOptions, metrics: ServerMetrics, log: (line: string) => void): Promise<Loaded> {
  log(`loading ${cfg.model}`);
  const onnxThreads = cfg.threads !== undefined && cfg.threads > 0 ? cfg.threads : undefined;
  const served = opts.served ?? (await loadServedModel(cfg.model, { maxInputLength: cfg.maxInputLength, backend: cfg.backend, onnxThreads, revision: cfg.revision, onnxFile: cfg.onnxFile }));
  const limit = maxInputLength(served);
  checkBatchBudget(limit, cfg.maxBatchTokens);
  const engine = backendName(served);
  const init = { source: served.dir, modelClass: modelClassOf(served), maxInputLength: limit, backend: engine === "onnx" ? "onnx" : "native", onnxThreads, onnxFile: cfg.onnxFile } as const;
  const backend = opts.createBackend
    ? await opts.createBackend(served)
    : cfg.threads === 0
      ? await InProcessBackend.start(served)
      : await WorkerPoolBackend.start(init, engine === "onnx" ? 1 : (cfg.threads ?? 1));
  try {
    const queue = new BatchQueue(backend, { maxBatchTokens: cfg.maxBatchTokens }, metrics);
    const fallback = served.kind === "embedding" ? embed : served.kind === "sparse" ? embedSparse : served.kind === "reranker" ? rerank : predict;
    const handlers = { info: info(served, { ...cfg, workers: backend.capacity }, packageVersion()), default: fallback };
    return { served, backend, queue, handlers };
  } catch (e) {
    await backend.close();
    throw e;
  }
}

function readyLine(cfg: ServerConfig, { served, backend }: Loaded): string {
  const merging = backend.batchInvariant ? "across requests (backend is batch-invariant)" : "per request (backend is not batch-invariant)";
  const where = cfg.threads === 0 ? "the HTTP thread" : `${backend.capacity} worker thread(s)`;
  return `ready: ${served.kind} model, ${backendName(served)} backend on ${where}, max input ${maxInputLength(served)} tokens, batching ${merging}`;
}

/**
 * Drains, then stops: stop listening but keep idle keep-alive connections while accepted requests
 * finish (a request sent on one meanwhile gets 503 with `Connection: close` instead of a reset;
 * http.Server#close would close them now), cut what is still open after the drain timeout, then
 * stop the backend.
 */
async function drainAndStop(server: Server, lc: ServerLifecycle<Loaded>, ready: Promise<void>, opts: { drainTimeoutMs: number; log: (line: string) => void }): Promise<void> {
  lc.beginDrain();
  opts.log("draining: no new connections; finishing accepted requests");
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  const outcome = await lc.drained();
  if (outcome.timedOut) {
    opts.log(`drain timeout after ${opts.drainTimeoutMs} ms: closing ${outcome.open} open request(s)`);
    server.closeAllConnections();
  }
  server.close();
  await closed;
  await ready.catch(() => {});
  await lc.resources?.backend.close();
  lc.closed();
  opts.log("stopped");
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
