/**
 * Training a StaticEmbedding model (the fastest model type to fine-tune on a CPU) with the existing
 * trainer and losses: its one parameter is `embedding.weight`, the gradient of the bag mean is
 * exact (checked against the closed form), a few MultipleNegativesRankingLoss steps lower the
 * loss on the training pairs, and the trained model saves and reloads to identical embeddings.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { MultipleNegativesRankingLoss } from "../losses/multiple-negatives-ranking.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { noGrad } from "../tensor/autograd.js";
import { datasetFromColumns } from "./data.js";
import { setRequiresGrad } from "./parameters.js";
import { TrainableSentenceTransformer } from "./trainer-model.js";
import { SentenceTransformerTrainer } from "./trainer.js";

const MODEL = join(FIXTURES, "st-static-embedding");
const words = ["cat", "dog", "bird", "fish", "tree", "car", "sun", "moon", "rain", "road", "city", "sea"];
const DATA = datasetFromColumns({
  anchor: words.map((w) => `the ${w} is here`),
  positive: words.map((w) => `a ${w} and a ${w}`),
});

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-static-train-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Mean MNRL loss over the whole training set in one batch (no gradient). */
async function fullLoss(model: SentenceTransformer): Promise<number> {
  const t = new TrainableSentenceTransformer(model);
  return noGrad(async () => {
    const a = await t.embed(DATA.columns[0] as string[]);
    const p = await t.embed(DATA.columns[1] as string[]);
    return new MultipleNegativesRankingLoss().computeLossFromEmbeddings([a, p]).data[0] as number;
  });
}

describe("StaticEmbedding training", () => {
  it("has embedding.weight as its parameter, with the bag-mean gradient Σ_b count_b(i) / n_b", async () => {
    const model = new TrainableSentenceTransformer(await SentenceTransformer.load(MODEL));
    expect(model.params.map((p) => [p.name, p.tensor.shape])).toEqual([["embedding.weight", [1000, 32]]]);
    setRequiresGrad(model.params);
    const texts = ["the cat the dog", "dog", ""];
    const emb = await model.embed(texts);
    emb.backward(new Float32Array(emb.size).fill(1)); // loss = Σ of every embedding value
    const w = model.params[0]?.tensor;
    const rows = model.model.inputModule.tokenizeRows(texts);
    const expected = new Float64Array(w?.dim(0) ?? 0);
    for (const r of rows) for (const id of r.ids) expected[id] = (expected[id] as number) + 1 / r.ids.length;
    const got = Array.from({ length: expected.length }, (_, i) => w?.grad?.[i * 32] ?? NaN);
    expect(got.map((v) => Math.fround(v))).toEqual(Array.from(expected, (v) => Math.fround(v)));
    setRequiresGrad(model.params, false);
  });

  it("MultipleNegativesRankingLoss steps lower the loss; the trained model saves and reloads identically", async () => {
    const model = await SentenceTransformer.load(MODEL);
    const before = await fullLoss(model);
    const trainer = new SentenceTransformerTrainer({
      model,
      sourceDir: MODEL,
      loss: new MultipleNegativesRankingLoss(),
      trainDataset: DATA,
      args: { batchSize: 4, lr: 5e-2, epochs: 3, seed: 1 },
    });
    await trainer.train();
    const after = await fullLoss(model);
    expect(after).toBeLessThan(before * 0.8);
    const out = join(tmp, "trained");
    await model.save(out);
    const back = await SentenceTransformer.load(out);
    const texts = [...(DATA.columns[0] as string[]), "unseen words here"];
    expect((await back.encode(texts)).toArray()).toEqual((await model.encode(texts)).toArray());
    expect((await back.encode(texts)).toArray()).not.toEqual((await (await SentenceTransformer.load(MODEL)).encode(texts)).toArray());
  });
});
