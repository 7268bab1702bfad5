/**
 * HTTP to the hub: the token only for the hub's own origin, bounded retries with exponential
 * backoff on 5xx, 429, dropped connections and timeouts, and hub errors mapped to typed `SbertError`s.
 *
 * Timeouts, in seconds, as Python `huggingface_hub` has them: metadata requests (the revision's
 * file list, each file's HEAD) wait `etagTimeout` (HF_HUB_ETAG_TIMEOUT, default 10) for the
 * response headers; a file download waits `downloadTimeout` (HF_HUB_DOWNLOAD_TIMEOUT, default 10)
 * for the headers and then at most that long between two chunks of the body. Each try is bounded,
 * and so is the whole request: `maxRetries + 1` tries plus the backoffs (`retryBudgetS`). undici's
 * own connect timeout (10 s) still applies inside the headers' wait.
 * `@huggingface/hub` retries nothing and rejects tokens that do not start with `hf_` (mirrors
 * behind HF_ENDPOINT may issue others), so requests go through this wrapper, which is also the
 * `fetch` handed to the library.
 */
import { SbertError } from "../errors.js";

export interface RetryOptions {
  /** Retries after the first try (default 5). */
  maxRetries?: number;
  /** First backoff in ms, doubled each retry, capped at 10 s (default 500). Tests use 1. */
  retryBaseMs?: number;
  /** Seconds to wait for the response headers of a metadata request (default HF_HUB_ETAG_TIMEOUT, else 10). */
  etagTimeout?: number;
  /** Seconds to wait for a download's headers, and between two chunks of its body (default HF_HUB_DOWNLOAD_TIMEOUT, else 10). */
  downloadTimeout?: number;
}

export const DEFAULT_ETAG_TIMEOUT_S = 10;
export const DEFAULT_DOWNLOAD_TIMEOUT_S = 10;

export interface HubClientOptions {
  maxRetries?: number | undefined;
  retryBaseMs?: number | undefined;
  etagTimeout?: number | undefined;
  downloadTimeout?: number | undefined;
  endpoint: string;
  token: string | undefined;
  fetch?: typeof fetch | undefined;
}

/** What a request is for, to name it in errors. */
export interface RequestSubject {
  repoId: string;
  revision: string;
  file?: string;
}

export class HubClient {
  readonly endpoint: string;
  readonly token: string | undefined;
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  /** Seconds (see the file comment). */
  readonly etagTimeout: number;
  readonly downloadTimeout: number;
  private readonly origin: string;
  private readonly fetchFn: typeof fetch;

  constructor(opts: HubClientOptions) {
    this.endpoint = opts.endpoint.replace(/\/+$/, "");
    this.origin = new URL(this.endpoint).origin;
    this.token = opts.token;
    this.fetchFn = opts.fetch ?? fetch;
    this.maxRetries = opts.maxRetries ?? 5;
    this.retryBaseMs = opts.retryBaseMs ?? 500;
    this.etagTimeout = checkTimeout(opts.etagTimeout ?? DEFAULT_ETAG_TIMEOUT_S, "etagTimeout");
    this.downloadTimeout = checkTimeout(opts.downloadTimeout ?? DEFAULT_DOWNLOAD_TIMEOUT_S, "downloadTimeout");
  }

  /**
   * The most seconds one request can take with every try timing out after `timeoutS`: the tries
   * plus the backoffs between them (a server's Retry-After, at most 30 s, can add to this).
   */
  retryBudgetS(timeoutS: number): number {
    let ms = (this.maxRetries + 1) * timeoutS * 1000;
    for (let i = 0; i < this.maxRetries; i++) ms += this.backoffMs(i);
    return ms / 1000;
  }

  /** "on each of 6 tries; at most 75.5 s in all": the retry budget, for error messages. */
  budgetText(timeoutS: number): string {
    return `on each of ${this.maxRetries + 1} tries; the retry budget is at most ${seconds(this.retryBudgetS(timeoutS))} s in all`;
  }

  /** `{endpoint}/{repo}/resolve/{revision}/{file}` with each segment escaped, as Python's `hf_hub_url`. */
  resolveUrl(repoId: string, revision: string, file: string): string {
    return `${this.endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${file.split("/").map(encodeURIComponent).join("/")}`;
  }

  /** Adds the token when `url` is on the hub's origin: a CDN on another host never sees it. */
  headersFor(url: string, extra: Record<string, string> = {}): Headers {
    const h = new Headers(extra);
    if (this.token && new URL(url).origin === this.origin) h.set("Authorization", `Bearer ${this.token}`);
    return h;
  }

  /** Backoff before retry `attempt` (0-based), or the server's Retry-After when shorter than 30 s. */
  backoffMs(attempt: number, retryAfter?: string | null): number {
    const secs = retryAfter ? Number(retryAfter) : NaN;
    if (Number.isFinite(secs) && secs >= 0 && secs <= 30) return secs * 1000;
    return Math.min(this.retryBaseMs * 2 ** attempt, 10_000);
  }

  /**
   * One request, retried on network errors, timeouts, 5xx and 429. Each try waits at most
   * `timeoutS` (default `etagTimeout`) for the response headers. Resolves with the final response
   * (success or a non-retryable status: the caller maps it with `hubError`); read its body with
   * `bodyChunks` to bound the waits between chunks too.
   */
  async request(url: string, init: RequestInit, subject: RequestSubject, timeoutS = this.etagTimeout, timeoutName = "HF_HUB_ETAG_TIMEOUT"): Promise<Response> {
    const host = new URL(url).host;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      const timer = new AbortController();
      const timeout = new HubTimeout(`no response headers from ${host} within ${seconds(timeoutS)} s (${timeoutName}; connecting included)`);
      const clock = setTimeout(() => timer.abort(timeout), timeoutS * 1000);
      const onCallerAbort = (): void => timer.abort(init.signal?.reason);
      init.signal?.addEventListener("abort", onCallerAbort, { once: true }); // AbortSignal.any needs Node 20.3
      try {
        res = await this.fetchFn(url, { ...init, signal: timer.signal, headers: this.headersFor(url, Object.fromEntries(new Headers(init.headers))) });
      } catch (e) {
        if (init.signal?.aborted) throw e; // the caller's own abort: not ours to retry
        const detail = e === timeout ? timeout.message : connectTimedOut(e) ? `connecting to ${host} timed out (undici's 10 s connect timeout)` : (e as Error).message;
        if (attempt >= this.maxRetries) {
          const budget = e === timeout ? ` ${this.budgetText(timeoutS)}` : "";
          throw networkError(this.endpoint, subject, `${detail}${budget}`, e);
        }
        await sleep(this.backoffMs(attempt));
        continue;
      } finally {
        clearTimeout(clock);
        init.signal?.removeEventListener("abort", onCallerAbort);
      }
      if (!isRetryableStatus(res.status)) return res;
      await res.body?.cancel().catch(() => undefined);
      if (attempt >= this.maxRetries) throw networkError(this.endpoint, subject, `HTTP ${res.status} after ${attempt + 1} tries`);
      await sleep(this.backoffMs(attempt, res.headers.get("Retry-After")));
    }
  }

  /**
   * A `fetch` with this client's auth, retries and timeouts, for `@huggingface/hub`'s small JSON
   * calls: the body is read here (at most `etagTimeout` between chunks) and handed over whole.
   */
  fetchFor(subject: RequestSubject): typeof fetch {
    return (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      const res = await this.request(url, init ?? {}, subject);
      if (res.body === null) return res;
      const parts: Uint8Array[] = [];
      try {
        for await (const chunk of bodyChunks(res, url, this.etagTimeout, "HF_HUB_ETAG_TIMEOUT")) parts.push(chunk);
      } catch (e) {
        if (e instanceof BodyStalled) throw networkError(this.endpoint, subject, e.message, e);
        throw e;
      }
      return new Response(Buffer.concat(parts), { status: res.status, statusText: res.statusText, headers: res.headers });
    }) as typeof fetch;
  }
}

/** A try that hit one of our timeouts. */
export class HubTimeout extends Error {}

/** A response body that sent nothing for too long. */
export class BodyStalled extends HubTimeout {}

/**
 * The chunks of `res.body`, waiting at most `idleS` for each; on a stall the body is cancelled
 * (closing the connection) and `BodyStalled` is thrown, naming the host.
 */
export async function* bodyChunks(res: Response, url: string, idleS: number, timeoutName: string): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let clock: ReturnType<typeof setTimeout> | undefined;
  try {
    for (;;) {
      const stalled = new Promise<"stalled">((r) => (clock = setTimeout(() => r("stalled"), idleS * 1000)));
      const next = await Promise.race([reader.read(), stalled]);
      clearTimeout(clock);
      if (next === "stalled") {
        const host = new URL(url).host;
        await reader.cancel().catch(() => undefined);
        throw new BodyStalled(`the response body from ${host} stalled: no bytes for ${seconds(idleS)} s (${timeoutName})`);
      }
      if (next.done) return;
      yield next.value as Uint8Array;
    }
  } finally {
    clearTimeout(clock);
    reader.releaseLock();
  }
}

/** Seconds for messages: "10", "0.25". */
export function seconds(s: number): string {
  return String(Math.round(s * 100) / 100);
}

function checkTimeout(value: number, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new SbertError("INVALID_INPUT", `${name} must be a positive number of seconds, got ${String(value)}`);
  }
  return value;
}

/** undici's connect timeout (UND_ERR_CONNECT_TIMEOUT), as the cause of fetch's TypeError. */
function connectTimedOut(e: unknown): boolean {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | null;
  return err?.code === "UND_ERR_CONNECT_TIMEOUT" || err?.cause?.code === "UND_ERR_CONNECT_TIMEOUT";
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function describe(s: RequestSubject): string {
  return `model "${s.repoId}"${s.revision === "main" ? "" : ` (revision "${s.revision}")`}${s.file ? `, file "${s.file}"` : ""}`;
}

export function networkError(endpoint: string, subject: RequestSubject, detail: string, cause?: unknown): SbertError {
  return new SbertError(
    "NETWORK_ERROR",
    `cannot download ${describe(subject)} from ${endpoint}: ${detail}. Check the connection (or HF_ENDPOINT), ` +
      `or set HF_HUB_OFFLINE=1 to use only the local cache`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The typed error for a failed hub response: 401/404 → NOT_FOUND_ON_HUB (the hub answers 401 for
 * private repos and for ones that do not exist), 403 → HUB_ACCESS_DENIED, else NETWORK_ERROR.
 * `errorCode` is the hub's `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo).
 */
export function hubError(status: number, errorCode: string | null, endpoint: string, subject: RequestSubject, hasToken: boolean): SbertError {
  const what = describe(subject);
  if (status === 401 || (status === 404 && errorCode === "RepoNotFound")) {
    const hint = hasToken ? "check the id, and that the token in HF_TOKEN can read it" : "check the id; if it is private or gated, set HF_TOKEN to a token that can read it";
    return new SbertError("NOT_FOUND_ON_HUB", `model "${subject.repoId}" was not found on ${endpoint} (HTTP ${status}): ${hint}`);
  }
  if (status === 404 && errorCode === "RevisionNotFound") {
    return new SbertError("NOT_FOUND_ON_HUB", `model "${subject.repoId}" has no revision "${subject.revision}" on ${endpoint}`);
  }
  if (status === 404) return new SbertError("NOT_FOUND_ON_HUB", `${what} was not found on ${endpoint} (HTTP 404)`);
  if (status === 403) {
    return new SbertError(
      "HUB_ACCESS_DENIED",
      `${endpoint} refused access to ${what} (HTTP 403${errorCode ? `, ${errorCode}` : ""}): for a gated model, accept its conditions at ` +
        `${endpoint}/${subject.repoId} and set HF_TOKEN to a token of that account`,
    );
  }
  return networkError(endpoint, subject, `HTTP ${status}`);
}
