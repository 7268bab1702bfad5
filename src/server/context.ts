/**
 * What a route handler gets and returns, and the step every inference handler shares: measure
 * the inputs, queue them, wait for the results with TEI's timings.
 */
import type { ServerConfig } from "./config.js";
import { ApiError } from "./errors.js";
import type { Timing } from "./http-io.js";
import type { ServerMetrics } from "./metrics.js";
import type { ServedModel } from "./model.js";
import type { BatchQueue, QueueItem } from "./queue.js";
import type { Measured } from "./tokenization.js";
import type { WorkOutput } from "./work.js";

export interface RouteContext {
  readonly served: ServedModel;
  readonly config: ServerConfig;
  readonly queue: BatchQueue;
  readonly metrics: ServerMetrics;
  /** Fires when the client disconnects. */
  readonly signal: AbortSignal;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
}

export interface RouteResult {
  /** Serialized body. */
  body: string;
  contentType?: string;
  timing?: Timing;
}

/** A handler receives the parsed JSON body (undefined for GET routes). */
export type Handler = (ctx: RouteContext, json: unknown) => Promise<RouteResult> | RouteResult;

export const json = (value: unknown, timing?: Timing): RouteResult => (timing ? { body: JSON.stringify(value), timing } : { body: JSON.stringify(value) });

/** 424 unless the served model is a bi-encoder (TEI's answer for the wrong model type). */
export function requireEmbedding(served: ServedModel): asserts served is ServedModel & { kind: "embedding" } {
  if (served.kind !== "embedding") throw new ApiError("backend", "Model is not an embedding model");
}

/**
 * Queues measured items for the request and waits for them. `tokenizationMs` is the time spent
 * measuring before this call; metrics get the request's counts.
 */
export async function compute(ctx: RouteContext, items: QueueItem[], measured: readonly Measured[], tokenizationMs: number, single: boolean): Promise<{ outputs: WorkOutput[]; timing: Timing }> {
  const method = single ? "single" : "batch";
  ctx.metrics.requestCount.inc({ method });
  for (const m of measured) ctx.metrics.inputLength.observe(m.tokens);
  const r = await ctx.queue.submit({ items, signal: ctx.signal });
  const timing: Timing = {
    startedAt: ctx.startedAt,
    tokenizationMs,
    queueMs: r.queueMs,
    inferenceMs: r.inferenceMs,
    computeChars: measured.reduce((s, m) => s + m.chars, 0),
    computeTokens: measured.reduce((s, m) => s + m.tokens, 0),
  };
  ctx.metrics.requestSuccess.inc({ method });
  ctx.metrics.tokenizationDuration.observe(tokenizationMs / 1000);
  ctx.metrics.queueDuration.observe(r.queueMs / 1000);
  ctx.metrics.inferenceDuration.observe(r.inferenceMs / 1000);
  return { outputs: r.outputs, timing };
}
