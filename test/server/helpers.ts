/** Shared helpers for the server tests: start a server on 127.0.0.1:0, send real HTTP requests. */
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { type RunningServer, type StartOptions, startServer } from "../../src/server/server.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const ST_DIR = `${ROOT}test/fixtures/st-bert-mean`;
export const CE_DIR = `${ROOT}test/fixtures/ce-bert-1label`;

/** Starts a server on an ephemeral port and waits until it is ready. */
export async function start(opts: StartOptions): Promise<RunningServer> {
  const server = await startServer({ port: 0, host: "127.0.0.1", ...opts });
  await server.ready;
  return server;
}

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** POSTs `body` (JSON-encoded unless a string or Buffer) and parses a JSON answer. */
export async function post(server: RunningServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const payload = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await fetch(`${server.url}${path}`, { method: "POST", body: payload, headers: { "content-type": "application/json", ...headers } });
  return reply(res);
}

export async function get(server: RunningServer, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return reply(await fetch(`${server.url}${path}`, { headers }));
}

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    // not JSON (health, metrics)
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Plain numbers of a typed array (what JSON carries). */
export const nums = (a: ArrayLike<number>): number[] => Array.from(a);

/** Rows of a DenseMatrix-like object as plain arrays. */
export function rowsOf(m: { rows: number; row(i: number): ArrayLike<number> }): number[][] {
  return Array.from({ length: m.rows }, (_, i) => nums(m.row(i)));
}

/** A value of a metric line such as `te_request_count{method="batch"} 3`, summed over label sets. */
export function metricValue(text: string, name: string, labels = ""): number {
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}${labels}`) && /[\s{]/.test(l.charAt(name.length)))
    .reduce((s, l) => s + Number(l.split(" ").pop()), 0);
}

/**
 * Sends raw bytes over TCP and resolves with what comes back when the server closes the
 * connection or `waitMs` passes. `end: false` leaves the request unfinished.
 */
export function rawExchange(server: RunningServer, bytes: Buffer, opts: { waitMs: number; end?: boolean }): Promise<{ response: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1");
    let response = "";
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ response, closedByServer });
    };
    const timer = setTimeout(() => finish(false), opts.waitMs);
    socket.on("data", (d) => (response += d.toString("utf8")));
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", reject);
    socket.write(bytes);
    if (opts.end) socket.end();
  });
}

/** Starts a POST with a declared body size, writes `partial`, and returns a handle to abort it. */
export function partialPost(server: RunningServer, path: string, declaredLength: number, partial: string): { abort: () => void; done: Promise<number | "closed"> } {
  const req = httpRequest({ host: "127.0.0.1", port: server.port, path, method: "POST", headers: { "content-type": "application/json", "content-length": String(declaredLength) } });
  const done = new Promise<number | "closed">((resolve) => {
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve("closed"));
  });
  req.write(partial);
  return { abort: () => req.destroy(), done };
}

/** Polls `cond` every 5 ms until it holds (or fails after `timeoutMs`). */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
