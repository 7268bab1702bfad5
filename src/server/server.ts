/**
 * The HTTP layer (node:http): routing, API key, admission (at most `--max-concurrent-requests`
 * requests at once, 429 beyond), body limits, errors in TEI's shape, timing headers, and a
 * graceful close: stop accepting, answer what was accepted, then stop the workers.
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
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { type AddressInfo, Server as NetServer } from "node:net";
import { checkOptions, optionKeys } from "../strict-options.js";
import { type Backend, InProcessBackend } from "./backend.js";
import { DEFAULT_SERVER_CONFIG, type ServerConfig, checkBatchBudget } from "./config.js";
import type { Handler, RouteContext } from "./context.js";
import { ApiError, ClientGoneError, errorBody, toApiError } from "./errors.js";
import { readJsonBody, send, timingHeaders } from "./http-io.js";
import { ServerMetrics } from "./metrics.js";
import { type ServedModel, backendName, loadServedModel, maxInputLength, modelClassOf } from "./model.js";
import { BatchQueue } from "./queue.js";
import { embed, embedAll, openaiEmbeddings, similarity } from "./routes-embed.js";
import { decode, info, tokenize } from "./routes-info.js";
import { predict, rerank } from "./routes-rerank.js";
import { WorkerPoolBackend } from "./worker-pool.js";

export type ServerState = "loading" | "ready" | "failed" | "draining" | "closed";

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

interface Route {
  method: "GET" | "POST";
  /** Needs the API key. */
  auth: boolean;
  openai?: boolean;
  handler: (h: Handlers) => Handler;
}

interface Handlers {
  info: Handler;
  default: Handler;
}

const post = (handler: Handler, openai = false): Route => ({ method: "POST", auth: true, openai, handler: () => handler });
const ROUTES: ReadonlyMap<string, readonly Route[]> = new Map([
  ["/embed", [post(embed)]],
  ["/embed_all", [post(embedAll)]],
  ["/similarity", [post(similarity)]],
  ["/v1/embeddings", [post(openaiEmbeddings, true)]],
  ["/embeddings", [post(openaiEmbeddings, true)]],
  ["/rerank", [post(rerank)]],
  ["/predict", [post(predict)]],
  ["/tokenize", [post(tokenize)]],
  ["/decode", [post(decode)]],
  ["/info", [{ method: "GET", auth: true, handler: (h) => h.info }]],
  ["/invocations", [{ method: "POST", auth: true, handler: (h) => h.default }]],
  ["/", [{ method: "POST", auth: true, handler: (h) => h.default }]],
]);
/** Answered without the API key and while loading (TEI's public routes). */
const HEALTH_PATHS = new Set(["/health", "/ping", "/"]);

const START_KEYS = optionKeys<StartOptions>({
  model: true, served: true, createBackend: true, log: true, drainTimeoutMs: true,
  port: true, host: true, maxBatchTokens: true, maxConcurrentRequests: true, maxClientBatchSize: true, maxInputLength: true,
  autoTruncate: true, apiKey: true, backend: true, threads: true, payloadLimit: true, requestTimeoutMs: true, revision: true, onnxFile: true,
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
  let state: ServerState = "loading";
  let served: ServedModel | undefined;
  let backend: Backend | undefined;
  let queue: BatchQueue | undefined;
  let handlers: Handlers | undefined;
  let inFlight = 0;
  let active = 0;
  const drainWaiters: (() => void)[] = [];
  const metrics = new ServerMetrics({ queueSize: () => queue?.size ?? 0, inFlight: () => inFlight });
  const keyDigest = cfg.apiKey === undefined ? undefined : digest(`Bearer ${cfg.apiKey}`);

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

  const ready = (async () => {
    log(`loading ${cfg.model}`);
    const onnxThreads = cfg.threads !== undefined && cfg.threads > 0 ? cfg.threads : undefined;
    served = opts.served ?? (await loadServedModel(cfg.model, { maxInputLength: cfg.maxInputLength, backend: cfg.backend, onnxThreads, revision: cfg.revision, onnxFile: cfg.onnxFile }));
    const limit = maxInputLength(served);
    checkBatchBudget(limit, cfg.maxBatchTokens);
    const engine = backendName(served);
    const init = { source: served.dir, modelClass: modelClassOf(served), maxInputLength: limit, backend: engine === "onnx" ? "onnx" : "native", onnxThreads, onnxFile: cfg.onnxFile } as const;
    backend = opts.createBackend
      ? await opts.createBackend(served)
      : cfg.threads === 0
        ? await InProcessBackend.start(served)
        : await WorkerPoolBackend.start(init, engine === "onnx" ? 1 : (cfg.threads ?? 1));
    queue = new BatchQueue(backend, { maxBatchTokens: cfg.maxBatchTokens }, metrics);
    const fallback = served.kind === "embedding" ? embed : served.kind === "reranker" ? rerank : predict;
    handlers = { info: info(served, { ...cfg, workers: backend.capacity }, packageVersion()), default: fallback };
    if (state === "loading") state = "ready";
    const merging = backend.batchInvariant ? "across requests (backend is batch-invariant)" : "per request (backend is not batch-invariant)";
    const where = cfg.threads === 0 ? "the HTTP thread" : `${backend.capacity} worker thread(s)`;
    log(`ready: ${served.kind} model, ${engine} backend on ${where}, max input ${limit} tokens, batching ${merging}`);
  })();
  ready.catch((e: unknown) => {
    if (state === "loading") state = "failed";
    log(`failed to load: ${(e as Error).message}`);
  });

  const overloaded = (openai: boolean): Buffer => Buffer.from(JSON.stringify(errorBody(new ApiError("overloaded", "Model is overloaded"), openai)));
  const OVERLOADED = { tei: overloaded(false), openai: overloaded(true) };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (inFlight >= cfg.maxConcurrentRequests && state === "ready" && req.method === "POST" && !keyDigest) {
      // The cheapest answer for the excess under overload: no body read, no per-request state.
      const route = ROUTES.get(path)?.find((r) => r.method === "POST");
      if (route) return rejectOverloaded(res, path, route.openai === true);
    }
    const controller = new AbortController();
    let permit = false;
    let route: Route | undefined;
    active++;
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
      if (permit) inFlight--;
      active--;
      if (active === 0) drainWaiters.splice(0).forEach((w) => w());
    });
    let status = 200;
    try {
      const candidates = ROUTES.get(path);
      route = candidates?.find((r) => r.method === req.method);
      const draining = state === "draining" || state === "closed";
      if (req.method === "GET" && path === "/metrics") {
        send(res, 200, metrics.render(), "text/plain; version=0.0.4", {}, draining);
        return;
      }
      if (req.method === "GET" && HEALTH_PATHS.has(path)) {
        if (state === "ready" && backend?.healthy()) {
          send(res, 200, "", "text/plain", {}, false);
          return;
        }
        throw new ApiError("unhealthy", state === "loading" ? "the model is loading" : draining ? "the server is shutting down" : "unhealthy");
      }
      if (!route) throw candidates ? new ApiError("method_not_allowed", `${req.method} is not allowed on ${path}`) : new ApiError("not_found", `no route ${req.method} ${path}`);
      if (draining) throw new ApiError("unhealthy", "the server is shutting down; retry on another instance");
      if (route.auth && keyDigest && !authorized(req, keyDigest)) throw new ApiError("unauthorized", "missing or wrong API key: send `Authorization: Bearer <key>`");
      if (state !== "ready" || !served || !queue || !handlers) throw new ApiError("unhealthy", state === "loading" ? "the model is loading; retry shortly" : "the model failed to load");
      let body: unknown;
      if (route.method === "POST") {
        if (inFlight >= cfg.maxConcurrentRequests) throw new ApiError("overloaded", "Model is overloaded");
        inFlight++;
        permit = true;
        body = await readJsonBody(req, { payloadLimit: cfg.payloadLimit, timeoutMs: cfg.requestTimeoutMs });
      }
      const ctx: RouteContext = { served, config: cfg, queue, metrics, signal: controller.signal, startedAt };
      const result = await route.handler(handlers)(ctx, body);
      const headers = result.timing ? timingHeaders(result.timing) : {};
      // A client that left while its answer was computed gets nothing and is counted as 499 (nginx's "client closed request").
      if (!send(res, 200, result.body, result.contentType ?? "application/json", headers, isDraining())) status = 499;
      if (result.timing) metrics.requestDuration.observe((performance.now() - startedAt) / 1000);
    } catch (e) {
      if (e instanceof ClientGoneError || res.destroyed) {
        status = 499;
        return;
      }
      const err = toApiError(e);
      status = err.status;
      if (err.kind === "internal") log(`internal error on ${path}: ${(err.cause as Error | undefined)?.stack ?? err.message}`);
      metrics.requestFailure.inc({ err: err.kind });
      send(res, err.status, JSON.stringify(errorBody(err, route?.openai === true)), "application/json", {}, err.kind === "timeout" || isDraining());
      // A body refused for its size is read and dropped (closing with unread bytes would reset the
      // connection before the client sees the 413), up to a cap past which the connection is cut.
      if (err.kind === "payload_too_large") discardBody(req, 8 * cfg.payloadLimit);
    } finally {
      metrics.httpResponses.inc({ route: ROUTES.has(path) || HEALTH_PATHS.has(path) || path === "/metrics" ? path : "other", status: String(status === 200 ? res.statusCode : status) });
    }
  }

  const isDraining = (): boolean => state === "draining" || state === "closed";

  function rejectOverloaded(res: ServerResponse, path: string, openai: boolean): void {
    const body = openai ? OVERLOADED.openai : OVERLOADED.tei;
    metrics.requestFailure.inc({ err: "overloaded" });
    metrics.httpResponses.inc({ route: path, status: "429" });
    res.writeHead(429, { "content-type": "application/json", "content-length": String(body.length) });
    res.end(body);
  }

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    if (closing) return closing;
    closing = (async () => {
      if (state !== "closed") state = "draining";
      log("draining: no new connections; finishing accepted requests");
      // Stop listening but keep idle keep-alive connections while accepted requests finish: a
      // request sent on one meanwhile gets 503 with `Connection: close` instead of a reset
      // (http.Server#close would close them now). They are closed once the drain is over.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      const drainTimeout = opts.drainTimeoutMs ?? 30_000;
      if (active > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            log(`drain timeout after ${drainTimeout} ms: closing ${active} open request(s)`);
            server.closeAllConnections();
            resolve();
          }, drainTimeout);
          drainWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      server.close();
      await closed;
      await ready.catch(() => {});
      await backend?.close();
      state = "closed";
      log("stopped");
    })();
    return closing;
  }

  return {
    url,
    port,
    ready,
    metrics,
    state: () => state,
    stats: () => ({ queueSize: queue?.size ?? 0, inFlight, active }),
    close,
  };
}

function discardBody(req: IncomingMessage, cap: number): void {
  let seen = 0;
  req.on("data", (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > cap) req.socket.destroy();
  });
  req.resume();
}

function authorized(req: IncomingMessage, expected: Buffer): boolean {
  const got = req.headers.authorization;
  return typeof got === "string" && timingSafeEqual(digest(got), expected);
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function packageVersion(): string {
  try {
    const raw = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    const v = (JSON.parse(raw) as { version?: unknown }).version;
    return typeof v === "string" ? v : "unknown";
  } catch {
    return "unknown";
  }
}
