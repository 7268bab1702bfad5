/**
 * HTTP to the hub: the token only for the hub's own origin, bounded retries with exponential
 * backoff on 5xx, 429 and dropped connections, and hub errors mapped to typed `SbertError`s.
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
}

export interface HubClientOptions {
  maxRetries?: number | undefined;
  retryBaseMs?: number | undefined;
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
  private readonly origin: string;
  private readonly fetchFn: typeof fetch;

  constructor(opts: HubClientOptions) {
    this.endpoint = opts.endpoint.replace(/\/+$/, "");
    this.origin = new URL(this.endpoint).origin;
    this.token = opts.token;
    this.fetchFn = opts.fetch ?? fetch;
    this.maxRetries = opts.maxRetries ?? 5;
    this.retryBaseMs = opts.retryBaseMs ?? 500;
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
   * One request, retried on network errors, 5xx and 429. Resolves with the final response
   * (success or a non-retryable status: the caller maps it with `hubError`).
   */
  async request(url: string, init: RequestInit, subject: RequestSubject): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchFn(url, { ...init, headers: this.headersFor(url, Object.fromEntries(new Headers(init.headers))) });
      } catch (e) {
        if (attempt >= this.maxRetries) throw networkError(this.endpoint, subject, (e as Error).message, e);
        await sleep(this.backoffMs(attempt));
        continue;
      }
      if (!isRetryableStatus(res.status)) return res;
      await res.body?.cancel().catch(() => undefined);
      if (attempt >= this.maxRetries) throw networkError(this.endpoint, subject, `HTTP ${res.status} after ${attempt + 1} tries`);
      await sleep(this.backoffMs(attempt, res.headers.get("Retry-After")));
    }
  }

  /** A `fetch` with this client's auth and retries, for `@huggingface/hub` calls. */
  fetchFor(subject: RequestSubject): typeof fetch {
    return ((input: string | URL | Request, init?: RequestInit) => this.request(String(input instanceof Request ? input.url : input), init ?? {}, subject)) as typeof fetch;
  }
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
