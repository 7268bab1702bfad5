import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import type { EncoderBatch } from "../architectures/encoder.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { OnnxBackend, toInt64 } from "./onnx-backend.js";

describe("toInt64", () => {
  it("widens every int32, negatives and the extremes included, exactly as BigInt does", () => {
    const a = Int32Array.from([0, 1, -1, 101, 30521, -30522, 2147483647, -2147483648, 250001]);
    expect(Array.from(toInt64(a))).toEqual(Array.from(a, (v) => BigInt(v)));
    expect(toInt64(new Int32Array(0)).length).toBe(0);
  });
});

// st-bert-mean's own graph: vocab_size 1000, type_vocab_size 2, max_position_embeddings 64
const MODEL = join(FIXTURES, "st-bert-mean");
const GRAPH = join(MODEL, "onnx", "model.onnx");

function batchOf(ids: number[], types?: number[]): EncoderBatch {
  return { batchSize: 1, seqLen: ids.length, inputIds: Int32Array.from(ids), attentionMask: new Int32Array(ids.length).fill(1), tokenTypeIds: Int32Array.from(types ?? ids.map(() => 0)) };
}

describe("OnnxBackend: ids outside the model's tables", () => {
  it("checks the inputs against config.json before running: exact messages, negative ids included", async () => {
    const b = await OnnxBackend.create(GRAPH, { threads: 1 });
    b.expectInputLimits({ vocabSize: 1000, typeVocabSize: 2, maxSequenceLength: 64 });
    try {
      await expect(b.run(batchOf([2, 999, 3]))).resolves.toBeDefined();
      await expect(b.run(batchOf([2, 1000, 3]))).rejects.toMatchObject({ code: "INVALID_INPUT", message: `token id 1000 is outside the embedding table of ${GRAPH} (size 1000); the tokenizer does not match the model (its vocabulary is larger than the model's)` });
      // ONNX Runtime itself reads id -1 from the end of the table, silently
      await expect(b.run(batchOf([2, -1, 3]))).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/^token id -1 is outside the embedding table/) });
      await expect(b.run(batchOf([2, 5, 3], [0, 2, 0]))).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/^token type id 2 is outside the token type table .*\(size 2\)/) });
      await expect(b.run(batchOf(new Array<number>(65).fill(5)))).rejects.toMatchObject({
        code: "INVALID_INPUT",
        message: expect.stringMatching(/^a batch of 65-token sequences is longer than .* at most 64 tokens; set maxSeqLength \(--max-seq-length\) to 64 or less$/),
      });
    } finally {
      await b.dispose();
    }
  });

  it("turns ONNX Runtime's raw Gather error into a typed one that says what probably happened", async () => {
    const b = await OnnxBackend.create(GRAPH, { threads: 1 }); // no limits: ONNX Runtime finds it
    try {
      for (const batch of [batchOf([2, 5000, 3]), batchOf(new Array<number>(70).fill(5))]) {
        const err = await b.run(batch).then(
          () => undefined,
          (e: unknown) => e as { code?: string; message: string },
        );
        expect(err?.code).toBe("INVALID_INPUT");
        expect(err?.message).toMatch(/^ONNX Runtime could not run .*model\.onnx on a batch of 1 × \d+ tokens: an index is outside one of the model's tables\. Either a token id is at least the model's vocabulary size .* or the sequences are longer than its position table/);
      }
    } finally {
      await b.dispose();
    }
  });

  it("gets its limits from config.json when a model loads on ONNX Runtime", async () => {
    const model = await SentenceTransformer.load(MODEL, { backend: "onnx", threads: 1 });
    try {
      await expect(model.transformer.backend.run(batchOf([2, 1000, 3]))).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/^token id 1000 is outside the embedding table/) });
    } finally {
      await model.dispose();
    }
  });
});
