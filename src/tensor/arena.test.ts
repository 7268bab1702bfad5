import { describe, expect, it } from "vitest";
import { BufferArena, keepBuffer, releaseBuffer, scratch32, withArena, zeros32 } from "./arena.js";
import { multiHeadAttention } from "./ops/attention.js";
import { dropout } from "./ops/dropout.js";
import { activation, add } from "./ops/elementwise.js";
import { layerNorm } from "./ops/layer-norm.js";
import { linear } from "./ops/linear.js";
import { poolTokens } from "./ops/pooling.js";
import { sum } from "./ops/reduce.js";
import { Rng } from "./random.js";
import { Tensor } from "./tensor.js";

describe("BufferArena", () => {
  it("hands out views of reused buffers: released ones at once, the rest after recycle; kept ones never", () => {
    const arena = new BufferArena();
    const a = arena.take(5000);
    expect(a.length).toBe(5000);
    expect(a.buffer.byteLength).toBeGreaterThanOrEqual(5000 * 4);
    arena.release(a);
    const b = arena.take(4990); // same size class: the released buffer again
    expect(b.buffer).toBe(a.buffer);
    const c = arena.take(5000); // b is in use: a new one
    expect(c.buffer).not.toBe(b.buffer);
    arena.keep(c);
    const held = arena.heldFloats;
    arena.recycle();
    expect(arena.heldFloats).toBeLessThan(held); // the kept buffer left the arena
    const d = arena.take(5000);
    const e = arena.take(5000);
    expect([d.buffer, e.buffer]).toContain(b.buffer);
    expect([d.buffer, e.buffer]).not.toContain(c.buffer);
  });

  it("serves the op helpers only inside withArena, zeroing where asked", () => {
    const arena = new BufferArena();
    expect(scratch32(4096).buffer.byteLength).toBe(4096 * 4); // outside: a plain array
    withArena(arena, () => {
      const x = scratch32(4096);
      x.fill(9);
      releaseBuffer(x);
      const z = zeros32(4096); // the same buffer, cleared
      expect(z.buffer).toBe(x.buffer);
      expect(z.every((v) => v === 0)).toBe(true);
      keepBuffer(z);
      expect(scratch32(10).buffer.byteLength).toBe(40); // small: never from the arena
    });
    arena.recycle();
    withArena(arena, () => expect(scratch32(4096).buffer.byteLength).toBeGreaterThan(0));
  });

  it("a forward and backward through reused buffers full of NaN gives the bits of fresh arrays", () => {
    const [b, t, h, heads, ff] = [3, 37, 48, 4, 96];
    const rng = new Rng(5);
    const param = (shape: number[]) => {
      const x = new Tensor(Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => rng.uniform(-0.5, 0.5)), shape);
      x.requiresGrad = true;
      return x;
    };
    const [wq, wk, wv, w1, w2, gamma, beta] = [param([h, h]), param([h, h]), param([h, h]), param([ff, h]), param([h, ff]), param([h]), param([h])];
    const x = new Tensor(Float32Array.from({ length: b * t * h }, () => rng.uniform(-1, 1)), [b * t, h]);
    const mask = Array.from({ length: b * t }, (_, i) => (i % t < t - 5 * (Math.floor(i / t) % 2) ? 1 : 0));
    const step = (): { out: Float32Array; grads: Float32Array[] } => {
      const drop = new Rng(11);
      const a = multiHeadAttention(linear(x, wq), linear(x, wk), linear(x, wv), { batch: b, seqLen: t, heads, keyMask: mask, dropout: { p: 0.1, rng: drop } });
      const y = layerNorm(add(x, dropout(a, 0.1, drop)), gamma, beta, 1e-12);
      const z = layerNorm(add(y, linear(activation(linear(y, w1), "gelu"), w2)), gamma, beta, 1e-12);
      const pooled = poolTokens(z, mask, "mean", b, t);
      sum(pooled).backward();
      const grads = [wq, wk, wv, w1, w2, gamma, beta].map((p) => {
        const g = Float32Array.from(p.grad as Float32Array);
        p.grad = undefined;
        return g;
      });
      return { out: Float32Array.from(pooled.data), grads };
    };
    const fresh = step();
    const arena = new BufferArena();
    for (let n = 1024; n < 1 << 18; n = Math.ceil(n * 1.1)) for (let k = 0; k < 3; k++) arena.take(n).fill(Number.NaN);
    arena.recycle();
    for (let round = 0; round < 2; round++) {
      const reused = withArena(arena, step);
      arena.recycle();
      expect(Buffer.from(reused.out.buffer).equals(Buffer.from(fresh.out.buffer))).toBe(true);
      reused.grads.forEach((g, i) => expect(Buffer.from(g.buffer).equals(Buffer.from((fresh.grads[i] as Float32Array).buffer)), `gradient ${i}`).toBe(true));
    }
  });
});
