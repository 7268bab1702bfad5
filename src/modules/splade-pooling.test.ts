import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import type { TokenBatch } from "../tokenizers/text-tokenizer.js";
import { SpladePooling } from "./splade-pooling.js";

/** 2 rows × 3 tokens × 2 vocab; row 1's last token is padding (its logits must not count). */
const logits = new Tensor(Float32Array.of(1, -2, 3, 0.5, -1, 2, 0.25, -3, 4, 1, 100, 100), [2, 3, 2]);
const batch = { batchSize: 2, seqLen: 3, attentionMask: Int32Array.of(1, 1, 1, 1, 1, 0) } as unknown as TokenBatch;
const f = (x: number): number => Math.fround(Math.log1p(Math.max(0, x)));

describe("SpladePooling", () => {
  it("max of log1p(relu) over unmasked tokens; the logits are not passed on", () => {
    const out = new SpladePooling({ strategy: "max", activation: "relu" }).forward({ batch, tokenEmbeddings: logits });
    expect(Array.from(out.sentenceEmbedding?.data ?? [])).toEqual([f(3), f(2), f(4), f(1)]);
    expect(out.tokenEmbeddings).toBeUndefined();
  });
  it("sum, and log1p_relu = log1p(log1p(relu))", () => {
    const sum = new SpladePooling({ strategy: "sum", activation: "relu" }).forward({ batch, tokenEmbeddings: logits });
    expect(Array.from(sum.sentenceEmbedding?.data ?? [])).toEqual([Math.fround(f(1) + f(3) + f(-1)), Math.fround(f(0.5) + f(2)), Math.fround(f(0.25) + f(4)), f(1)]);
    const twice = new SpladePooling({ strategy: "max", activation: "log1p_relu" }).forward({ batch, tokenEmbeddings: logits });
    expect(twice.sentenceEmbedding?.data[0]).toBe(Math.fround(Math.log1p(f(3))));
  });
  it("chunk_size changes nothing for max and only float rounding for sum", () => {
    for (const strategy of ["max", "sum"] as const) {
      const whole = new SpladePooling({ strategy, activation: "relu" }).forward({ batch, tokenEmbeddings: logits }).sentenceEmbedding?.data;
      const chunked = new SpladePooling({ strategy, activation: "relu", chunkSize: 1 }).forward({ batch, tokenEmbeddings: logits }).sentenceEmbedding?.data;
      expect(Array.from(chunked ?? [])).toEqual(Array.from(whole ?? []).map((v) => expect.closeTo(v, 6)));
    }
  });
  it("unknown strategy / activation / chunk size are INVALID_INPUT; in a config file INVALID_MODEL_FILE", async () => {
    expect(() => new SpladePooling({ strategy: "mean" as never, activation: "relu" })).toThrow(/pooling_strategy must be "max" or "sum"/);
    expect(() => new SpladePooling({ strategy: "max", activation: "gelu" as never })).toThrow(SbertError);
    expect(() => new SpladePooling({ strategy: "max", activation: "relu", chunkSize: 0.5 })).toThrow(SbertError);
    const dir = await mkdtemp(join(tmpdir(), "splade-"));
    try {
      await writeFile(join(dir, "config.json"), JSON.stringify({ pooling_strategy: "mean", activation_function: "relu" }));
      const err = await SpladePooling.load(dir).catch((e: unknown) => e);
      expect((err as SbertError).code).toBe("INVALID_MODEL_FILE");
      await writeFile(join(dir, "config.json"), JSON.stringify({ pooling_strategy: "sum", activation_function: "log1p_relu", word_embedding_dimension: 7, chunk_size: 16 }));
      const p = await SpladePooling.load(dir);
      expect([p.strategy, p.activation, p.outputDimension(), p.chunkSize]).toEqual(["sum", "log1p_relu", 7, 16]);
      expect(p.getConfigDict()).toEqual({ pooling_strategy: "sum", activation_function: "log1p_relu", embedding_dimension: 7 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it("without logits it says what is missing", () => {
    expect(() => new SpladePooling({ strategy: "max", activation: "relu" }).forward({ batch })).toThrow(/MLMTransformer/);
  });
});
