import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { SentenceTransformer } from "./sentence-transformer.js";
import { saveSentenceTransformer } from "./save.js";

const SENTENCES = ["A man is eating food.", "", "Ünïcödé text, with punctuation!!", "a b c d e f g h i j k l m n o p q r s t u v w x y z"];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-save-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const json = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), "utf8")) as Record<string, unknown>;

describe("saveSentenceTransformer", () => {
  // every module kind and option the loader knows: Dense, Normalize, several pooling modes, prompts, truncate_dim, each architecture
  const fixtures = [
    "st-bert-mean",
    "st-bert-cls-dense-normalize",
    "st-bert-multi-cls-mean-max",
    "st-bert-mean-prompt-excluded",
    "st-bert-mean-truncdim",
    "st-bert-mean-legacyformat",
    "st-distilbert-cased-mean",
    "st-mpnet-mean-normalize",
    "st-roberta-bpe-mean-normalize",
    "st-xlmr-spm-mean-dense",
  ];

  it.each(fixtures)("%s loads back with bit-identical embeddings", async (name) => {
    const src = join(FIXTURES, name);
    const model = await SentenceTransformer.load(src, { backend: "native" });
    const out = join(tmp, name);
    await saveSentenceTransformer(model, out, { sourceDir: src });
    const again = await SentenceTransformer.load(out, { backend: "native" });
    const opts = model.defaultPromptName === undefined && "query" in model.prompts ? { promptName: "query" } : {};
    const [a, b] = [await model.encode(SENTENCES, opts), await again.encode(SENTENCES, opts)];
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(again.maxSeqLength).toBe(model.maxSeqLength);
    expect(again.prompts).toEqual(model.prompts);
    expect(again.similarityFnName).toBe(model.similarityFnName);
    expect(again.truncateDim).toBe(model.truncateDim);
    expect(again.modules.map((m) => m.typeName)).toEqual(model.modules.map((m) => m.typeName));
    // classic type names and module folders, as Python's save names them
    const modules = JSON.parse(readFileSync(join(out, "modules.json"), "utf8")) as { idx: number; path: string; type: string }[];
    expect(modules.map((m) => m.type)).toEqual(model.modules.map((m) => `sentence_transformers.models.${m.typeName}`));
    expect(modules.map((m) => m.path)).toEqual(model.modules.map((m, i) => (i === 0 ? "" : `${i}_${m.typeName}`)));
    expect(Object.keys(json(out, "sentence_bert_config.json"))).toEqual(["max_seq_length", "do_lower_case"]);
    expect(json(out, "config_sentence_transformers.json")["__version__"]).toEqual({ sbert_ts: expect.any(String) });
    expect(existsSync(join(out, "tokenizer.json"))).toBe(true);
  });

  it("writes the classic pooling keys, and the 5.4+ list only for an order they cannot express", async () => {
    const pool = (name: string) => json(join(tmp, name, "1_Pooling"), "config.json");
    expect(pool("st-bert-mean")).toEqual({
      word_embedding_dimension: 48,
      pooling_mode_cls_token: false,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_tokens: true,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    });
    expect(pool("st-bert-mean-prompt-excluded")["include_prompt"]).toBe(false);
    // [cls, mean, max]: Python ≤ 5.3 would concatenate cls, max, mean
    expect(pool("st-bert-multi-cls-mean-max")).toEqual({ embedding_dimension: 48, pooling_mode: ["cls", "mean", "max"], include_prompt: true });
    expect(json(join(tmp, "st-xlmr-spm-mean-dense", "2_Dense"), "config.json")).toEqual({ in_features: 48, out_features: 24, bias: true, activation_function: "torch.nn.modules.activation.Tanh" });
    expect(existsSync(join(tmp, "st-xlmr-spm-mean-dense", "2_Dense", "model.safetensors"))).toBe(true);
  });

  it("refuses a non-empty folder unless overwrite, replaces it atomically, and leaves nothing behind on failure", async () => {
    const src = join(FIXTURES, "st-bert-mean");
    const model = await SentenceTransformer.load(src, { backend: "native" });
    const out = join(tmp, "busy");
    await mkdir(out);
    await writeFile(join(out, "keep.txt"), "x");
    await expect(saveSentenceTransformer(model, out, { sourceDir: src })).rejects.toThrow(/exists and is not empty.*--overwrite/);
    expect(await readdir(out)).toEqual(["keep.txt"]);
    await saveSentenceTransformer(model, out, { sourceDir: src, overwrite: true });
    expect(existsSync(join(out, "keep.txt"))).toBe(false);
    expect(existsSync(join(out, "model.safetensors"))).toBe(true);
    // an empty folder is fine without overwrite
    const empty = join(tmp, "empty");
    await mkdir(empty);
    await saveSentenceTransformer(model, empty, { sourceDir: src });
    // a source folder without a tokenizer: an error, and no output or temporary folder remains
    const bad = join(tmp, "bad-source");
    await mkdir(bad);
    await writeFile(join(bad, "config.json"), "{}");
    await expect(saveSentenceTransformer(model, join(tmp, "never"), { sourceDir: bad })).rejects.toThrow(/tokenizer/);
    expect((await readdir(tmp)).filter((n) => n.includes("never"))).toEqual([]);
  });
});
