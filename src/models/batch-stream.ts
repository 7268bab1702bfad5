import { availableParallelism } from "node:os";
import type { InputModule } from "../modules/input-module.js";
import type { TextInput } from "../modules/transformer.js";
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
   * computing, the thread competes with the model and gains nothing), and only when the caller's
   * time on the first batches shows tokenizing is at least `OVERLAP_MIN_SHARE` of the time (small
   * models); otherwise everything is tokenized here and sorted together, as without overlap.
   */
  overlap: boolean | "auto";
  /**
   * Milliseconds for `auto`'s measurement (default `performance.now`); tests pass a fake clock
   * that tokenizing and the consumer advance, so the decision does not depend on the machine.
   */
  clock?: () => number;
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
export async function* tokenizedBatches(transformer: InputModule, inputs: readonly TextInput[], opts: BatchStreamOptions): AsyncGenerator<PlannedBatch> {
  const coreFree = transformer.computeThreads < availableParallelism();
  if (!opts.overlap || !worthOverlapping(inputs.length, opts.batchSize) || (opts.overlap === "auto" && !coreFree)) {
    yield* sortedBatches(transformer, transformer.tokenizeRows(inputs), (i) => i, opts);
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
    // measure: tokenize the first chunk here and time the caller on two of its batches (the second
    // one decides: the first also pays for warm-up); tokenizing a batch is estimated from its share
    // of the chunk's tokens. The probes are the chunk's shortest texts: sorted within 4 batches'
    // worth, those pad little, while its longest texts spread widely in length.
    const now = opts.clock ?? (() => performance.now());
    const t0 = now();
    const rows = transformer.tokenizeRows(inputs.slice(0, firstEnd));
    const tokenizeMs = now() - t0;
    const plan = planBatches(rows.map((r) => r.ids.length), opts.batchSize, opts.maxBatchTokens);
    const chunkTokens = rows.reduce((n, r) => n + r.ids.length, 0);
    let share = 1;
    for (const idx of plan.slice(-2)) {
      const t1 = now();
      yield planned(transformer, rows, idx, (i) => i);
      const computeMs = now() - t1;
      const batchTokenizeMs = (tokenizeMs * idx.reduce((n, i) => n + (rows[i] as TokenRow).ids.length, 0)) / Math.max(chunkTokens, 1);
      share = batchTokenizeMs / (batchTokenizeMs + computeMs);
    }
    const unprobed = plan.slice(0, -2);
    if (share < OVERLAP_MIN_SHARE) {
      // not worth a thread: the rest of the chunk and all later inputs, tokenized here, sorted together
      const rest = unprobed.flat();
      const restRows = [...rest.map((i) => rows[i] as TokenRow), ...transformer.tokenizeRows(inputs.slice(firstEnd))];
      yield* sortedBatches(transformer, restRows, (i) => (i < rest.length ? (rest[i] as number) : firstEnd + i - rest.length), opts);
      return;
    }
    const next = request(1);
    for (const idx of unprobed) yield planned(transformer, rows, idx, (i) => i);
    yield* overlapped(next);
    return;
  }
  const next = request(1);
  yield* sortedBatches(transformer, transformer.tokenizeRows(inputs.slice(0, firstEnd)), (i) => i, opts);
  yield* overlapped(next);

  /** Chunks 1, 2, ... (`first` brings chunk 1's rows): each chunk's batches are handed out while the next one tokenizes. */
  async function* overlapped(first: Promise<TokenRow[]> | undefined): AsyncGenerator<PlannedBatch> {
    let pending = first;
    for (let c = 1; pending; c++) {
      const rows = await pending;
      pending = request(c + 1);
      const start = (bounds[c] as [number, number])[0];
      yield* sortedBatches(transformer, rows, (i) => i + start, opts);
    }
  }
}

/** `rows` in length-sorted batches; `origin` maps a row to its input index. */
function* sortedBatches(transformer: InputModule, rows: readonly TokenRow[], origin: (i: number) => number, opts: BatchStreamOptions): Generator<PlannedBatch> {
  for (const idx of planBatches(rows.map((r) => r.ids.length), opts.batchSize, opts.maxBatchTokens)) yield planned(transformer, rows, idx, origin);
}

/** The batch of `rows[idx]`, with each row's input index given by `origin`. */
function planned(transformer: InputModule, rows: readonly TokenRow[], idx: readonly number[], origin: (i: number) => number): PlannedBatch {
  return { batch: transformer.padRows(idx.map((i) => rows[i] as TokenRow)), indices: idx.map(origin) };
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
