import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SentenceTransformer } from "../src/index.js";
import { CAN_EXPORT, backendsFor } from "./helpers/backends.js";
import { type Fixture, FIXTURES, biEncoderFixtures, maxAbsDiff } from "./helpers/fixtures.js";

/** Tolerance for every float32 comparison against Python: max abs diff ≤ 1e-5. */
const TOL = 1e-5;

const cases = biEncoderFixtures().flatMap((f) => backendsFor(f.dir, CAN_EXPORT).map((b) => [f.name, b, f] as const));

describe.each(cases)("golden %s on %s", (_name, backend, fx: Fixture) => {
  const g = fx.golden;
  const sentences = g["sentences"] as string[];
  const batchSize = (g["encode_batch_size"] as number | undefined) ?? 4;
  let model: SentenceTransformer;
  beforeAll(async () => {
    model = await SentenceTransformer.load(fx.dir, { backend });
  });

  it("token ids equal the tokenizer records (truncated, exact)", () => {
    const batch = model.tokenize(sentences);
    const expected = g["batch_tokenize"] as { input_ids: number[][]; attention_mask: number[][] };
    const ids: number[][] = [];
    for (let r = 0; r < batch.batchSize; r++) ids.push(Array.from(batch.inputIds.subarray(r * batch.seqLen, (r + 1) * batch.seqLen)));
    expect(ids).toEqual(expected.input_ids);
  });

  it("dimension and max length match Python", () => {
    expect(model.getSentenceEmbeddingDimension()).toBe(g["embedding_dimension"]);
    expect(model.maxSeqLength).toBe(g["max_seq_length"]);
  });

  it(`embeddings (batch ${batchSize}) within ${TOL}`, async () => {
    const emb = await model.encode(sentences, { batchSize });
    expect(maxAbsDiff(emb, g["embeddings"])).toBeLessThanOrEqual(TOL);
  });

  it(`normalized embeddings within ${TOL}`, async () => {
    const emb = await model.encode(sentences, { batchSize, normalizeEmbeddings: true });
    expect(maxAbsDiff(emb, g["embeddings_normalized"])).toBeLessThanOrEqual(TOL);
  });

  it(`one-by-one embeddings within ${TOL}`, async () => {
    const rows = [];
    for (const s of sentences) rows.push(...(await model.encode([s])).toArray());
    expect(maxAbsDiff(rows, g["embeddings_one_by_one"])).toBeLessThanOrEqual(TOL);
  });

  it(`padded full-batch forward (untruncated dims) within ${TOL}`, async () => {
    const full = model.fullEmbeddingDimension();
    const emb = await model.encode(sentences, { batchSize: sentences.length, truncateDim: full });
    expect(maxAbsDiff(emb, g["forward_padded_batch_sentence_embedding"])).toBeLessThanOrEqual(TOL);
  });

  it(`token embeddings of sentences 1-2 within ${TOL}`, async () => {
    const tok = await model.encode(sentences.slice(1, 3), { outputValue: "token_embeddings" });
    expect(maxAbsDiff(tok.map((m) => m.toArray()), g["token_embeddings_for_sentences_1_2"])).toBeLessThanOrEqual(TOL);
  });

  it(`similarity of the first 6 normalized embeddings within ${TOL}`, async () => {
    const emb = await model.encode(sentences.slice(0, 6), { batchSize, normalizeEmbeddings: true });
    expect(maxAbsDiff(model.similarity(emb, emb), g["similarity_normalized_first6"])).toBeLessThanOrEqual(TOL);
  });

  const promptKeys = Object.keys(g).filter((k) => /^encode_prompt_(name|literal)_/.test(k));
  it.runIf(promptKeys.length > 0)(`prompted encodes within ${TOL}`, async () => {
    for (const key of promptKeys) {
      const m = /^encode_prompt_(name|literal)_(\w+?)_(all_sentences|sentences_(\d+)_(\d+))$/.exec(key);
      if (!m) throw new Error(`unrecognised golden key ${key}`);
      const [, kind, which, , from, to] = m;
      const texts = from === undefined ? sentences : sentences.slice(Number(from), Number(to) + 1);
      // "literal_passage" means the literal prompt text "passage: "
      const opts = kind === "name" ? { promptName: which as string } : { prompt: `${which}: ` };
      const emb = await model.encode(texts, { batchSize, ...opts });
      expect(maxAbsDiff(emb, g[key]), key).toBeLessThanOrEqual(TOL);
    }
  });
});

describe("classic format equals the 5.4+ folder", () => {
  it("st-bert-mean-legacyformat gives the same embeddings as st-bert-mean (within 1e-6)", async () => {
    const a = await SentenceTransformer.load(join(FIXTURES, "st-bert-mean"));
    const b = await SentenceTransformer.load(join(FIXTURES, "st-bert-mean-legacyformat"));
    const texts = ["The quick brown fox jumps over the lazy dog.", "", "a"];
    expect(maxAbsDiff(await a.encode(texts), await b.encode(texts))).toBeLessThanOrEqual(1e-6);
    expect(b.maxSeqLength).toBe(a.maxSeqLength);
  });
});
