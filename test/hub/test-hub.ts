/**
 * A stand-in for the Hugging Face hub on 127.0.0.1, for tests: serves `test/fixtures/<name>` as
 * repo `sbert-test/<name>` (plus in-memory repos) with the hub's URL scheme, headers and status
 * codes, and can fail on demand (status codes, a connection cut mid-file, held responses, requests
 * never answered, bodies that stall mid-file with the connection left open).
 *
 * - `GET /api/models/{org}/{name}/revision/{rev}` → `{ _id, id, sha, private, siblings: [{ rfilename }] }`
 * - `HEAD|GET /{org}/{name}/resolve/{rev}/{path}` → small files: 200, `ETag` = git blob sha1;
 *   LFS files (*.safetensors, *.onnx, *.bin): 302 to `/cdn-lfs/{sha256}` with `X-Linked-Etag`
 *   (the sha256) and `X-Linked-Size`. Always `X-Repo-Commit`.
 * - `GET /cdn-lfs/{sha256}` → the bytes, with `Range` support (206 / 416).
 * - 401 + `X-Error-Code: RepoNotFound` for unknown or private repos without the token; 404 with
 *   `RevisionNotFound` / `EntryNotFound`.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative, sep } from "node:path";
import { vi } from "vitest";
import { FIXTURES } from "../helpers/fixtures.js";

export const ORG = "sbert-test";

export interface LoggedRequest {
  method: string;
  path: string;
  range: string | undefined;
  auth: string | undefined;
}

export interface TestHubOptions {
  /** Bearer token the private repos accept. */
  token?: string;
  privateRepos?: readonly string[];
  /** In-memory repos: id → { path: contents }. */
  repos?: Readonly<Record<string, Readonly<Record<string, string | Uint8Array>>>>;
  /** Delay between 16 KiB chunks of file bodies (ms). */
  chunkDelayMs?: number;
}

interface Repo {
  files: Map<string, Buffer>;
  commit: string;
}

export class TestHub {
  readonly requests: LoggedRequest[] = [];
  url = "";
  private server: Server;
  private readonly repos = new Map<string, Repo>();
  /** LFS blobs by sha256, as the CDN serves them. */
  private readonly blobs = new Map<string, Buffer>();
  private readonly failures: { match: string; statuses: number[] }[] = [];
  private readonly cuts: { match: string; times: number }[] = [];
  private readonly holds: { match: string; count: number; waiting: (() => void)[] }[] = [];
  private readonly hangs: { match: string; times: number }[] = [];
  private readonly stalls: { match: string; times: number; afterBytes: number }[] = [];

  constructor(private readonly opts: TestHubOptions = {}) {
    this.server = createServer((req, res) => void this.handle(req, res).catch((e: unknown) => res.destroy(e as Error)));
    for (const [id, files] of Object.entries(opts.repos ?? {})) {
      this.addRepo(id, new Map(Object.entries(files).map(([p, c]) => [p, Buffer.from(c)])));
    }
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  /** The next requests whose path contains `match` are answered with these statuses, in order. */
  fail(match: string, ...statuses: number[]): void {
    this.failures.push({ match, statuses });
  }

  /** The next `times` file bodies whose path contains `match` stop after half the bytes, then the socket is destroyed. */
  cut(match: string, times = 1): void {
    this.cuts.push({ match, times });
  }

  /** The next `times` requests whose path contains `match` are read and never answered (the socket stays open). */
  hang(match: string, times = Infinity): void {
    this.hangs.push({ match, times });
  }

  /**
   * The next `times` file bodies whose path contains `match` send their headers and the first
   * `afterBytes` bytes (at most), then nothing more, with the connection left open.
   */
  stall(match: string, times = Infinity, afterBytes = 0): void {
    this.stalls.push({ match, times, afterBytes });
  }

  /** Requests whose path contains `match` wait until `count` of them have arrived (at most 10 s). */
  hold(match: string, count: number): void {
    this.holds.push({ match, count, waiting: [] });
  }

  /** Logged requests, optionally only those whose method and path match. */
  count(method?: string, match?: string): number {
    return this.requests.filter((r) => (!method || r.method === method) && (!match || r.path.includes(match))).length;
  }

  commitOf(id: string): string {
    return (this.repo(id) as Repo).commit;
  }

  /** The repo `id`: in-memory, or `sbert-test/<fixture>`. */
  repo(id: string): Repo | undefined {
    let repo = this.repos.get(id);
    if (!repo && id.startsWith(`${ORG}/`)) {
      const dir = join(FIXTURES, id.slice(ORG.length + 1));
      if (!/^[\w.-]+$/.test(id.slice(ORG.length + 1)) || !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return undefined;
      repo = this.addRepo(id, readTree(dir));
    }
    return repo;
  }

  private addRepo(id: string, files: Map<string, Buffer>): Repo {
    const repo = { files, commit: sha1(`${id}@main`) };
    this.repos.set(id, repo);
    for (const body of files.values()) this.blobs.set(createHash("sha256").update(body).digest("hex"), body);
    return repo;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const path = decodeURIComponent(url.pathname);
    const auth = req.headers.authorization;
    this.requests.push({ method: req.method ?? "GET", path, range: req.headers.range, auth });
    for (const h of this.holds) {
      if (!path.includes(h.match) || h.count <= 0) continue;
      await new Promise<void>((release) => {
        h.waiting.push(release);
        if (h.waiting.length >= h.count) {
          h.count = 0;
          for (const w of h.waiting) w();
        } else setTimeout(release, 10_000).unref();
      });
    }
    const hang = this.hangs.find((h) => path.includes(h.match) && h.times > 0);
    if (hang) {
      hang.times--;
      return;
    }
    const failure = this.failures.find((f) => path.includes(f.match) && f.statuses.length > 0);
    if (failure) {
      const status = failure.statuses.shift() as number;
      return this.error(res, status, status === 429 ? "RateLimited" : "ServerError", `injected ${status}`, { "Retry-After": "0" });
    }

    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    if (api) {
      const repo = this.access(res, api[1] as string, api[2] as string, auth);
      if (!repo) return;
      const id = api[1] as string;
      return this.json(res, { _id: sha1(id).slice(0, 24), id, modelId: id, sha: repo.commit, private: this.isPrivate(id), siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })) });
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve) {
      const repo = this.access(res, resolve[1] as string, resolve[2] as string, auth);
      if (!repo) return;
      const file = resolve[3] as string;
      const body = repo.files.get(file);
      if (!body) return this.error(res, 404, "EntryNotFound", `${file} does not exist`);
      const common = { "X-Repo-Commit": repo.commit };
      if (isLfs(file)) {
        const sha256 = createHash("sha256").update(body).digest("hex");
        const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${body.length}\n`;
        res.writeHead(302, { ...common, Location: `${this.url}/cdn-lfs/${sha256}?file=${encodeURIComponent(file)}`, "X-Linked-Etag": `"${sha256}"`, "X-Linked-Size": String(body.length), ETag: `"${gitOid(Buffer.from(pointer))}"`, "Content-Length": "0" });
        return void res.end();
      }
      return this.serveBytes(req, res, path, body, { ...common, ETag: `"${gitOid(body)}"`, "Content-Type": "text/plain; charset=utf-8" });
    }
    const cdn = /^\/cdn-lfs\/([0-9a-f]{64})$/.exec(path);
    const blob = cdn ? this.blobs.get(cdn[1] as string) : undefined;
    if (blob) return this.serveBytes(req, res, path + (url.searchParams.get("file") ?? ""), blob, { ETag: `"${createHash("md5").update(blob).digest("hex")}"` });
    return this.error(res, 404, "EntryNotFound", "not found");
  }

  private isPrivate(id: string): boolean {
    return this.opts.privateRepos?.includes(id) ?? false;
  }

  /** The repo if the request may see it at `rev`; otherwise answers the error and returns undefined. */
  private access(res: ServerResponse, id: string, rev: string, auth: string | undefined): Repo | undefined {
    const repo = this.repo(id);
    const authorized = auth === `Bearer ${this.opts.token}`;
    if (!repo || (this.isPrivate(id) && !authorized)) {
      this.error(res, auth ? 404 : 401, "RepoNotFound", "Repository not found");
      return undefined;
    }
    if (rev !== "main" && rev !== repo.commit) {
      this.error(res, 404, "RevisionNotFound", `Invalid rev id: ${rev}`);
      return undefined;
    }
    return repo;
  }

  private async serveBytes(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer, headers: Record<string, string>): Promise<void> {
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const extra: Record<string, string> = { "Accept-Ranges": "bytes" };
    if (range) {
      start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { ...headers, "Content-Range": `bytes */${body.length}` });
        return void res.end();
      }
      status = 206;
      extra["Content-Range"] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    const part = body.subarray(start);
    res.writeHead(status, { ...headers, ...extra, "Content-Length": String(part.length) });
    if (req.method === "HEAD") return void res.end();
    const stall = this.stalls.find((c) => path.includes(c.match) && c.times > 0);
    if (stall) {
      stall.times--;
      res.write(part.subarray(0, Math.min(stall.afterBytes, part.length)));
      return; // headers (and maybe some bytes) sent; the rest never comes
    }
    const cut = this.cuts.find((c) => path.includes(c.match) && c.times > 0);
    if (cut) cut.times--;
    const stopAt = cut ? Math.floor(part.length / 2) : part.length;
    for (let i = 0; i < stopAt; i += 16384) {
      res.write(part.subarray(i, Math.min(i + 16384, stopAt)));
      if (this.opts.chunkDelayMs) await new Promise((r) => setTimeout(r, this.opts.chunkDelayMs));
    }
    if (cut) {
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    }
    res.end();
  }

  private json(res: ServerResponse, value: unknown): void {
    const text = JSON.stringify(value);
    res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)) });
    res.end(text);
  }

  private error(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    const text = JSON.stringify({ error: message });
    res.writeHead(status, { ...headers, "Content-Type": "application/json", "X-Error-Code": code, "X-Error-Message": message, "Content-Length": String(Buffer.byteLength(text)) });
    res.end(text);
  }
}

export async function startTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  return new TestHub(opts).start();
}

export function isLfs(file: string): boolean {
  return /\.(safetensors|onnx|bin|onnx_data)$/.test(file);
}

/** Git's blob object id: sha1 of "blob <size>\0" + contents (the hub's ETag for non-LFS files). */
export function gitOid(body: Uint8Array): string {
  return createHash("sha1").update(`blob ${body.length}\0`).update(body).digest("hex");
}

function sha1(s: string): string {
  return createHash("sha1").update(s).digest("hex");
}

function readTree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else out.set(relative(root, full).split(sep).join("/"), readFileSync(full));
    }
  };
  walk(root);
  return out;
}

/**
 * Points the HF_* variables at `hub` with a cache, HF_HOME (and so the token file) inside `root`,
 * no token and online, for the current test (undone by `vi.unstubAllEnvs()`).
 */
export function stubHubEnv(hub: TestHub, root: string, cacheDir = join(root, "cache")): void {
  vi.stubEnv("HF_HOME", join(root, "hf-home"));
  vi.stubEnv("HF_HUB_CACHE", cacheDir);
  vi.stubEnv("HF_ENDPOINT", hub.url);
  vi.stubEnv("HF_TOKEN", "");
  vi.stubEnv("HF_HUB_OFFLINE", "");
}
