import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Buffers for op outputs and gradients reused from one training step to the next. Each op
 * allocates its output; a step of MiniLM-L6 at batch 16 allocates a few hundred MB of them, and
 * with a fresh `Float32Array` each, the process zeroes them, V8's collector runs several times a
 * step under that external-memory pressure and its background threads free them — work that
 * competes with the kernels' second thread. Inside `withArena`, the ops take their buffers from
 * the arena instead. Autograd releases an intermediate tensor's gradient as soon as that tensor's
 * backward has run (nothing else can hold it), so the backward pass reuses its own buffers while
 * they are in cache; `recycle()` (the trainer calls it when the step is over: loss, backward,
 * clipping and the optimizer are done) makes every buffer handed out since the last recycle
 * available again, so the next step allocates nothing new once the pool has grown to fit.
 *
 * Buffers come in size classes (powers of 2^(1/4)) and are handed out as views of the requested
 * length; a request takes its own class or, when that is empty, one up to 4× larger, so steps
 * whose padded lengths differ share them. A buffer that outlives the step must be marked with
 * `keepBuffer` — `accumulateGrad` does so when it adopts one as a leaf's (a parameter's) gradient —
 * and is then never recycled. Outside `withArena` (inference, evaluation, anything concurrent with
 * a step in another async context) every call is a plain `new Float32Array`; so is every call with
 * `SBERT_ARENA=0`.
 *
 * Measured (bench/train.ts, MiniLM-L6, SoftmaxLoss, 24 steps): 2 threads 36.5 → 44.9 pairs/s, 1
 * thread unchanged (33.0 / 31.9); the first steps of a run are slower while the pool grows.
 *
 * @example
 * const arena = new BufferArena();
 * for (const batch of batches) await withArena(arena, () => step(batch)).finally(() => arena.recycle());
 */
export class BufferArena {
  /** size class in floats → buffers not in use */
  private readonly pool = new Map<number, ArrayBuffer[]>();
  /** handed out since the last recycle and not released */
  private readonly taken = new Set<ArrayBuffer>();
  private readonly kept = new Set<ArrayBuffer>();
  /** Floats the arena owns (in use or not). */
  heldFloats = 0;

  /** `n` floats, contents unspecified. */
  take(n: number): Float32Array {
    const cls = sizeClass(n);
    let buf: ArrayBuffer | undefined;
    for (let c = cls, i = 0; i < 9 && !buf; i++, c = sizeClass(c + 1)) buf = this.pool.get(c)?.pop();
    if (!buf) {
      buf = new ArrayBuffer(cls * 4);
      this.heldFloats += cls;
    }
    this.taken.add(buf);
    return new Float32Array(buf, 0, n);
  }

  /** `x` is dead: its buffer may be handed out again now (nothing happens for one not taken here). */
  release(x: Float32Array): void {
    const buf = x.buffer as ArrayBuffer;
    if (this.kept.has(buf) || !this.taken.delete(buf)) return;
    this.free(buf);
  }

  keep(x: Float32Array): void {
    this.kept.add(x.buffer as ArrayBuffer);
  }

  /** Everything handed out since the last call is free again (the kept buffers leave the arena). */
  recycle(): void {
    for (const buf of this.taken) {
      if (this.kept.has(buf)) this.heldFloats -= buf.byteLength / 4;
      else this.free(buf);
    }
    this.taken.clear();
    this.kept.clear();
  }

  private free(buf: ArrayBuffer): void {
    const cls = buf.byteLength / 4;
    let list = this.pool.get(cls);
    if (!list) this.pool.set(cls, (list = []));
    list.push(buf); // last in, first out: the next taker finds it in cache
  }
}

/** Below this many floats a buffer comes from V8 directly (cheap, and not worth the bookkeeping). */
const MIN_FLOATS = 1024;

/** The smallest 2^(k/4), rounded up to a multiple of 16 floats, that holds n. */
function sizeClass(n: number): number {
  const k = Math.ceil(4 * Math.log2(n));
  let c = Math.ceil(2 ** (k / 4) / 16) * 16;
  while (c < n) c += 16; // float rounding of the power
  return c;
}

const current = new AsyncLocalStorage<BufferArena>();
/** SBERT_ARENA=0: every buffer is a plain allocation (to compare, or to rule the arena out). */
const OFF = process.env.SBERT_ARENA === "0";

/** Runs `fn` with `arena` serving the ops' buffers (in this async context only). */
export function withArena<T>(arena: BufferArena, fn: () => T): T {
  return current.run(arena, fn);
}

/** n floats the caller overwrites entirely (from the active arena, else new). */
export function scratch32(n: number): Float32Array {
  const arena = n >= MIN_FLOATS && !OFF ? current.getStore() : undefined;
  return arena ? arena.take(n) : new Float32Array(n);
}

/** n zeros (from the active arena, else new). */
export function zeros32(n: number): Float32Array {
  const arena = n >= MIN_FLOATS && !OFF ? current.getStore() : undefined;
  return arena ? arena.take(n).fill(0) : new Float32Array(n);
}

/** `x` is dead (autograd calls this for an intermediate tensor's gradient once its backward ran). */
export function releaseBuffer(x: Float32Array): void {
  current.getStore()?.release(x);
}

/** `x` outlives the step (e.g. it became a parameter's gradient): its arena never recycles it. */
export function keepBuffer(x: Float32Array): void {
  current.getStore()?.keep(x);
}
