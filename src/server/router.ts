/**
 * One HTTP request, start to end: route table, API key, admission (asked of the lifecycle: 503
 * while loading or draining, 429 beyond `--max-concurrent-requests`), body limits, errors in TEI's
 * shape, timing headers and the response metrics.
 *
 * @example
 * const handler = createRequestHandler({ config, lifecycle, metrics, log });
 * const server = createServer((req, res) => void handler(req, res));
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Backend } from "./backend.js";
import type { ServerConfig } from "./config.js";
import type { Handler, RouteContext } from "./context.js";
import { ApiError, ClientGoneError, errorBody, toApiError } from "./errors.js";
import { readJsonBody, send, timingHeaders } from "./http-io.js";
import type { Admission, ServerLifecycle } from "./lifecycle.js";
import type { ServerMetrics } from "./metrics.js";
import type { ServedModel } from "./model.js";
import type { BatchQueue } from "./queue.js";
import { embed, embedAll, openaiEmbeddings, similarity } from "./routes-embed.js";
import { decode, tokenize } from "./routes-info.js";
import { predict, rerank } from "./routes-rerank.js";
import { embedSparse } from "./routes-sparse.js";

/** What a loaded server serves with: the lifecycle's resources. */
export interface Loaded {
  served: ServedModel;
  backend: Backend;
  queue: BatchQueue;
  handlers: Handlers;
}

export interface Handlers {
  info: Handler;
  default: Handler;
}

interface Route {
  method: "GET" | "POST";
  /** Needs the API key. */
  auth: boolean;
  openai?: boolean;
  handler: (h: Handlers) => Handler;
}

const post = (handler: Handler, openai = false): Route => ({ method: "POST", auth: true, openai, handler: () => handler });
const ROUTES: ReadonlyMap<string, readonly Route[]> = new Map([
  ["/embed", [post(embed)]],
  ["/embed_all", [post(embedAll)]],
  ["/embed_sparse", [post(embedSparse)]],
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

/** The error for a request the lifecycle did not admit. */
const REFUSALS: Readonly<Record<Exclude<Admission, "admitted">, () => ApiError>> = {
  loading: () => new ApiError("unhealthy", "the model is loading; retry shortly"),
  failed: () => new ApiError("unhealthy", "the model failed to load"),
  draining: () => new ApiError("unhealthy", "the server is shutting down; retry on another instance"),
  overloaded: () => new ApiError("overloaded", "Model is overloaded"),
};

export interface RouterEnv {
  config: ServerConfig;
  lifecycle: ServerLifecycle<Loaded>;
  metrics: ServerMetrics;
  log: (line: string) => void;
}

/** The `node:http` request listener of a server. */
export function createRequestHandler(env: RouterEnv): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { config: cfg, lifecycle: lc, metrics, log } = env;
  const keyDigest = cfg.apiKey === undefined ? undefined : digest(`Bearer ${cfg.apiKey}`);
  const overloaded = (openai: boolean): Buffer => Buffer.from(JSON.stringify(errorBody(REFUSALS.overloaded(), openai)));
  const OVERLOADED = { tei: overloaded(false), openai: overloaded(true) };

  function rejectOverloaded(res: ServerResponse, path: string, openai: boolean): void {
    const body = openai ? OVERLOADED.openai : OVERLOADED.tei;
    metrics.requestFailure.inc({ err: "overloaded" });
    metrics.httpResponses.inc({ route: path, status: "429" });
    res.writeHead(429, { "content-type": "application/json", "content-length": String(body.length) });
    res.end(body);
  }

  return async function handle(req, res) {
    const startedAt = performance.now();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (lc.saturated && req.method === "POST" && !keyDigest) {
      // The cheapest answer for the excess under overload: no body read, no per-request state.
      const route = ROUTES.get(path)?.find((r) => r.method === "POST");
      if (route) return rejectOverloaded(res, path, route.openai === true);
    }
    const controller = new AbortController();
    const slot = lc.enter();
    let route: Route | undefined;
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
      slot.leave();
    });
    let status = 200;
    try {
      const candidates = ROUTES.get(path);
      route = candidates?.find((r) => r.method === req.method);
      const draining = lc.draining;
      if (req.method === "GET" && path === "/metrics") {
        send(res, 200, metrics.render(), "text/plain; version=0.0.4", {}, draining);
        return;
      }
      if (req.method === "GET" && HEALTH_PATHS.has(path)) {
        if (lc.state === "ready" && lc.resources?.backend.healthy()) {
          send(res, 200, "", "text/plain", {}, false);
          return;
        }
        throw new ApiError("unhealthy", lc.state === "loading" ? "the model is loading" : draining ? "the server is shutting down" : "unhealthy");
      }
      if (!route) throw candidates ? new ApiError("method_not_allowed", `${req.method} is not allowed on ${path}`) : new ApiError("not_found", `no route ${req.method} ${path}`);
      if (draining) throw REFUSALS.draining();
      if (route.auth && keyDigest && !authorized(req, keyDigest)) throw new ApiError("unauthorized", "missing or wrong API key: send `Authorization: Bearer <key>`");
      const verdict = slot.admit(route.method === "POST");
      if (verdict !== "admitted") throw REFUSALS[verdict]();
      const loaded = lc.resources;
      if (!loaded) throw REFUSALS.loading(); // ready implies loaded
      const body = route.method === "POST" ? await readJsonBody(req, { payloadLimit: cfg.payloadLimit, timeoutMs: cfg.requestTimeoutMs }) : undefined;
      const ctx: RouteContext = { served: loaded.served, config: cfg, queue: loaded.queue, metrics, signal: controller.signal, startedAt };
      const result = await route.handler(loaded.handlers)(ctx, body);
      const headers = result.timing ? timingHeaders(result.timing) : {};
      // A client that left while its answer was computed gets nothing and is counted as 499 (nginx's "client closed request").
      if (!send(res, 200, result.body, result.contentType ?? "application/json", headers, lc.draining)) status = 499;
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
      send(res, err.status, JSON.stringify(errorBody(err, route?.openai === true)), "application/json", {}, err.kind === "timeout" || lc.draining);
      // A body refused for its size is read and dropped (closing with unread bytes would reset the
      // connection before the client sees the 413), up to a cap past which the connection is cut.
      if (err.kind === "payload_too_large") discardBody(req, 8 * cfg.payloadLimit);
    } finally {
      metrics.httpResponses.inc({ route: ROUTES.has(path) || HEALTH_PATHS.has(path) || path === "/metrics" ? path : "other", status: String(status === 200 ? res.statusCode : status) });
    }
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
