/**
 * Corpus encoding fanned out over BullMQ workers on Redis (https://docs.bullmq.io): the producer
 * splits an input file into chunk jobs whose payloads carry line and byte ranges of the input,
 * never the texts; each worker reads its range, encodes it, and writes the chunk's output lines
 * to `chunk-<n>.jsonl` in the shared work folder atomically (temp file + rename, so a retried
 * chunk overwrites itself with identical bytes). The producer merges the chunk files in order.
 *
 * Crash safety comes from BullMQ and the file system, not from code here: a worker killed
 * mid-chunk stops renewing its job lock, and after `lockDuration` a stalled-job check of any
 * other worker moves the job back to the wait list; a producer started again skips the chunks
 * whose files exist and adds the rest under the same job ids (BullMQ ignores an id it holds).
 *
 * This layer knows jobs, queues and files; what a chunk's texts are and how they are encoded is
 * passed in (`ChunkProcessor`), since reading texts and formatting rows belong to the CLI.
 */
import { createHash } from "node:crypto";
import { access } from "node:fs/promises";
import { join } from "node:path";
import type * as Bullmq from "bullmq";
import { SbertError } from "../errors.js";

/** The queue every producer and worker uses. */
export const ENCODE_QUEUE = "sbert-encode";

/** One chunk of an encode: texts [textStart, textEnd) of `input`, on lines from `lineStart` (1-based), bytes [byteStart, byteEnd). */
export interface EncodeChunkJob {
  version: 1;
  /** Names the plan (input, its size and mtime, options, chunking): chunk job ids are `<planId>-<chunk>`. */
  planId: string;
  input: string;
  inputBytes: number;
  format: "jsonl" | "txt";
  chunk: number;
  chunks: number;
  textStart: number;
  textEnd: number;
  lineStart: number;
  byteStart: number;
  byteEnd: number;
  workDir: string;
  /** The producer's model and encode options, passed through to the processor as given. */
  options: Record<string, unknown>;
}

/** Encodes one chunk and writes its file; resolves when the file is in place. */
export type ChunkProcessor = (job: EncodeChunkJob) => Promise<void>;

export type BullmqModule = typeof Bullmq;
let bullmqModule: Promise<BullmqModule> | undefined;

/** Loads bullmq on first use (an optional dependency, with ioredis). */
export function loadBullmq(): Promise<BullmqModule> {
  bullmqModule ??= import("bullmq").catch((e: unknown) => {
    bullmqModule = undefined;
    throw new SbertError("UNSUPPORTED_FORMAT", `bullmq could not be loaded (${(e as Error).message}); install it with \`npm install bullmq@6.7.6 ioredis@6.1.0\` to use --queue`, { cause: e });
  });
  return bullmqModule;
}

/** `redis://[user:password@]host:port[/db]` → BullMQ connection options (ioredis parses the URL). */
export function redisConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SbertError("INVALID_INPUT", `--queue "${url}" is not a URL; pass redis://HOST:PORT`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new SbertError("INVALID_INPUT", `--queue "${url}" is not a redis:// URL; pass redis://HOST:PORT`);
  return { url, maxRetriesPerRequest: null };
}

/** `chunk-000003.jsonl`: zero-padded so the names sort in chunk order. */
export function chunkFileName(chunk: number): string {
  return `chunk-${String(chunk).padStart(6, "0")}.jsonl`;
}

/** A short stable id of everything that decides the chunk files' bytes. */
export function planId(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}

export interface ProduceOptions {
  queueUrl: string;
  /** Called with (chunks done, chunks in all) as chunk files appear. */
  onProgress?: (done: number, total: number) => void;
  /** Poll interval for chunk files and failed jobs (default 250 ms). */
  pollMs?: number;
  /** Tries per chunk before the encode fails (default 3). */
  attempts?: number;
}

/**
 * Adds the jobs whose chunk file is missing and resolves once every chunk file exists. A job that
 * failed all its attempts fails the whole run with the worker's reason.
 */
export async function produceChunks(jobs: readonly EncodeChunkJob[], options: ProduceOptions): Promise<void> {
  const { Queue, QueueEvents } = await loadBullmq();
  const connection = redisConnection(options.queueUrl);
  const queue = new Queue(ENCODE_QUEUE, { connection });
  const events = new QueueEvents(ENCODE_QUEUE, { connection });
  const total = jobs.length;
  try {
    const exists = async (j: EncodeChunkJob): Promise<boolean> => access(join(j.workDir, chunkFileName(j.chunk))).then(() => true, () => false);
    const missing: EncodeChunkJob[] = [];
    for (const j of jobs) if (!(await exists(j))) missing.push(j);
    const ids = new Set(missing.map(jobId));
    // a job that failed in an earlier run is retried under the same id
    for (const id of ids) {
      const old = await queue.getJob(id);
      if (old && (await old.isFailed())) await old.remove();
    }
    await queue.addBulk(missing.map((data) => ({ name: "encode-chunk", data, opts: { jobId: jobId(data), attempts: options.attempts ?? 3, backoff: { type: "fixed", delay: 500 }, removeOnComplete: true, removeOnFail: false } })));
    options.onProgress?.(total - missing.length, total);
    let wake: (() => void) | undefined;
    events.on("completed", ({ jobId: id }) => {
      if (ids.has(id)) wake?.();
    });
    let pending = missing;
    while (pending.length > 0) {
      const still: EncodeChunkJob[] = [];
      for (const j of pending) if (!(await exists(j))) still.push(j);
      if (still.length !== pending.length) options.onProgress?.(total - still.length, total);
      pending = still;
      if (pending.length === 0) break;
      for (const j of pending.slice(0, 64)) {
        const job = await queue.getJob(jobId(j));
        if (job && (await job.isFailed())) {
          throw new SbertError("INVALID_OPERATION", `chunk ${j.chunk} (texts ${j.textStart}..${j.textEnd - 1}) failed after ${job.attemptsMade} attempts: ${job.failedReason}; fix the cause and run the same command again to resume`);
        }
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, options.pollMs ?? 250);
      });
    }
  } finally {
    await events.close();
    await queue.close();
  }
}

export interface WorkerOptions {
  queueUrl: string;
  /** Job lock time: a worker silent this long is presumed dead and its chunk handed on (default 30000 ms). */
  lockMs?: number;
  /** Lines about jobs taken and done (e.g. to stderr). */
  log?: (line: string) => void;
}

/**
 * Takes chunk jobs until `signal` aborts, one at a time, running `process` on each. Resolves when
 * the worker has closed (the current chunk finished).
 */
export async function runWorker(process: ChunkProcessor, options: WorkerOptions, signal: AbortSignal): Promise<void> {
  const { Worker } = await loadBullmq();
  const lockDuration = options.lockMs ?? 30_000;
  const worker = new Worker<EncodeChunkJob>(
    ENCODE_QUEUE,
    async (job) => {
      const data = job.data;
      if (data?.version !== 1) throw new Error(`job ${job.id} is not an sbert-ts encode chunk (version ${String(data?.version)})`);
      options.log?.(`chunk ${data.chunk + 1}/${data.chunks} started (job ${job.id})`);
      await process(data);
      options.log?.(`chunk ${data.chunk + 1}/${data.chunks} written (job ${job.id})`);
    },
    { connection: redisConnection(options.queueUrl), concurrency: 1, lockDuration, stalledInterval: lockDuration, maxStalledCount: 5 },
  );
  worker.on("failed", (job, err) => options.log?.(`chunk job ${job?.id ?? "?"} failed: ${err.message}`));
  worker.on("error", (err) => options.log?.(`queue error: ${err.message}`));
  await worker.waitUntilReady();
  options.log?.(`waiting for jobs on ${ENCODE_QUEUE}`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await worker.close();
}

const jobId = (j: EncodeChunkJob): string => `${j.planId}-${j.chunk}`;
