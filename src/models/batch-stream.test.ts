import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Transformer } from "../modules/transformer.js";
import { OVERLAP_MIN_SHARE, chunkBounds, type PlannedBatch, tokenizedBatches, worthOverlapping } from "./batch-stream.js";
import { CrossEncoder } from "./cross-encoder.js";
import { SentenceTransformer } from "./sentence-transformer.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
/** 700 texts of varied length (several chunks at batch size 8). */
const TEXTS = Array.from({ length: 700 }, (_, i) => `text ${i} ${"word ".repeat((i * 7) % 23)}${i % 5 === 0 ? "ÜNICODE çà" : ""}`);

/** Every batch of `gen`; `work` is the consumer's compute on each (between two `next()` calls). */
async function collect(gen: AsyncGenerator<PlannedBatch>, work?: (b: PlannedBatch) => void): Promise<PlannedBatch[]> {
  const out: PlannedBatch[] = [];
  for await (const b of gen) {
    out.push(b);
    work?.(b);
  }
  return out;
}

/**
 * A clock that moves only when told: tokenizing on this thread advances it `msPerToken` per token,
 * and a consumer advances it by what its compute would take. `auto`'s decision then depends on
 * these costs only, never on the machine's speed.
 */
function fakeClock(transformer: Transformer, msPerToken: number): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  const tokenizeRows = (Object.getPrototypeOf(transformer) as Transformer).tokenizeRows; // the real one, also when already spied on
  vi.spyOn(transformer, "tokenizeRows").mockImplementation((inputs) => {
    const rows = tokenizeRows.call(transformer, inputs);
    t += msPerToken * rows.reduce((n, r) => n + r.ids.length, 0);
    return rows;
  });
  return { now: () => t, advance: (ms) => (t += ms) };
}

const tokensOf = (b: PlannedBatch): number => Array.from(b.batch.lengths).reduce((n, l) => n + l, 0);

function expectCoversInputs(batches: PlannedBatch[], transformer: Transformer, texts: readonly string[]): void {
  const rows = transformer.tokenizeRows(texts);
  const seen = new Set<number>();
  for (const { batch, indices } of batches) {
    expect(batch.batchSize).toBe(indices.length);
    indices.forEach((orig, r) => {
      expect(seen.has(orig)).toBe(false);
      seen.add(orig);
      const ids = Array.from(batch.inputIds.subarray(r * batch.seqLen, r * batch.seqLen + (batch.lengths[r] as number)));
      expect(ids).toEqual(rows[orig]?.ids);
    });
  }
  expect(seen.size).toBe(texts.length);
}

describe("chunkBounds", () => {
  it("grows 4, 8, 16, 32, 64 batches' worth and then stays, covering every input once", () => {
    const b = chunkBounds(2000, 8);
    expect(b.slice(0, 6)).toEqual([
      [0, 32],
      [32, 96],
      [96, 224],
      [224, 480],
      [480, 992],
      [992, 1504],
    ]);
    expect(b[b.length - 1]).toEqual([1504, 2000]);
    expect(chunkBounds(0, 8)).toEqual([]);
    expect(worthOverlapping(32, 8)).toBe(false);
    expect(worthOverlapping(33, 8)).toBe(true);
  });
});

describe("tokenizedBatches", () => {
  afterEach(() => vi.restoreAllMocks());

  for (const overlap of [false, true, "auto"] as const) {
    it(`hands out every input once with its own tokens (overlap ${String(overlap)})`, async () => {
      const model = await SentenceTransformer.load(`${FIXTURES}st-bert-mean`, { backend: "native" });
      const batches = await collect(tokenizedBatches(model.transformer, TEXTS, { batchSize: 8, maxBatchTokens: 64, overlap }));
      expectCoversInputs(batches, model.transformer, TEXTS);
      for (const { batch } of batches) expect(batch.batchSize === 1 || batch.batchSize * batch.seqLen <= 64).toBe(true);
    });
  }

  it("overlapping tokenizes every chunk but the first on the tokenizer thread", async () => {
    const model = await SentenceTransformer.load(`${FIXTURES}st-bert-mean`, { backend: "native" });
    const inThread = vi.spyOn(model.transformer, "tokenizeRowsInThread");
    await collect(tokenizedBatches(model.transformer, TEXTS, { batchSize: 8, maxBatchTokens: undefined, overlap: true }));
    expect(inThread).toHaveBeenCalledTimes(chunkBounds(TEXTS.length, 8).length - 1);
    inThread.mockClear();
    await collect(tokenizedBatches(model.transformer, TEXTS.slice(0, 32), { batchSize: 8, maxBatchTokens: undefined, overlap: true }));
    expect(inThread).not.toHaveBeenCalled();
  });

  it.skipIf(availableParallelism() < 2)("auto overlaps when tokenizing is a large share of the time, not when the model dominates", async () => {
    const model = await SentenceTransformer.load(`${FIXTURES}st-bert-mean`, { backend: "native" });
    const inThread = vi.spyOn(model.transformer, "tokenizeRowsInThread");
    const opts = { batchSize: 8, maxBatchTokens: undefined, overlap: "auto" } as const;
    // the consumer costs nothing: tokenizing is all of the time
    const idle = fakeClock(model.transformer, 1);
    await collect(tokenizedBatches(model.transformer, TEXTS, { ...opts, clock: idle.now }));
    expect(inThread).toHaveBeenCalled();
    inThread.mockClear();
    // the consumer computes 40 ms per batch: tokenizing 8 short texts at 0.01 ms a token is far below 10% of that
    const texts = TEXTS.slice(0, 100);
    const busy = fakeClock(model.transformer, 0.01);
    const batches = await collect(tokenizedBatches(model.transformer, texts, { ...opts, clock: busy.now }), () => busy.advance(40));
    expect(inThread).not.toHaveBeenCalled();
    expectCoversInputs(batches, model.transformer, texts);
    // after the two measured batches, everything else is sorted together (longest first), as without overlap
    const lengths = batches.slice(2).flatMap(({ batch }) => Array.from(batch.lengths));
    expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
  });

  it.skipIf(availableParallelism() < 2)(`auto's threshold: overlap from a tokenizing share of ${OVERLAP_MIN_SHARE} up`, async () => {
    const model = await SentenceTransformer.load(`${FIXTURES}st-bert-mean`, { backend: "native" });
    const inThread = vi.spyOn(model.transformer, "tokenizeRowsInThread");
    // the consumer takes `ratio` times what tokenizing its batch took: the share is 1 / (1 + ratio)
    for (const [ratio, overlaps] of [[8, true], [10, false]] as const) {
      inThread.mockClear();
      const clock = fakeClock(model.transformer, 1);
      const batches = await collect(tokenizedBatches(model.transformer, TEXTS, { batchSize: 8, maxBatchTokens: undefined, overlap: "auto", clock: clock.now }), (b) => clock.advance(ratio * tokensOf(b)));
      expect(inThread.mock.calls.length > 0, `ratio ${ratio}`).toBe(overlaps);
      expectCoversInputs(batches, model.transformer, TEXTS);
    }
  });

  it("auto does not overlap when the backend keeps every core busy", async () => {
    const model = await SentenceTransformer.load(`${FIXTURES}st-bert-mean`, { backend: "onnx", threads: availableParallelism() });
    const inThread = vi.spyOn(model.transformer, "tokenizeRowsInThread");
    await collect(tokenizedBatches(model.transformer, TEXTS, { batchSize: 8, maxBatchTokens: undefined, overlap: "auto" }));
    expect(inThread).not.toHaveBeenCalled();
    await collect(tokenizedBatches(model.transformer, TEXTS, { batchSize: 8, maxBatchTokens: undefined, overlap: true }));
    expect(inThread).toHaveBeenCalled();
  });

  it("a consumer that stops early leaves nothing unhandled", async () => {
    const model = await SentenceTransformer.load(`${FIXTURES}st-bert-mean`, { backend: "native" });
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      for await (const b of tokenizedBatches(model.transformer, TEXTS, { batchSize: 8, maxBatchTokens: undefined, overlap: true })) {
        expect(b.batch.batchSize).toBeGreaterThan(0);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });
});

describe("encode and predict with overlapped tokenization", () => {
  it("SentenceTransformer.encode gives the same embeddings with and without the tokenizer thread", async () => {
    for (const backend of ["native", "onnx"] as const) {
      const model = await SentenceTransformer.load(`${FIXTURES}st-bert-mean`, { backend });
      const off = await model.encode(TEXTS, { batchSize: 16, overlapTokenization: false });
      const on = await model.encode(TEXTS, { batchSize: 16, overlapTokenization: true });
      const auto = await model.encode(TEXTS, { batchSize: 16 });
      for (const m of [on, auto]) {
        let worst = 0;
        for (let i = 0; i < off.data.length; i++) worst = Math.max(worst, Math.abs((off.data[i] as number) - (m.data[i] as number)));
        expect(worst).toBeLessThanOrEqual(1e-6);
      }
      const tokens = await model.encode(TEXTS.slice(0, 300), { batchSize: 16, overlapTokenization: true, outputValue: "token_embeddings" });
      const single = await model.encode([TEXTS[123] as string], { outputValue: "token_embeddings" });
      expect(tokens[123]?.rows).toBe(single[0]?.rows);
    }
  });

  it("CrossEncoder.predict scores every pair as it does one at a time", async () => {
    const ce = await CrossEncoder.load(`${FIXTURES}ce-bert-1label`, { backend: "onnx" });
    const pairs = TEXTS.slice(0, 400).map((t, i) => [t, TEXTS[(i * 13) % TEXTS.length] as string] as [string, string]);
    const all = (await ce.predict(pairs, { batchSize: 8 })) as Float32Array;
    for (const i of [0, 57, 399]) {
      const one = (await ce.predict([pairs[i] as [string, string]])) as Float32Array;
      expect(Math.abs((all[i] as number) - (one[0] as number))).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe("the tokenizer thread and the process", () => {
  const DIST = fileURLToPath(new URL("../../dist/index.js", import.meta.url));
  const program = (entry: string): string => `
    const { SentenceTransformer } = await import(${JSON.stringify(entry)});
    const m = await SentenceTransformer.load(${JSON.stringify(`${FIXTURES}st-bert-mean`)}, { threads: 1 });
    const e = await m.encode(Array.from({ length: 500 }, (_, i) => "text " + i), { overlapTokenization: true });
    console.log(e.rows);`;

  it("does not keep a finished program alive (sources through tsx)", async () => {
    const code = program(fileURLToPath(new URL("../index.ts", import.meta.url)));
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { timeout: 60_000 });
    expect(stdout.trim()).toBe("500");
  });

  it.skipIf(!existsSync(DIST))("starts from the compiled package too (dist/, node -e)", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", program(DIST)], { timeout: 60_000 });
    expect(stdout.trim()).toBe("500");
  });

  it("dispose() frees the session and the thread; later calls fail with a typed error", async () => {
    const model = await SentenceTransformer.load(`${FIXTURES}st-bert-mean`, { backend: "onnx", threads: 1 });
    await model.encode(TEXTS, { overlapTokenization: true });
    await model.dispose();
    await model.dispose(); // twice is fine
    await expect(model.encode(TEXTS, { overlapTokenization: true })).rejects.toThrow(/disposed/);
    const ce = await CrossEncoder.load(`${FIXTURES}ce-bert-1label`);
    await ce.dispose();
    await expect(ce.predict([["a", "b"]])).rejects.toMatchObject({ code: "INVALID_OPERATION" });
  });

  it("tokenizes on the calling thread when the worker cannot load the tokenizer", async () => {
    const tmp = await mkdtemp(join(tmpdir(), "sbert-overlap-"));
    try {
      await cp(`${FIXTURES}st-bert-mean`, tmp, { recursive: true });
      const model = await SentenceTransformer.load(tmp, { backend: "onnx" });
      const expected = await model.encode(TEXTS, { overlapTokenization: false });
      await rm(join(tmp, "tokenizer.json"));
      const got = await model.encode(TEXTS, { overlapTokenization: true });
      expect(got.rows).toBe(TEXTS.length);
      let worst = 0;
      for (let i = 0; i < expected.data.length; i++) worst = Math.max(worst, Math.abs((expected.data[i] as number) - (got.data[i] as number)));
      expect(worst).toBeLessThanOrEqual(1e-6);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
