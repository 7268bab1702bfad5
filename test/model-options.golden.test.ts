import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SbertError, SentenceTransformer } from "../src/index.js";
import { ALL_BACKENDS } from "./helpers/backends.js";
import { FIXTURES, maxAbsDiff, readGolden, trainingFixtures } from "./helpers/fixtures.js";

/** Float comparisons against Python: max abs diff ≤ 1e-5; integer codes exact except where noted. */
const TOL = 1e-5;

describe.each(ALL_BACKENDS)("truncate_dim and precision (st-bert-mean-truncdim) on %s", (backend) => {
  const dir = join(FIXTURES, "st-bert-mean-truncdim");
  const g = readGolden(dir);
  const sentences = g["sentences"] as string[];
  let model: SentenceTransformer;
  beforeAll(async () => {
    model = await SentenceTransformer.load(dir, { backend });
  });

  it("stored truncate_dim sets the dimension", () => {
    expect(model.truncateDim).toBe(g["truncate_dim"]);
    expect(model.getSentenceEmbeddingDimension()).toBe(g["get_sentence_embedding_dimension"]);
    expect(model.fullEmbeddingDimension()).toBe(g["get_sentence_embedding_dimension_inside_truncate_embeddings_None"]);
  });

  it(`truncateDim overrides replace the stored value (within ${TOL})`, async () => {
    expect(maxAbsDiff(await model.encode(sentences, { batchSize: 4, truncateDim: 16 }), g["encode_truncate_dim_16_override"])).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(await model.encode(sentences, { batchSize: 4, truncateDim: 40 }), g["encode_truncate_dim_40_override"])).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(await model.encode(sentences, { batchSize: 4, truncateDim: 48 }), g["embeddings_full_dim_no_truncation"])).toBeLessThanOrEqual(TOL);
    const n = await model.encode(sentences, { batchSize: 4, truncateDim: 16, normalizeEmbeddings: true });
    expect(maxAbsDiff(n, g["encode_truncate_dim_16_override_normalized"])).toBeLessThanOrEqual(TOL);
  });

  it("truncateDim larger than the model's dimension is a typed error", async () => {
    const err = await model.encode(["x"], { truncateDim: 49 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SbertError);
    expect((err as SbertError).code).toBe("INVALID_INPUT");
  });

  it.each(["float32", "int8", "uint8", "binary", "ubinary"] as const)("precision %s equals Python's codes", async (precision) => {
    const expected = g[`precision_${precision}`] as { shape: number[]; values: number[][] };
    const got = await model.encode(sentences, { batchSize: 4, precision });
    expect([got.rows, got.cols]).toEqual(expected.shape);
    if (precision === "float32") {
      expect(maxAbsDiff(got, expected.values)).toBeLessThanOrEqual(TOL);
      return;
    }
    // exact, except ±1 at the entries the fixture lists as within 1e-3 of a bucket edge
    const edges = g["quantization_near_bin_edges"] as { batch_ranges: [number, number, number][] };
    const allowed = new Set(precision.endsWith("int8") ? edges.batch_ranges.map(([r, d]) => `${r},${d}`) : []);
    const wrong: string[] = [];
    expected.values.forEach((row, r) =>
      row.forEach((v, d) => {
        const diff = Math.abs(got.get(r, d) - v);
        if (diff > 1 || (diff === 1 && !allowed.has(`${r},${d}`))) wrong.push(`[${r},${d}] ${got.get(r, d)} vs ${v}`);
      }),
    );
    expect(wrong).toEqual([]);
  });
});

describe.each(trainingFixtures().map((f) => [f.name, f] as const))("training fixture %s: saved models load", (_n, fx) => {
  const runs = fx.golden["runs"] as { hyperparameters: { lr: number }; steps: { u: number[][] }[]; embeddings_after_training_SENTENCES: number[][] }[];
  const sentences = fx.golden["sentences_for_embeddings"] as string[];
  const batch = fx.golden["batch"] as { sentence_a: string[] };

  it(`initial model embeds the batch as step 0's u (within ${TOL})`, async () => {
    const model = await SentenceTransformer.load(join(fx.dir, "initial_model"));
    const first = runs[0]?.steps[0];
    expect(first).toBeDefined();
    expect(maxAbsDiff(await model.encode(batch.sentence_a), first?.u)).toBeLessThanOrEqual(TOL);
  });

  it(`trained_model_lr1e-3 (tokenizer.json with stored truncation) gives the trained embeddings (within ${TOL})`, async () => {
    const run = runs.find((r) => r.hyperparameters.lr === 1e-3);
    const model = await SentenceTransformer.load(join(fx.dir, "trained_model_lr1e-3"));
    expect(maxAbsDiff(await model.encode(sentences), run?.embeddings_after_training_SENTENCES)).toBeLessThanOrEqual(TOL);
  });
});
