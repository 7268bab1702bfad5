/**
 * Every public options object refuses a key it does not know with INVALID_INPUT that names the key
 * and, where one is close, the valid key meant (`normalize` → `normalizeEmbeddings`,
 * `batch_size` → `batchSize`), as Python sentence-transformers ≥ 5.2 refuses unknown keyword
 * arguments. Before, such keys were silently ignored (`{ normalize: true }` gave unnormalized vectors).
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CrossEncoder,
  SbertError,
  SentenceTransformer,
  communityDetection,
  paraphraseMining,
  paraphraseMiningEmbeddings,
  quantizeEmbeddings,
  saveSentenceTransformer,
  semanticSearch,
} from "../src/index.js";
import {
  BinaryClassificationEvaluator,
  CrossEncoderClassificationEvaluator,
  CrossEncoderRerankingEvaluator,
  EmbeddingSimilarityEvaluator,
  InformationRetrievalEvaluator,
  TripletEvaluator,
  parseBeir,
  parseStsb,
} from "../src/evaluation/index.js";
import { progressBar } from "../src/hub/progress.js";
import { exportOnnx } from "../src/onnx/index.js";
import {
  BinaryCrossEntropyLoss,
  CoSENTLoss,
  ContrastiveLoss,
  CosineSimilarityLoss,
  CrossEncoderTrainer,
  CrossEntropyLoss,
  MatryoshkaLoss,
  MultipleNegativesRankingLoss,
  SentenceTransformerTrainer,
  SoftmaxLoss,
  TripletLoss,
  createEmbeddingLoss,
  datasetFromRecords,
} from "../src/training/index.js";
import type { DenseMatrix } from "../src/index.js";
import { FIXTURES } from "./helpers/fixtures.js";

const ST_DIR = join(FIXTURES, "st-bert-mean");
const CE_DIR = join(FIXTURES, "ce-bert-1label");

let st: SentenceTransformer;
let ce: CrossEncoder;
let emb: DenseMatrix;
let tmp: string;

beforeAll(async () => {
  st = await SentenceTransformer.load(ST_DIR, { backend: "native" });
  ce = await CrossEncoder.load(CE_DIR, { backend: "native" });
  emb = await st.encode(["a cat", "a dog", "a car"]);
  tmp = await mkdtemp(join(tmpdir(), "sbert-strict-"));
});

afterAll(async () => {
  await Promise.all([st?.dispose(), ce?.dispose()]);
  await rm(tmp, { recursive: true, force: true });
});

/** The error of `fn` (sync throw or rejection). */
async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Options objects with a wrong key, as users mistype them (casts: the types refuse them too). */
const bad = <T>(o: Record<string, unknown>): T => o as T;

const pairs: [string, string][] = [["q", "d"]];
const trainSet = () => datasetFromRecords([{ anchor: "a", positive: "b" }]);

/** [call, unknown key, suggested key or undefined]. */
const cases: [string, () => unknown, string, string | undefined][] = [
  ["SentenceTransformer.load", () => SentenceTransformer.load(ST_DIR, bad({ backend: "native", normalize: true })), "normalize", undefined],
  ["SentenceTransformer.load", () => SentenceTransformer.load(ST_DIR, bad({ truncate_dim: 8 })), "truncate_dim", "truncateDim"],
  ["encode", () => st.encode(["x"], bad({ normalize: true })), "normalize", "normalizeEmbeddings"],
  ["encode", () => st.encode(["x"], bad({ batch_size: 2 })), "batch_size", "batchSize"],
  ["encode", () => st.encode(["x"], bad({ show_progress_bar: true })), "show_progress_bar", "showProgressBar"],
  ["encodeQuery", () => st.encodeQuery(["x"], bad({ normalize_embeddings: true })), "normalize_embeddings", "normalizeEmbeddings"],
  ["encodeDocument", () => st.encodeDocument(["x"], bad({ prompt_name: "document" })), "prompt_name", "promptName"],
  ["CrossEncoder.load", () => CrossEncoder.load(CE_DIR, bad({ backend: "native", num_labels: 1 })), "num_labels", undefined],
  ["CrossEncoder.predict", () => ce.predict(pairs, bad({ apply_softmax: true })), "apply_softmax", "applySoftmax"],
  ["CrossEncoder.rank", () => ce.rank("q", ["d"], bad({ top_k: 1 })), "top_k", "topK"],
  ["CrossEncoder.rank", () => ce.rank("q", ["d"], bad({ returnDocument: true })), "returnDocument", "returnDocuments"],
  ["paraphraseMining", () => paraphraseMining(st, ["a", "b"], bad({ max_pairs: 3 })), "max_pairs", "maxPairs"],
  ["semanticSearch", () => semanticSearch(emb, emb, bad({ top_k: 1 })), "top_k", "topK"],
  ["paraphraseMiningEmbeddings", () => paraphraseMiningEmbeddings(emb, bad({ query_chunk_size: 1 })), "query_chunk_size", "queryChunkSize"],
  ["communityDetection", () => communityDetection(emb, bad({ min_community_size: 1 })), "min_community_size", "minCommunitySize"],
  ["quantizeEmbeddings", () => quantizeEmbeddings(emb, "int8", bad({ calibration_embeddings: emb })), "calibration_embeddings", "calibrationEmbeddings"],
  ["EmbeddingSimilarityEvaluator", () => new EmbeddingSimilarityEvaluator(["a", "b"], ["c", "d"], [0, 1], bad({ batch_size: 2 })), "batch_size", "batchSize"],
  ["BinaryClassificationEvaluator", () => new BinaryClassificationEvaluator(["a"], ["b"], [1], bad({ similarity_fn_names: ["cosine"] })), "similarity_fn_names", "similarityFnNames"],
  ["TripletEvaluator", () => new TripletEvaluator(["a"], ["b"], ["c"], bad({ main_similarity_function: "cosine" })), "main_similarity_function", "mainSimilarityFunction"],
  ["InformationRetrievalEvaluator", () => new InformationRetrievalEvaluator({ q: "a" }, { d: "b" }, { q: ["d"] }, bad({ ndcg_at_k: [5] })), "ndcg_at_k", "ndcgAtK"],
  ["CrossEncoderRerankingEvaluator", () => new CrossEncoderRerankingEvaluator([{ query: "q", positive: "p", negative: ["n"] }], bad({ at_k: 5 })), "at_k", "atK"],
  ["CrossEncoderClassificationEvaluator", () => new CrossEncoderClassificationEvaluator(pairs, [1], bad({ batch_size: 2 })), "batch_size", "batchSize"],
  ["parseStsb", () => parseStsb("", bad({ normalise: false })), "normalise", "normalize"],
  ["parseBeir", () => parseBeir({ corpus: "", queries: "", qrels: "" }, bad({ include_title: false })), "include_title", "includeTitle"],
  ["CosineSimilarityLoss", () => new CosineSimilarityLoss(bad({ loss_fct: () => undefined })), "loss_fct", "lossFct"],
  ["CoSENTLoss", () => new CoSENTLoss(bad({ scal: 10 })), "scal", "scale"],
  ["MultipleNegativesRankingLoss", () => new MultipleNegativesRankingLoss(bad({ similarity_fct: "dot_score" })), "similarity_fct", "similarityFct"],
  ["SoftmaxLoss", () => new SoftmaxLoss(bad({ embeddingDimension: 4, numLabels: 2, num_labels: 2 })), "num_labels", "numLabels"],
  ["MatryoshkaLoss", () => new MatryoshkaLoss(new CoSENTLoss(), bad({ matryoshkaDims: [4], matryoshka_weights: [1] })), "matryoshka_weights", "matryoshkaWeights"],
  ["TripletLoss", () => new TripletLoss(bad({ triplet_margin: 1 })), "triplet_margin", "tripletMargin"],
  ["ContrastiveLoss", () => new ContrastiveLoss(bad({ size_average: false })), "size_average", "sizeAverage"],
  ["BinaryCrossEntropyLoss", () => new BinaryCrossEntropyLoss(bad({ pos_weight: 2 })), "pos_weight", "posWeight"],
  ["CrossEntropyLoss", () => new CrossEntropyLoss(bad({ activation_fn: "identity" })), "activation_fn", "activationFn"],
  ["createEmbeddingLoss", () => createEmbeddingLoss("CoSENTLoss", bad({ num_labels: 3 })), "num_labels", "numLabels"],
  [
    "training arguments",
    () => new SentenceTransformerTrainer({ model: st, loss: new MultipleNegativesRankingLoss(), sourceDir: ST_DIR, trainDataset: trainSet(), args: bad({ batch_size: 2 }) }),
    "batch_size",
    "batchSize",
  ],
  [
    "SentenceTransformerTrainer",
    () => new SentenceTransformerTrainer(bad({ model: st, loss: new MultipleNegativesRankingLoss(), sourceDir: ST_DIR, trainDataset: trainSet(), eval_dataset: trainSet() })),
    "eval_dataset",
    "evalDataset",
  ],
  ["CrossEncoderTrainer", () => new CrossEncoderTrainer(bad({ model: ce, sourceDir: CE_DIR, trainDataset: trainSet(), resume_from: "x" })), "resume_from", "resumeFrom"],
  ["exportOnnx", () => exportOnnx(ST_DIR, bad({ output: tmp, quantise: "int8" })), "quantise", "quantize"],
  ["saveSentenceTransformer", () => saveSentenceTransformer(st, join(tmp, "saved"), bad({ sourceDir: ST_DIR, overWrite: true })), "overWrite", "overwrite"],
  ["progressBar", () => progressBar(process.stderr, bad({ min_bytes: 1 })), "min_bytes", "minBytes"],
];

describe("every public options object refuses unknown keys", () => {
  it.each(cases)("%s refuses %s", async (_where, call, key, suggestion) => {
    const e = await errorOf(call);
    expect(e, "expected an SbertError").toBeInstanceOf(SbertError);
    expect((e as SbertError).code).toBe("INVALID_INPUT");
    expect((e as SbertError).message).toContain(`unknown option "${key}"`);
    if (suggestion !== undefined) expect((e as SbertError).message).toContain(`Did you mean "${suggestion}"?`);
  });

  it("refuses before doing any work (no output folder written)", async () => {
    await errorOf(() => saveSentenceTransformer(st, join(tmp, "never"), bad({ sourceDir: ST_DIR, force: true })));
    await expect(stat(join(tmp, "never"))).rejects.toThrow(/ENOENT/);
  });

  it("accepts every documented key", async () => {
    const out = await st.encode(["x"], { batchSize: 1, normalizeEmbeddings: true, showProgressBar: false, overlapTokenization: false, maxBatchTokens: 64 });
    expect(out.rows).toBe(1);
    expect(await ce.rank("q", ["d"], { topK: 1, returnDocuments: true, batchSize: 1, activation: "default", showProgressBar: false })).toHaveLength(1);
  });
});
