/**
 * Reading request bodies and writing responses with node:http: size limit, body timeout, strict
 * UTF-8 and JSON, and TEI's timing headers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, ClientGoneError } from "./errors.js";

export interface BodyLimits {
  /** Bytes. */
  payloadLimit: number;
  /** Milliseconds to receive the whole body. */
  timeoutMs: number;
}

/**
 * The request body as parsed JSON.
 * @throws ApiError payload_too_large (413, before reading when Content-Length says so), timeout
 *   (408), bad_json (400: not UTF-8, not JSON); ClientGoneError when the client disconnects
 */
export async function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<unknown> {
  const buf = await readBody(req, limits);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    throw new ApiError("bad_json", "the request body is not valid UTF-8");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ApiError("bad_json", `Failed to parse the request body as JSON: ${(e as Error).message}`);
  }
}

function readBody(req: IncomingMessage, { payloadLimit, timeoutMs }: BodyLimits): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > payloadLimit) {
    return Promise.reject(new ApiError("payload_too_large", `the request body is ${declared} bytes; the limit is ${payloadLimit} (--payload-limit)`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: Error | undefined): void => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("aborted", onGone);
      req.off("close", onClose);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > payloadLimit) {
        req.pause();
        finish(new ApiError("payload_too_large", `the request body is over the limit of ${payloadLimit} bytes (--payload-limit)`));
      } else chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onGone = (): void => finish(new ClientGoneError());
    const onClose = (): void => {
      if (!req.complete) finish(new ClientGoneError());
    };
    const timer = setTimeout(() => {
      req.pause();
      finish(new ApiError("timeout", `the request body did not arrive within ${timeoutMs} ms (--request-timeout)`));
    }, timeoutMs);
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("aborted", onGone);
    req.on("close", onClose);
  });
}

/** TEI's timing and compute headers; times in whole milliseconds. */
export interface Timing {
  startedAt: number;
  tokenizationMs: number;
  queueMs: number;
  inferenceMs: number;
  computeChars: number;
  computeTokens: number;
}

export function timingHeaders(t: Timing): Record<string, string> {
  const total = String(Math.round(performance.now() - t.startedAt));
  return {
    "x-compute-type": "cpu",
    "x-compute-time": total,
    "x-compute-characters": String(t.computeChars),
    "x-compute-tokens": String(t.computeTokens),
    "x-total-time": total,
    "x-tokenization-time": String(Math.round(t.tokenizationMs)),
    "x-queue-time": String(Math.round(t.queueMs)),
    "x-inference-time": String(Math.round(t.inferenceMs)),
  };
}

/**
 * Writes a complete response unless the client is gone. `close` asks the client to reconnect
 * (a body left unread, or the server is draining) and ends the connection after the response.
 * @returns false when nothing was sent (the client had gone, or a response was already sent)
 */
export function send(res: ServerResponse, status: number, body: string, contentType: string, headers: Record<string, string>, close: boolean): boolean {
  if (res.destroyed || res.headersSent) return false;
  const payload = Buffer.from(body, "utf8");
  res.writeHead(status, { ...headers, "content-type": contentType, "content-length": String(payload.length), ...(close ? { connection: "close" } : {}) });
  res.end(payload);
  return true;
}
