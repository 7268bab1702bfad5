/**
 * The position table bounds the sequence length at every depth: the `maxSeqLength` setter, the load
 * option, and the encoder's own forward. Each refusal names the limit (rows less RoBERTa's
 * padding_idx + 1 offset), and the embedding lookup says whether a token or a position id failed.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { copyFixture } from "../../test/helpers/temp-model.js";
import { SbertError } from "../errors.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { Transformer } from "../modules/transformer.js";
import { embedding } from "../tensor/ops/embedding.js";
import { Tensor } from "../tensor/tensor.js";
import type { EncoderBatch } from "./encoder.js";
import { POSITION_IDS } from "./layers.js";
import { maxSequenceLength } from "./registry.js";

function caught(fn: () => unknown): SbertError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SbertError);
    return e as SbertError;
  }
  throw new Error("expected an SbertError");
}

/** `rows` of `seqLen` copies of token `id`, all attended. */
function batchOf(rows: number, seqLen: number, id: number): EncoderBatch {
  const n = rows * seqLen;
  return { batchSize: rows, seqLen, inputIds: new Int32Array(n).fill(id), attentionMask: new Int32Array(n).fill(1), tokenTypeIds: new Int32Array(n) };
}

// max_position_embeddings: 64 for BERT and DistilBERT; 66 with padding_idx 1 (offset 2) for the others
const CASES = [
  { fixture: "st-bert-mean", limit: 64, table: /64 rows \(max_position_embeddings\), so/ },
  { fixture: "st-distilbert-cased-mean", limit: 64, table: /64 rows \(max_position_embeddings\), so/ },
  { fixture: "st-roberta-bpe-mean-normalize", limit: 64, table: /66 rows \(max_position_embeddings\), 2 of them before the first position \(padding_idx \+ 1\)/ },
  { fixture: "st-xlmr-spm-mean-dense", limit: 64, table: /66 rows .* 2 of them before the first position/ },
  { fixture: "st-mpnet-mean-normalize", limit: 64, table: /66 rows .* 2 of them before the first position/ },
];

describe("the position table bounds maxSeqLength", () => {
  for (const { fixture, limit, table } of CASES) {
    it(`${fixture}: at most ${limit} tokens, by the setter, Transformer.load's option and the encoder`, async () => {
      const dir = join(FIXTURES, fixture);
      const model = await SentenceTransformer.load(dir, { backend: "native" });
      const encoder = model.transformer.encoder;
      expect(encoder.maxSequenceLength).toBe(limit);
      expect(maxSequenceLength(encoder.config)).toBe(limit);

      model.maxSeqLength = limit;
      expect(model.maxSeqLength).toBe(limit);
      const setter = caught(() => (model.maxSeqLength = limit + 1));
      expect(setter.code).toBe("INVALID_INPUT");
      expect(setter.message).toMatch(new RegExp(`^maxSeqLength ${limit + 1} is longer than this [a-z-]+ model can take`));
      expect(setter.message).toMatch(table);
      expect(setter.message).toMatch(new RegExp(`at most ${limit} tokens; set maxSeqLength \\(--max-seq-length\\) to ${limit} or less`));
      expect(model.maxSeqLength).toBe(limit);
      expect(caught(() => (model.transformer.maxSeqLength = 0)).message).toMatch(/maxSeqLength must be a positive integer, got 0/);

      await expect(Transformer.load(dir, { backend: "native", maxSeqLength: limit + 1 })).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/at most 64 tokens/) });

      const pad = encoder.config.padTokenId;
      const id = pad === 5 ? 6 : 5;
      expect(encoder.forward(batchOf(2, limit, id)).shape).toEqual([2, limit, encoder.config.hiddenSize]);
      const long = caught(() => encoder.forward(batchOf(2, limit + 1, id)));
      expect(long.code).toBe("INVALID_INPUT");
      expect(long.message).toMatch(new RegExp(`^a batch of ${limit + 1}-token sequences is longer than this`));
      expect(long.message).not.toMatch(/token id/);
    });
  }

  it("caps a stored max_seq_length beyond the table (Python loads such folders; their short texts embed the same)", async () => {
    const { dir, cleanup } = await copyFixture("st-roberta-bpe-mean-normalize");
    try {
      await writeFile(join(dir, "sentence_bert_config.json"), JSON.stringify({ max_seq_length: 66, do_lower_case: false }));
      expect((await SentenceTransformer.load(dir, { backend: "native" })).maxSeqLength).toBe(64);
    } finally {
      await cleanup();
    }
  });

  it("says which kind of id is outside its table", () => {
    const table = Tensor.from([[1], [2]]);
    expect(caught(() => embedding(table, [2])).message).toBe("token id 2 is outside the embedding table (size 2); the tokenizer does not match the model (its vocabulary is larger than the model's)");
    expect(caught(() => embedding(table, [-1], POSITION_IDS)).message).toMatch(/^position id -1 is outside the embedding table \(size 2\); the sequence is longer than the model's position table/);
  });

  it("names a token id beyond the vocabulary and a token type beyond type_vocab_size in the encoder", async () => {
    const model = await SentenceTransformer.load(join(FIXTURES, "st-bert-mean"), { backend: "native" });
    const { encoder } = model.transformer;
    expect(caught(() => encoder.forward(batchOf(1, 3, 1000))).message).toMatch(/^token id 1000 is outside the embedding table \(size 1000\); the tokenizer does not match the model/);
    const types = batchOf(1, 3, 5);
    types.tokenTypeIds[1] = 2;
    expect(caught(() => encoder.forward(types)).message).toMatch(/^token type id 2 is outside the embedding table \(size 2\); the tokenizer produces more token types/);
  });
});
