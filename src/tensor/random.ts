import { SbertError } from "../errors.js";

/**
 * A small seeded generator (xoshiro128**, seeded through splitmix32) for everything random in
 * training — dropout masks, classifier initialisation, shuffling — so a run is reproducible from its
 * seed and resumable from `state()`. Not PyTorch's generator: the same seed gives other numbers.
 *
 * @example
 * const rng = new Rng(42);
 * rng.nextFloat(); // in [0, 1)
 * const copy = Rng.fromState(rng.state()); // continues identically
 */
export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new SbertError("INVALID_INPUT", `seed must be an integer, got ${seed}`);
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** Restores a generator saved with `state()`. */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || !state.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) {
      throw new SbertError("INVALID_INPUT", "Rng state must be 4 unsigned 32-bit integers");
    }
    const r = new Rng(0);
    r.s = Uint32Array.from(state);
    return r;
  }

  /**
   * The live state words, for a native kernel that draws from this generator (op-kernels.ts
   * `dropoutMask`): it advances them exactly as `nextUint32` would. Not for other use.
   * @internal
   */
  get liveState(): Uint32Array {
    return this.s;
  }

  /** The 4 words of internal state (JSON-safe) for checkpoints. */
  state(): number[] {
    return Array.from(this.s);
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1] as number, 5), 7), 9) >>> 0;
    const t = ((s[1] as number) << 9) >>> 0;
    s[2] = (s[2] as number) ^ (s[0] as number);
    s[3] = (s[3] as number) ^ (s[1] as number);
    s[1] = (s[1] as number) ^ (s[2] as number);
    s[0] = (s[0] as number) ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new SbertError("INVALID_INPUT", `nextInt needs a positive integer bound, got ${n}`);
    return Math.floor(this.nextFloat() * n);
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.nextFloat();
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
