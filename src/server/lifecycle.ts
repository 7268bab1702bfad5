/**
 * The server's lifecycle as a small state machine, with no HTTP in it: which state the server is
 * in, which requests it admits, and when a drain is over. `server.ts` asks it; tests drive it
 * directly, with fake timers for the drain timeout.
 *
 * ```
 *            loaded(r)
 *   loading ──────────► ready ─┐
 *      │  loadFailed()         │ beginDrain()
 *      ├──────────► failed ────┤
 *      │ beginDrain()          ▼
 *      └──────────────────► draining ──closed()──► closed
 * ```
 *
 * A load that finishes while draining stores its resources (so they can be released) but the state
 * stays `draining`. Admission: a request is counted from `enter()` until its slot's `leave()`;
 * `admit()` refuses it while loading, failed or draining, and a POST also takes one of
 * `maxConcurrentRequests` permits ("overloaded" when none is left). A drain is over when no request is
 * open, or when `drainTimeoutMs` passes on the injected timers.
 *
 * @example
 * const lc = new ServerLifecycle<Loaded>({ maxConcurrentRequests: 2, drainTimeoutMs: 30_000 });
 * lc.loaded(resources);
 * const slot = lc.enter();
 * slot.admit(true); // "admitted" (or "overloaded" with every permit taken)
 * lc.beginDrain();
 * const over = lc.drained(); // resolves once slot.leave() runs, or after 30 s
 */
export type ServerState = "loading" | "ready" | "failed" | "draining" | "closed";

/** Why a request is not admitted; `admitted` when it is. */
export type Admission = "admitted" | "loading" | "failed" | "draining" | "overloaded";

/** Schedules `fn` after `ms`; returns a function that cancels it. */
export type ScheduleTimer = (fn: () => void, ms: number) => () => void;

/** `setTimeout` / `clearTimeout`. */
export const realTimer: ScheduleTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

export interface LifecycleOptions {
  /** Most POST requests holding a permit at once (`--max-concurrent-requests`). */
  maxConcurrentRequests: number;
  /** Longest wait for open requests once draining, in ms. */
  drainTimeoutMs: number;
  /** Where the drain timeout is scheduled (default `setTimeout`). */
  timer?: ScheduleTimer;
}

/** One open request, from `enter()` until `leave()` (idempotent) when its response has closed. */
export interface RequestSlot {
  /** Holds one of the `maxConcurrentRequests` permits. */
  readonly permit: boolean;
  /** Whether the request may proceed; `needsPermit` (a POST) also takes a permit, kept until `leave()`. */
  admit(needsPermit: boolean): Admission;
  leave(): void;
}

/** How a drain ended: every request answered, or the timeout with `open` requests still open. */
export type DrainOutcome = { timedOut: false } | { timedOut: true; open: number };

export class ServerLifecycle<R> {
  #state: ServerState = "loading";
  #resources: R | undefined;
  #active = 0;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #max: number;
  readonly #drainTimeoutMs: number;
  readonly #timer: ScheduleTimer;

  constructor(opts: LifecycleOptions) {
    this.#max = opts.maxConcurrentRequests;
    this.#drainTimeoutMs = opts.drainTimeoutMs;
    this.#timer = opts.timer ?? realTimer;
  }

  get state(): ServerState {
    return this.#state;
  }

  /** What `loaded()` stored (also while draining, so it can be released); undefined before. */
  get resources(): R | undefined {
    return this.#resources;
  }

  /** Requests between `enter()` and `leave()`. */
  get active(): number {
    return this.#active;
  }

  /** Requests holding a permit. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** `draining` or `closed`: new requests get 503 and responses close their connection. */
  get draining(): boolean {
    return this.#state === "draining" || this.#state === "closed";
  }

  /** Ready with every permit taken: a POST can be refused before anything about it is read. */
  get saturated(): boolean {
    return this.#state === "ready" && this.#inFlight >= this.#max;
  }

  /** loading → ready; keeps the resources in any state. */
  loaded(resources: R): void {
    this.#resources = resources;
    if (this.#state === "loading") this.#state = "ready";
  }

  /** loading → failed. */
  loadFailed(): void {
    if (this.#state === "loading") this.#state = "failed";
  }

  /** Counts a request as open until the slot's `leave()`. */
  enter(): RequestSlot {
    this.#active++;
    let permit = false;
    let left = false;
    return {
      get permit() {
        return permit;
      },
      admit: (needsPermit) => {
        const verdict = this.#admission(needsPermit && !permit);
        if (verdict === "admitted" && needsPermit && !permit) {
          permit = true;
          this.#inFlight++;
        }
        return verdict;
      },
      leave: () => {
        if (left) return;
        left = true;
        if (permit) this.#inFlight--;
        this.#active--;
        if (this.#active === 0) this.#idleWaiters.splice(0).forEach((w) => w());
      },
    };
  }

  #admission(takesPermit: boolean): Admission {
    if (this.draining) return "draining";
    if (this.#state !== "ready") return this.#state === "loading" ? "loading" : "failed";
    return takesPermit && this.#inFlight >= this.#max ? "overloaded" : "admitted";
  }

  /** loading | ready | failed → draining (closed stays closed). */
  beginDrain(): void {
    if (this.#state !== "closed") this.#state = "draining";
  }

  /** Resolves when no request is open, or after the drain timeout with the number still open. */
  drained(): Promise<DrainOutcome> {
    if (this.#active === 0) return Promise.resolve({ timedOut: false });
    return new Promise((resolve) => {
      const cancel = this.#timer(() => resolve({ timedOut: true, open: this.#active }), this.#drainTimeoutMs);
      this.#idleWaiters.push(() => {
        cancel();
        resolve({ timedOut: false });
      });
    });
  }

  /** → closed. */
  closed(): void {
    this.#state = "closed";
  }
}
