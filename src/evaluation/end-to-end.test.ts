/**
 * Every evaluator on the real tiny models (test/fixtures: random weights, so the numbers only need to
 * be consistent): each metric must equal the pure core applied to the model's own outputs.
 */
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { CrossEncoder } from "../models/cross-encoder.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { DenseMatrix } from "../tensor/dense.js";
import { cosSim } from "../util/index.js";
import { BinaryClassificationEvaluator } from "./binary-classification.js";
import { CrossEncoderClassificationEvaluator } from "./cross-encoder-classification.js";
import { CrossEncoderRerankingEvaluator, rerankingScores } from "./cross-encoder-reranking.js";
import { parseStsb } from "./datasets.js";
import { EmbeddingSimilarityEvaluator } from "./embedding-similarity.js";
import { InformationRetrievalEvaluator } from "./information-retrieval.js";
import { TopKCollector, irMetrics } from "./ir-metrics.js";
import { averagePrecision } from "./ranking-metrics.js";
import { pearson, spearman } from "./stats.js";
import { TripletEvaluator, tripletAccuracy } from "./triplet.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

/** Six STS-B dev rows (scores 0–5). */
const STS = parseStsb(
  [
    "main-captions\tMSRvid\t2012test\t0000\t5.000\tA man with a hard hat is dancing.\tA man wearing a hard hat is dancing.",
    "main-captions\tMSRvid\t2012test\t0002\t4.750\tA young child is riding a horse.\tA child is riding a horse.",
    "main-captions\tMSRvid\t2012test\t0003\t5.000\tA man is feeding a mouse to a snake.\tThe man is feeding a mouse to the snake.",
    'main-captions\timages\t2014\t0732\t3\tA young woman with outstretched arms stands in front of a "Going Places" bus.\tTThe girl is standing in front of the open door of the bus.',
    "main-forums\tanswers-forums\t2015\t0407\t2.80\tI'd suggest you look to the constructions of the native language(s) of your students.\tAs bikeboy389 said, you can learn a lot by looking at students' native languages.",
    "main-news\theadlines\t2016\t1477\t0\tObama is right: Africa deserves better leadership\tObama waiting for midterm to name attorney general",
  ].join("\n"),
);

let model: SentenceTransformer;
let ce: CrossEncoder;
beforeAll(async () => {
  model = await SentenceTransformer.load(fixture("st-bert-mean"));
  ce = await CrossEncoder.load(fixture("ce-bert-1label"));
});

describe("bi-encoder evaluators on st-bert-mean", () => {
  it("EmbeddingSimilarityEvaluator equals Pearson / Spearman of the model's pairwise cosine", async () => {
    const ev = new EmbeddingSimilarityEvaluator(STS.sentences1, STS.sentences2, STS.scores, { name: "sts-dev", similarityFnNames: ["cosine", "dot"] });
    const m = await ev.evaluate(model);
    const sims = model.similarityPairwise(await model.encode(STS.sentences1), await model.encode(STS.sentences2));
    expect(m["sts-dev_spearman_cosine"]).toBe(spearman(STS.scores, sims));
    expect(m["sts-dev_pearson_cosine"]).toBe(pearson(STS.scores, sims));
    expect(ev.primaryMetric).toBe("sts-dev_spearman_max");
    for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
  });

  it("BinaryClassificationEvaluator's AP equals averagePrecision of the pairwise cosines", async () => {
    const labels = STS.scores.map((s) => (s >= 0.6 ? 1 : 0));
    const m = await new BinaryClassificationEvaluator(STS.sentences1, STS.sentences2, labels).evaluate(model);
    const sims = model.similarityPairwise(await model.encode(STS.sentences1), await model.encode(STS.sentences2));
    expect(m["cosine_ap"]).toBe(averagePrecision(labels, sims));
    expect(m["cosine_accuracy"]).toBeGreaterThanOrEqual(0.5);
  });

  it("TripletEvaluator equals tripletAccuracy of the embeddings", async () => {
    const negatives = [...STS.sentences2.slice(1), STS.sentences2[0]!];
    const m = await new TripletEvaluator(STS.sentences1, STS.sentences2, negatives).evaluate(model);
    const [a, p, n] = await Promise.all([model.encode(STS.sentences1), model.encode(STS.sentences2), model.encode(negatives)]);
    expect(m["cosine_accuracy"]).toBe(tripletAccuracy(a, p, n, "cosine"));
  });

  it("InformationRetrievalEvaluator applies the model's query / document prompts and is chunk-size invariant", async () => {
    const corpus = Object.fromEntries(STS.sentences2.map((s, i) => [`d${i}`, s]));
    const queries = Object.fromEntries(STS.sentences1.map((s, i) => [`q${i}`, s]));
    const relevant = Object.fromEntries(STS.sentences1.map((_, i) => [`q${i}`, [`d${i}`]]));
    const whole = await new InformationRetrievalEvaluator(queries, corpus, relevant, { name: "ir" }).evaluate(model);
    const chunked = await new InformationRetrievalEvaluator(queries, corpus, relevant, { name: "ir", corpusChunkSize: 4 }).evaluate(model);
    expect(chunked).toEqual(whole);

    const q = (await model.encodeQuery(STS.sentences1)) as DenseMatrix;
    const d = (await model.encodeDocument(STS.sentences2)) as DenseMatrix;
    const top = new TopKCollector(q.rows, 100, Object.keys(corpus));
    top.add(cosSim(q, d), 0);
    const expected = irMetrics(top.hits().map((h) => h.map((x) => x.corpusId)), STS.sentences1.map((_, i) => new Set([`d${i}`])));
    expect(whole["ir_cosine_ndcg@10"]).toBe(expected["ndcg@10"]);
    expect(whole["ir_cosine_map@100"]).toBe(expected["map@100"]);
  });
});

describe("cross-encoder evaluators on ce-bert-1label", () => {
  it("CrossEncoderRerankingEvaluator equals rerankingScores of predict", async () => {
    const samples = [
      { query: STS.sentences1[0]!, positive: [STS.sentences2[0]!], negative: STS.sentences2.slice(3) },
      { query: STS.sentences1[1]!, positive: [STS.sentences2[1]!], negative: STS.sentences2.slice(2, 5) },
    ];
    const m = await new CrossEncoderRerankingEvaluator(samples).evaluate(ce);
    const per = await Promise.all(
      samples.map(async (s) => {
        const docs = [...s.positive, ...s.negative];
        const scores = (await ce.predict(docs.map((d) => [s.query, d] as const))) as Float32Array;
        return rerankingScores(docs.map((_, i) => (i === 0 ? 1 : 0)), scores, 10);
      }),
    );
    expect(m["ndcg@10"]).toBe((per[0]!.ndcg + per[1]!.ndcg) / 2);
    expect(m["map"]).toBe((per[0]!.ap + per[1]!.ap) / 2);
  });

  it("CrossEncoderClassificationEvaluator gives the binary metrics of predict", async () => {
    const pairs = STS.sentences1.map((s, i) => [s, STS.sentences2[i]!] as const);
    const labels = STS.scores.map((s) => (s >= 0.6 ? 1 : 0));
    const m = await new CrossEncoderClassificationEvaluator(pairs, labels, { name: "ce" }).evaluate(ce);
    const scores = (await ce.predict(pairs)) as Float32Array;
    expect(m["ce_average_precision"]).toBe(averagePrecision(labels, scores));
    expect(Object.keys(m)).toHaveLength(7);
  });
});
