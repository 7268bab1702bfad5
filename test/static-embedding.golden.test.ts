/**
 * StaticEmbedding (EmbeddingBag mean over a WordPiece tokenizer's ids, as static-retrieval-mrl-en-v1)
 * against Python sentence-transformers 5.7 (test/fixtures/st-static-embedding, see
 * README_FIXTURES2.md): token ids exact, embeddings within 1e-5 (measured: see the report), batch
 * equals single exactly (each bag is summed on its own, so batching cannot change a bit), save
 * round-trip exact, the Hub layout (module in 0_StaticEmbedding/, classic type name) and the
 * model2vec weight layout (embeddings + mapping + per-token weights, folded as
 * `_fold_model2vec_weights`) give the same embeddings, bad folders are typed errors.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensors, toFloat32Array, writeSafetensors } from "../src/io/safetensors.js";
import { SbertError, SentenceTransformer } from "../src/index.js";
import { FIXTURES, maxAbsDiff, readGolden } from "./helpers/fixtures.js";

const TOL = 1e-5;
const DIR = join(FIXTURES, "st-static-embedding");
const g = readGolden(DIR);
const sentences = g["sentences"] as string[];
const batchSize = g["encode_batch_size"] as number;

let tmp: string;
let model: SentenceTransformer;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-static-"));
  model = await SentenceTransformer.load(DIR);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function table(): Promise<{ data: Float32Array; shape: number[] }> {
  const t = (await readSafetensors(join(DIR, "model.safetensors"))).get("embedding.weight");
  return { data: toFloat32Array(t), shape: [...t.shape] };
}

/** A copy of the fixture with modules.json and model.safetensors replaced. */
async function variant(name: string, files: { modules?: unknown; weights?: Parameters<typeof writeSafetensors>[1]; drop?: string }): Promise<string> {
  const dir = join(tmp, name);
  await cp(DIR, dir, { recursive: true });
  if (files.modules) await writeFile(join(dir, "modules.json"), JSON.stringify(files.modules));
  if (files.weights) await writeSafetensors(join(dir, "model.safetensors"), files.weights);
  if (files.drop) await rm(join(dir, files.drop));
  return dir;
}

describe("StaticEmbedding golden (st-static-embedding)", () => {
  it("token ids equal Python's encode_batch(texts, add_special_tokens=False), also as the flat EmbeddingBag input", () => {
    const rows = model.inputModule.tokenizeRows(sentences);
    const records = g["tokenization"] as { input_ids: number[] }[];
    expect(rows.map((r) => r.ids)).toEqual(records.map((r) => r.input_ids));
    const pre = g["preprocess_batch"] as { input_ids: number[]; offsets: number[] };
    expect(rows.flatMap((r) => r.ids)).toEqual(pre.input_ids);
    const offsets = rows.map((_, i) => rows.slice(0, i).reduce((n, r) => n + r.ids.length, 0));
    expect(offsets).toEqual(pre.offsets);
  });

  it("dimension, no max length (inf), cosine, module name", () => {
    expect(model.getSentenceEmbeddingDimension()).toBe(g["embedding_dimension"]);
    expect(g["max_seq_length"]).toBeNull();
    expect(model.maxSeqLength).toBe(Number.POSITIVE_INFINITY);
    expect(model.similarityFnName).toBe(g["similarity_fn_name"]);
    expect(model.modules.map((m) => m.typeName)).toEqual(g["modules"]);
  });

  it(`embeddings (batch ${batchSize}), normalized and one by one within ${TOL}; the empty text is a zero vector`, async () => {
    const emb = await model.encode(sentences, { batchSize });
    expect(maxAbsDiff(emb, g["embeddings"])).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(await model.encode(sentences, { batchSize, normalizeEmbeddings: true }), g["embeddings_normalized"])).toBeLessThanOrEqual(TOL);
    const single = [];
    for (const s of sentences) single.push(...(await model.encode(s)).toArray());
    expect(maxAbsDiff(single, g["embeddings_one_by_one"])).toBeLessThanOrEqual(TOL);
    expect(g["empty_text_embedding_is_zero"]).toBe(true);
    expect(emb.toArray()[0]).toEqual(new Array(32).fill(0));
  });

  it("batch equals single, bit for bit, for every batch size (padding is never read)", async () => {
    const single = [];
    for (const s of sentences) single.push(...(await model.encode([s])).toArray());
    for (const bs of [1, 2, 5, sentences.length]) expect((await model.encode(sentences, { batchSize: bs })).toArray()).toEqual(single);
  });

  it(`similarity of the raw embeddings (13 × 13, empty-text rows 0) within ${TOL}`, async () => {
    const emb = await model.encode(sentences, { batchSize });
    expect(maxAbsDiff(model.similarity(emb, emb), g["similarity_all"])).toBeLessThanOrEqual(TOL);
  });

  it("save round-trip: same files Python reads (modules.json type, model.safetensors key, tokenizer.json), identical embeddings", async () => {
    const out = join(tmp, "saved");
    await model.save(out);
    const modules = JSON.parse(await readFile(join(out, "modules.json"), "utf8")) as { type: string; path: string }[];
    expect(modules).toEqual([{ idx: 0, name: "0", path: "", type: "sentence_transformers.models.StaticEmbedding" }]);
    expect((await readSafetensors(join(out, "model.safetensors"))).names()).toEqual(["embedding.weight"]);
    expect(await readFile(join(out, "tokenizer.json"), "utf8")).toEqual(await readFile(join(DIR, "tokenizer.json"), "utf8"));
    const back = await SentenceTransformer.load(out);
    expect((await back.encode(sentences)).toArray()).toEqual((await model.encode(sentences)).toArray());
  });

  it("the Hub layout (0_StaticEmbedding/, classic and v6 type names) loads the same model", async () => {
    for (const type of ["sentence_transformers.models.StaticEmbedding", "sentence_transformers.sentence_transformer.modules.StaticEmbedding"]) {
      const dir = join(tmp, `hub-${type}`);
      await mkdir(join(dir, "0_StaticEmbedding"), { recursive: true });
      for (const f of ["model.safetensors", "tokenizer.json"]) await cp(join(DIR, f), join(dir, "0_StaticEmbedding", f));
      await cp(join(DIR, "config_sentence_transformers.json"), join(dir, "config_sentence_transformers.json"));
      await writeFile(join(dir, "modules.json"), JSON.stringify([{ idx: 0, name: "0", path: "0_StaticEmbedding", type }]));
      const m = await SentenceTransformer.load(dir);
      expect(maxAbsDiff(await m.encode(sentences, { batchSize }), g["embeddings"])).toBeLessThanOrEqual(TOL);
    }
  });

  it(`the model2vec layout (embeddings rows shuffled + mapping + weights) folds back to the same table: embeddings within ${TOL}`, async () => {
    const { data, shape } = await table();
    const [vocab, dim] = shape as [number, number];
    // stored row k holds token perm[k]'s vector halved, with weight 2 (both exact in float32)
    const perm = Array.from({ length: vocab }, (_, i) => (i * 7 + 3) % vocab);
    const rows = new Float32Array(vocab * dim);
    const mapping = new BigInt64Array(vocab);
    perm.forEach((tok, k) => {
      for (let j = 0; j < dim; j++) rows[k * dim + j] = (data[tok * dim + j] as number) / 2;
      mapping[tok] = BigInt(k);
    });
    const dir = await variant("model2vec", {
      weights: new Map([
        ["embeddings", { shape: [vocab, dim], data: rows }],
        ["mapping", { shape: [vocab], data: mapping }],
        ["weights", { shape: [vocab], data: new Float32Array(vocab).fill(2) }],
      ]),
    });
    const m = await SentenceTransformer.load(dir);
    const emb = await m.encode(sentences, { batchSize });
    expect(maxAbsDiff(emb, g["embeddings"])).toBeLessThanOrEqual(TOL);
    expect(emb.toArray()).toEqual((await model.encode(sentences, { batchSize })).toArray());
  });

  it("left padding (tokenizer_config.json padding_side) changes nothing: padded slots are never in a bag", async () => {
    const dir = await variant("left-padding", {});
    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ padding_side: "left" }));
    const m = await SentenceTransformer.load(dir);
    expect(m.tokenize(["a", "the quick brown fox"]).inputIds[0]).not.toBe(m.tokenize(["a"]).inputIds[0]); // row 0 starts with padding
    expect((await m.encode(sentences, { batchSize })).toArray()).toEqual((await model.encode(sentences, { batchSize })).toArray());
  });

  it("a truncation length in tokenizer.json is applied, as the Rust tokenizer Python calls applies it", async () => {
    const dir = await variant("truncating", {});
    const json = JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8")) as Record<string, unknown>;
    json["truncation"] = { direction: "Right", max_length: 3, strategy: "LongestFirst", stride: 0 };
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(json));
    const m = await SentenceTransformer.load(dir);
    expect(m.maxSeqLength).toBe(3);
    const ids = (g["tokenization"] as { input_ids: number[] }[])[1]?.input_ids.slice(0, 3) as number[];
    const { data } = await table();
    const want = Array.from({ length: 32 }, (_, j) => ids.reduce((acc, id) => acc + (data[id * 32 + j] as number), 0) / 3);
    expect(maxAbsDiff((await m.encode(sentences[1] as string)).toArray()[0], want)).toBeLessThanOrEqual(TOL);
  });

  it("bad folders and calls are typed errors", async () => {
    const code = (e: unknown): string => (e instanceof SbertError ? e.code : String(e));
    await expect(SentenceTransformer.load(await variant("no-tokenizer", { drop: "tokenizer.json" })).catch(code)).resolves.toBe("FILE_NOT_FOUND");
    await expect(SentenceTransformer.load(await variant("no-weights", { drop: "model.safetensors" })).catch(code)).resolves.toBe("FILE_NOT_FOUND");
    const wrongKey = await variant("wrong-key", { weights: new Map([["linear.weight", { shape: [2, 2], data: new Float32Array(4) }]]) });
    await expect(SentenceTransformer.load(wrongKey).catch(code)).resolves.toBe("INVALID_MODEL_FILE");
    const badMap = await variant("bad-mapping", {
      weights: new Map([
        ["embeddings", { shape: [2, 2], data: new Float32Array(4) }],
        ["mapping", { shape: [3], data: BigInt64Array.of(0n, 1n, 2n) }],
      ]),
    });
    await expect(SentenceTransformer.load(badMap).catch(code)).resolves.toBe("INVALID_MODEL_FILE");
    // a table smaller than the tokenizer's vocabulary: a text with a token past it fails, naming the id
    const small = await variant("small-table", { weights: new Map([["embedding.weight", { shape: [100, 32], data: new Float32Array(3200) }]]) });
    const m = await SentenceTransformer.load(small);
    await expect(m.encode(["a"])).resolves.toBeDefined();
    await expect(m.encode(["the quick brown fox"])).rejects.toThrow(/token id \d+ is outside the embedding table \(size 100\)/);
    expect(() => (model.maxSeqLength = 128)).toThrow(SbertError);
    expect(() => model.transformer).toThrow(/first module must be a Transformer, got StaticEmbedding/);
  });
});
