/**
 * The batching queue (TEI's middle layer). One owner: only `pump` reads or changes the pending
 * list; handlers call `submit`, which appends and schedules a pump. A pump packs the oldest
 * pending inputs into a batch under the token budget, drops inputs whose client has gone (their
 * AbortSignal fired) BEFORE they are computed, groups the rest by options and hands the batch to
 * a free backend slot. A client that leaves after its inputs were batched is answered at once
 * (ClientGoneError) and its inputs are flagged in shared memory, so the backend skips every group
 * input whose flag is set when the group's turn comes (`liveGroup` in work.ts): a batch whose
 * clients have all gone costs nothing.
 *
 * Batching changes no result: each group is one library call, and inputs of different requests
 * share a call only when the backend is batch-invariant (checked bit for bit at start-up);
 * otherwise groups are split per request.
 *
 * The queue itself is not bounded: the server admits at most `--max-concurrent-requests`
 * requests of at most `--max-client-batch-size` inputs, which bounds it.
 *
 * @example
 * const queue = new BatchQueue(backend, { maxBatchTokens: 16384 }, metrics);
 * const { outputs } = await queue.submit({ items: [{ spec: { op: "embed", normalize: true }, input: "hi", tokens: 3 }], signal });
 */
import type { Backend } from "./backend.js";
import { ApiError, ClientGoneError, toApiError } from "./errors.js";
import type { ServerMetrics } from "./metrics.js";
import { type WorkGroup, type WorkInput, type WorkOutput, type WorkSpec, specKey } from "./work.js";

export interface QueueItem {
  spec: WorkSpec;
  input: WorkInput;
  /** Tokens this input costs in a batch (after truncation). */
  tokens: number;
}

export interface QueueJob {
  items: readonly QueueItem[];
  /** Fires when the client disconnects: the job's remaining inputs are dropped. */
  signal?: AbortSignal;
}

export interface JobResult {
  /** One output per item, in order. */
  outputs: WorkOutput[];
  /** Milliseconds from submit to the first batch holding one of the job's inputs. */
  queueMs: number;
  /** Milliseconds from that batch's start to the last result. */
  inferenceMs: number;
}

interface JobState {
  readonly id: number;
  readonly entries: Entry[];
  readonly outputs: (WorkOutput | undefined)[];
  remaining: number;
  done: boolean;
  /** The client left before the job was answered. */
  gone: boolean;
  readonly submittedAt: number;
  firstDispatch: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (r: JobResult) => void;
  readonly reject: (e: Error) => void;
}

interface Entry {
  job: JobState;
  slot: number;
  key: string;
  spec: WorkSpec;
  input: WorkInput;
  tokens: number;
  /** Set once batched: the batch's cancel flags and this entry's slot in them. */
  cancel: { flags: Int32Array; index: number } | undefined;
}

export class BatchQueue {
  private readonly backend: Backend;
  private readonly maxBatchTokens: number;
  private readonly metrics: ServerMetrics | undefined;
  private pending: Entry[] = [];
  private head = 0;
  private running = 0;
  private scheduled = false;
  private nextJob = 1;

  constructor(backend: Backend, opts: { maxBatchTokens: number }, metrics?: ServerMetrics) {
    this.backend = backend;
    this.maxBatchTokens = opts.maxBatchTokens;
    this.metrics = metrics;
  }

  /** Inputs waiting for a batch. */
  get size(): number {
    return this.pending.length - this.head;
  }

  /** Queues a job's inputs; resolves when all are computed. Rejects with ClientGoneError when dropped. */
  submit(job: QueueJob): Promise<JobResult> {
    return new Promise((resolve, reject) => {
      const state: JobState = {
        id: this.nextJob++,
        entries: [],
        outputs: new Array<WorkOutput | undefined>(job.items.length),
        remaining: job.items.length,
        done: false,
        gone: false,
        submittedAt: performance.now(),
        firstDispatch: undefined,
        signal: job.signal,
        resolve,
        reject,
      };
      if (job.signal?.aborted) return reject(new ClientGoneError());
      if (job.items.length === 0) return resolve({ outputs: [], queueMs: 0, inferenceMs: 0 });
      job.items.forEach((it, slot) => {
        const e: Entry = { job: state, slot, key: specKey(it.spec), spec: it.spec, input: it.input, tokens: it.tokens, cancel: undefined };
        state.entries.push(e);
        this.pending.push(e);
      });
      job.signal?.addEventListener("abort", () => this.abandon(state), { once: true });
      this.schedule();
    });
  }

  /**
   * Pumps on the next turn of the event loop (setImmediate runs after pending I/O), so requests
   * that arrive together share a batch and disconnects are seen before a batch is packed.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.backend.capacity && this.size > 0) {
      const batch = this.take();
      if (batch.length === 0) break;
      this.running++;
      void this.dispatch(batch).finally(() => {
        this.running--;
        this.schedule();
      });
    }
  }

  /** Oldest live entries whose tokens fit the budget (always at least one). */
  private take(): Entry[] {
    const batch: Entry[] = [];
    let tokens = 0;
    while (this.head < this.pending.length) {
      const e = this.pending[this.head] as Entry;
      if (!e.job.done && e.job.signal?.aborted) this.abandon(e.job);
      if (e.job.done) {
        if (e.job.gone) this.metrics?.cancelled.inc();
        this.head++;
        continue;
      }
      if (batch.length > 0 && tokens + e.tokens > this.maxBatchTokens) break;
      batch.push(e);
      tokens += e.tokens;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    if (batch.length) {
      this.metrics?.batchSize.observe(batch.length);
      this.metrics?.batchTokens.observe(tokens);
    }
    return batch;
  }

  /** The client left: answer it now, and flag its batched inputs so the backend skips them. */
  private abandon(job: JobState): void {
    if (job.done) return;
    job.done = true;
    job.gone = true;
    for (const e of job.entries) if (e.cancel) Atomics.store(e.cancel.flags, e.cancel.index, 1);
    job.reject(new ClientGoneError());
  }

  private async dispatch(batch: Entry[]): Promise<void> {
    const started = performance.now();
    const flags = new Int32Array(new SharedArrayBuffer(4 * batch.length));
    batch.forEach((e, index) => {
      e.job.firstDispatch ??= started;
      e.cancel = { flags, index };
    });
    const merge = this.backend.batchInvariant;
    const groups = new Map<string, Entry[]>();
    for (const e of batch) {
      const key = merge ? e.key : `${e.job.id}:${e.key}`;
      const list = groups.get(key);
      if (list) list.push(e);
      else groups.set(key, [e]);
    }
    const lists = [...groups.values()];
    try {
      const outputs = await this.backend.run(lists.map(toGroup));
      this.metrics?.batchDuration.observe((performance.now() - started) / 1000);
      const skipped = outputs.reduce((n, g) => n + g.filter((o) => o.skipped === true).length, 0);
      if (skipped > 0) this.metrics?.skippedInBatch.inc({}, skipped);
      lists.forEach((list, g) => list.forEach((e, i) => this.deliver(e, outputs[g]?.[i])));
    } catch (err) {
      await this.isolate(lists, err);
    }
  }

  /** A failed batch of several requests is retried per request, so one bad input fails only its own request. */
  private async isolate(lists: Entry[][], err: unknown): Promise<void> {
    const jobs = new Map<JobState, Entry[][]>();
    for (const list of lists) {
      for (const e of list) {
        const perJob = jobs.get(e.job) ?? [];
        const last = perJob.find((l) => l[0]?.key === e.key);
        if (last) last.push(e);
        else perJob.push([e]);
        jobs.set(e.job, perJob);
      }
    }
    if (jobs.size === 1) {
      for (const job of jobs.keys()) this.fail(job, err);
      return;
    }
    for (const [job, own] of jobs) {
      if (job.done) continue;
      try {
        const outputs = await this.backend.run(own.map(toGroup));
        own.forEach((list, g) => list.forEach((e, i) => this.deliver(e, outputs[g]?.[i])));
      } catch (e) {
        this.fail(job, e);
      }
    }
  }

  private deliver(e: Entry, out: WorkOutput | undefined): void {
    const job = e.job;
    if (job.done) return;
    if (!out) return this.fail(job, new ApiError("internal", "the backend returned fewer results than inputs"));
    job.outputs[e.slot] = out;
    if (--job.remaining > 0) return;
    job.done = true;
    const now = performance.now();
    const first = job.firstDispatch ?? now;
    job.resolve({ outputs: job.outputs as WorkOutput[], queueMs: first - job.submittedAt, inferenceMs: now - first });
  }

  private fail(job: JobState, err: unknown): void {
    if (job.done) return;
    job.done = true;
    job.reject(toApiError(err));
  }
}

function toGroup(list: readonly Entry[]): WorkGroup {
  const first = list[0] as Entry;
  const group: WorkGroup = { spec: first.spec, inputs: list.map((e) => e.input) };
  if (first.cancel) group.cancel = { flags: first.cancel.flags, index: list.map((e) => e.cancel?.index ?? -1) };
  return group;
}
