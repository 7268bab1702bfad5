import { describe, expect, it } from "vitest";
import { Tensor } from "../tensor.js";
import { expectGradients, paramFactory } from "../../../test/helpers/gradients.js";
import { multiHeadAttention } from "./attention.js";
import { disentangledScores } from "./disentangled.js";

/** Error budget as in gradients.test.ts: float32 outputs, h = 3e-3, TOL = 1e-3 · max(1, |grad|). */

const param = paramFactory(11);

const check = expectGradients;

const [B, T, N, D, R] = [2, 4, 2, 3, 5];
// a rows matrix with repeats and clamped edges, as DeBERTa's log buckets give
const rows = Int32Array.from({ length: T * T }, (_, n) => Math.min(Math.max(Math.floor(n / T) - (n % T) + 2, 0), R - 1));

describe("disentangledScores", () => {
  it("equals the c2p + p2c sums written out", () => {
    const [q, k, pq, pk] = [param([B, T, N * D]), param([B, T, N * D]), param([R, N * D]), param([R, N * D])];
    const out = disentangledScores(q, k, pq, pk, { batch: B, seqLen: T, heads: N, rows, scale: 0.5 });
    expect(out.shape).toEqual([B, N, T, T]);
    const at = (t: Tensor, row: number, h: number, e: number): number => t.data[row * N * D + h * D + e] as number;
    let worst = 0;
    for (let b = 0; b < B; b++)
      for (let h = 0; h < N; h++)
        for (let i = 0; i < T; i++)
          for (let j = 0; j < T; j++) {
            const r = rows[i * T + j] as number;
            let want = 0;
            for (let e = 0; e < D; e++) want += at(q, b * T + i, h, e) * at(pk, r, h, e) + at(k, b * T + j, h, e) * at(pq, r, h, e);
            worst = Math.max(worst, Math.abs(0.5 * want - (out.data[((b * N + h) * T + i) * T + j] as number)));
          }
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it("backward: both terms, and each alone", () => {
    const s = { batch: B, seqLen: T, heads: N, rows, scale: 0.7 };
    check((x) => disentangledScores(x[0] as Tensor, x[1] as Tensor, x[2], x[3], s), [param([B, T, N * D]), param([B, T, N * D]), param([R, N * D]), param([R, N * D])]);
    check((x) => disentangledScores(x[0] as Tensor, x[1] as Tensor, undefined, x[2], s), [param([B, T, N * D]), param([B, T, N * D]), param([R, N * D])]);
    check((x) => disentangledScores(x[0] as Tensor, x[1] as Tensor, x[2], undefined, s), [param([B, T, N * D]), param([B, T, N * D]), param([R, N * D])]);
  });

  it("rows outside the table and mismatched widths are SHAPE_MISMATCH", () => {
    const [q, k, p] = [param([B, T, N * D]), param([B, T, N * D]), param([R, N * D])];
    const bad = rows.map((r) => r + R);
    expect(() => disentangledScores(q, k, p, p, { batch: B, seqLen: T, heads: N, rows: bad, scale: 1 })).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
    expect(() => disentangledScores(q, k, param([R, 4]), undefined, { batch: B, seqLen: T, heads: N, rows, scale: 1 })).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
  });
});

describe("attention with a per-batch bias and a score scale", () => {
  const mask = [1, 1, 1, 0, 1, 1, 1, 1];
  it("a (B, heads, T, T) bias with equal blocks equals the shared (heads, T, T) bias", () => {
    const [q, k, v, bias] = [param([B, T, N * D]), param([B, T, N * D]), param([B, T, N * D]), param([N, T, T])];
    const both = new Tensor(Float32Array.from({ length: B * bias.size }, (_, i) => bias.data[i % bias.size] as number), [B, N, T, T]);
    const shared = multiHeadAttention(q, k, v, { batch: B, seqLen: T, heads: N, keyMask: mask, bias });
    const perBatch = multiHeadAttention(q, k, v, { batch: B, seqLen: T, heads: N, keyMask: mask, bias: both });
    expect(Array.from(perBatch.data)).toEqual(Array.from(shared.data));
  });

  it("scale 1/sqrt(d) is the default; other scales change the result", () => {
    const [q, k, v] = [param([B, T, N * D]), param([B, T, N * D]), param([B, T, N * D])];
    const s = { batch: B, seqLen: T, heads: N, keyMask: mask };
    expect(Array.from(multiHeadAttention(q, k, v, { ...s, scale: 1 / Math.sqrt(D) }).data)).toEqual(Array.from(multiHeadAttention(q, k, v, s).data));
    expect(Array.from(multiHeadAttention(q, k, v, { ...s, scale: 1 }).data)).not.toEqual(Array.from(multiHeadAttention(q, k, v, s).data));
  });

  it("backward with a per-batch bias and scale 1", () => {
    check(
      (x) => multiHeadAttention(x[0] as Tensor, x[1] as Tensor, x[2] as Tensor, { batch: B, seqLen: T, heads: N, keyMask: mask, bias: x[3] as Tensor, scale: 1 }),
      [param([B, T, N * D]), param([B, T, N * D]), param([B, T, N * D]), param([B, N, T, T])],
    );
  });
});
