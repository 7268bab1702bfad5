import { availableParallelism } from "node:os";
import type { TextInput, Transformer } from "../modules/transformer.js";
import type { TokenBatch, TokenRow } from "../tokenizers/text-tokenizer.js";
import { planBatches } from "./batching.js";

/** One padded batch and the input index of each of its rows. */
export interface PlannedBatch {
  batch: TokenBatch;
  indices: number[];
}

export interface BatchStreamOptions {
  batchSize: number;
  maxBatchTokens: number | undefined;
  /**
   * `true`: tokenize the next texts on the tokenizer thread while the caller computes the current
   * batches; texts are then length-sorted within chunks (of 4, 8, ... 64 batches' worth) instead of
   * all at once. `auto`: only when the backend leaves a core free (measured: with every core
   * computing, the thread competes with the model and gains nothing), and only when the first
   * chunk, timed, shows tokenizing took at least `OVERLAP_MIN_SHARE` of the time (small models);
   * otherwise everything is tokenized here.
   */
  overlap: boolean | "auto";
}

/** In `auto` mode, the share of time spent tokenizing above which the rest is overlapped. */
export const OVERLAP_MIN_SHARE = 0.1;

/** Batches' worth of texts in the first chunk, and the most in any chunk, when overlapping. */
const FIRST_CHUNK_BATCHES = 4;
const MAX_CHUNK_BATCHES = 64;

/** Whether `n` inputs are enough for overlapping to start (more than one chunk). */
export function worthOverlapping(n: number, batchSize: number): boolean {
  return n > FIRST_CHUNK_BATCHES * batchSize;
}

/**
 * Tokenized, length-sorted batches of `inputs`. Without overlap: every text is tokenized first,
 * then all are sorted by token count. With overlap: the first chunk is tokenized here while the
 * tokenizer thread takes the next, and every later chunk is requested before the batches of the
 * current one are handed out, so tokenizing runs while the caller's model computes. Results do not
 * depend on the batching (batch-equals-single tests); only the batch composition differs.
 */
export async function* tokenizedBatches(transformer: Transformer, inputs: readonly TextInput[], opts: BatchStreamOptions): AsyncGenerator<PlannedBatch> {
  const coreFree = transformer.backend.threads < availableParallelism();
  if (!opts.overlap || !worthOverlapping(inputs.length, opts.batchSize) || (opts.overlap === "auto" && !coreFree)) {
    yield* chunkBatches(transformer, transformer.tokenizeRows(inputs), 0, opts);
    return;
  }
  const bounds = chunkBounds(inputs.length, opts.batchSize);
  const request = (k: number): Promise<TokenRow[]> | undefined => {
    const b = bounds[k];
    if (!b) return undefined;
    const p = transformer.tokenizeRowsInThread(inputs.slice(b[0], b[1]));
    p.catch(() => undefined); // awaited below; a consumer that stops early must not leave it unhandled
    return p;
  };
  const firstEnd = (bounds[0] as [number, number])[1];
  if (opts.overlap === "auto") {
    // measure: tokenize the first chunk here, time what the caller does with its batches
    const t0 = performance.now();
    const rows = transformer.tokenizeRows(inputs.slice(0, firstEnd));
    const tokenizeMs = performance.now() - t0;
    let computeMs = 0;
    for (const b of chunkBatches(transformer, rows, 0, opts)) {
      const t1 = performance.now();
      yield b;
      computeMs += performance.now() - t1;
    }
    if (tokenizeMs < OVERLAP_MIN_SHARE * (tokenizeMs + computeMs)) {
      yield* chunkBatches(transformer, transformer.tokenizeRows(inputs.slice(firstEnd)), firstEnd, opts);
      return;
    }
    yield* overlapped(1, request(1));
    return;
  }
  const next = request(1);
  yield* chunkBatches(transformer, transformer.tokenizeRows(inputs.slice(0, firstEnd)), 0, opts);
  yield* overlapped(1, next);

  /** Chunks from `k` on, whose rows `first` brings: each chunk's batches are handed out while the next one tokenizes. */
  async function* overlapped(k: number, first: Promise<TokenRow[]> | undefined): AsyncGenerator<PlannedBatch> {
    let pending = first;
    for (let c = k; pending; c++) {
      const rows = await pending;
      pending = request(c + 1);
      yield* chunkBatches(transformer, rows, (bounds[c] as [number, number])[0], opts);
    }
  }
}

function* chunkBatches(transformer: Transformer, rows: readonly TokenRow[], offset: number, opts: BatchStreamOptions): Generator<PlannedBatch> {
  for (const idx of planBatches(rows.map((r) => r.ids.length), opts.batchSize, opts.maxBatchTokens)) {
    yield { batch: transformer.padRows(idx.map((i) => rows[i] as TokenRow)), indices: idx.map((i) => i + offset) };
  }
}

/** [start, end) of each chunk: 4, 8, 16, 32, 64, 64, ... batches' worth of inputs. */
export function chunkBounds(n: number, batchSize: number): [number, number][] {
  const out: [number, number][] = [];
  let size = FIRST_CHUNK_BATCHES * batchSize;
  for (let start = 0; start < n; start += size, size = Math.min(size * 2, MAX_CHUNK_BATCHES * batchSize)) {
    out.push([start, Math.min(n, start + size)]);
  }
  return out;
}
