/**
 * MultiVectorEncoder (ColBERT) against Python sentence-transformers 6.0 (fixture
 * multivector-colbert-tiny, see test/fixtures/README_FIXTURES2.md), on both backends: features
 * (ids, masks, expansion positions) and scoring masks exactly, token vectors and MaxSim matrices
 * within 1e-5 (we measure ≤ 3e-7 and ≤ 2e-6), one-by-one = batched, save → load identical.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { SbertError } from "../src/errors.js";
import { MultiVectorEncoder } from "../src/models/multi-vector-encoder.js";
import { SentenceTransformer } from "../src/models/sentence-transformer.js";
import { MultiVectorMask } from "../src/modules/multi-vector-mask.js";
import { buildOnnxModel } from "../src/onnx/export.js";
import { encodeModel } from "../src/onnx/proto-writer.js";
import { DenseMatrix } from "../src/tensor/dense.js";
import { maxSim } from "../src/util/maxsim.js";
import { maxAbsDiff, multiVectorFixtures } from "./helpers/fixtures.js";

const TOL = 1e-5;
const BACKENDS = ["native", "onnx"] as const;
const fixtures = multiVectorFixtures();
const tmp = mkdtempSync(join(tmpdir(), "sbert-colbert-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Features = { input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][]; query_expansion_positions?: boolean[][] };

/** Rows of a (batchSize × seqLen) array. */
function rows(a: ArrayLike<number>, batchSize: number, seqLen: number): number[][] {
  return Array.from({ length: batchSize }, (_, r) => Array.from(a).slice(r * seqLen, (r + 1) * seqLen));
}

const toArrays = (ms: DenseMatrix[]): number[][][] => ms.map((m) => m.toArray());
const fromArrays = (xs: number[][][]): DenseMatrix[] => xs.map((x) => (x.length === 0 ? new DenseMatrix(new Float32Array(0), 0, 16) : DenseMatrix.fromRows(x)));

it("finds the multi-vector fixture", () => {
  expect(fixtures.map((f) => f.name)).toContain("multivector-colbert-tiny");
});

describe.each(fixtures.flatMap((f) => BACKENDS.map((b) => [f.name, b, f] as const)))("%s (%s)", (_name, backend, f) => {
  const g = f.golden as Record<string, unknown>;
  const queries = g["queries"] as string[];
  const documents = g["documents"] as string[];
  const sentences = g["sentences"] as string[];
  const prompts = g["prompts"] as { query: string; document: string };
  let model: MultiVectorEncoder;
  const load = async (): Promise<MultiVectorEncoder> => (model ??= await MultiVectorEncoder.load(f.dir, { backend }));
  afterAll(async () => model?.dispose());

  it("reads the config: prompts, maxsim, task lengths, query expansion, resolved skiplist ids", async () => {
    const m = await load();
    expect(m.prompts).toEqual(g["prompts"]);
    expect(m.similarityFnName).toBe(g["similarity_fn_name"]);
    expect(m.modules.map((x) => x.typeName)).toEqual(g["modules"]);
    expect(m.getEmbeddingDimension()).toBe(g["embedding_dimension"]);
    const t = m.transformer.taskLengths;
    expect([t.queryLength, t.documentLength]).toEqual([g["query_length"], g["document_length"]]);
    const e = g["query_expansion"] as { strategy: string; attend: boolean; token: string | null; length: number };
    expect(t.queryExpansion).toEqual({ strategy: e.strategy, attend: e.attend, token: e.token ?? undefined, length: e.length });
    const mask = m.modules.find((x): x is MultiVectorMask => x instanceof MultiVectorMask);
    expect(mask?.skiplistWords).toEqual(g["skiplist_words"]);
    expect(mask?.skiplistTasks).toEqual(g["skiplist_tasks"]);
    expect(mask?.skiplistTokenIds()).toEqual(g["skiplist_token_ids"]);
  });

  it("query and document features equal model.preprocess (ids, segment ids, attention, expansion positions, tokens)", async () => {
    const m = await load();
    for (const [task, texts, key] of [["query", queries, "query"], ["document", documents, "document"]] as const) {
      const want = g[`${key}_features`] as Features;
      const { batch, queryExpansionPositions } = m.preprocess(texts, { task, prompt: prompts[task] });
      const [b, n] = [batch.batchSize, batch.seqLen];
      expect(rows(batch.inputIds, b, n)).toEqual(want.input_ids);
      expect(rows(batch.tokenTypeIds, b, n)).toEqual(want.token_type_ids);
      expect(rows(batch.attentionMask, b, n)).toEqual(want.attention_mask);
      if (task === "query") expect(rows(queryExpansionPositions ?? [], b, n).map((r) => r.map((x) => x === 1))).toEqual(want.query_expansion_positions);
      else expect(queryExpansionPositions).toBeUndefined();
      const tokens = g[`${key}_tokens`] as string[][];
      expect(tokens.map((r) => r.map((t) => m.transformer.tokenizer.tokenToId(t)))).toEqual(want.input_ids);
    }
  });

  it("scoring masks equal Python's attention_mask after MultiVectorMask (expansion scored, punctuation dropped from documents)", async () => {
    const m = await load();
    for (const [task, texts] of [["query", queries], ["document", documents]] as const) {
      const out = await m.forward(m.preprocess(texts, { task, prompt: prompts[task] }));
      expect(rows(out.scoringMask ?? [], out.batch.batchSize, out.batch.seqLen)).toEqual(g[`${task}_scoring_mask`]);
    }
  });

  it("token embeddings (only scored tokens, position order) within 1e-5, queries, documents and the 13 sentences on both sides", async () => {
    const m = await load();
    const cases = [
      [await m.encodeQuery(queries, { batchSize: 4 }), "query_token_embeddings"],
      [await m.encodeDocument(documents, { batchSize: 4 }), "document_token_embeddings"],
      [await m.encodeQuery(sentences, { batchSize: 4 }), "sentences_query_token_embeddings"],
      [await m.encodeDocument(sentences, { batchSize: 4 }), "sentences_document_token_embeddings"],
    ] as const;
    for (const [got, key] of cases) {
      const want = g[key] as number[][][];
      expect(got.map((x) => x.rows), key).toEqual(want.map((x) => x.length));
      expect(maxAbsDiff(toArrays(got), want), key).toBeLessThanOrEqual(TOL);
    }
  });

  it("MaxSim matrices within 1e-5 (from our vectors, and from Python's vectors)", async () => {
    const m = await load();
    const [q, d] = [await m.encodeQuery(queries), await m.encodeDocument(documents)];
    expect(maxAbsDiff(m.similarity(q, d).toArray(), g["maxsim_scores_queries_x_documents"])).toBeLessThanOrEqual(TOL);
    const [sq, sd] = [await m.encodeQuery(sentences), await m.encodeDocument(sentences)];
    expect(maxAbsDiff(m.similarity(sq, sd).toArray(), g["sentences_maxsim_query_x_document"])).toBeLessThanOrEqual(TOL);
    const golden = maxSim(fromArrays(g["query_token_embeddings"] as number[][][]), fromArrays(g["document_token_embeddings"] as number[][][]));
    expect(maxAbsDiff(golden.toArray(), g["maxsim_scores_queries_x_documents"])).toBeLessThanOrEqual(TOL);
    expect(Array.from(m.similarityPairwise(q, d.slice(0, 3)))).toEqual([0, 1, 2].map((i) => m.similarity(q, d).get(i, i)));
  });

  it("one by one equals batched (queries, documents, sentences), within Python's own one-by-one difference or 1e-6", async () => {
    const m = await load();
    const sides = [
      [(t: string[]) => m.encodeQuery(t, { batchSize: 4 }), queries, g["query_token_embeddings_one_by_one_max_abs_diff"]],
      [(t: string[]) => m.encodeDocument(t, { batchSize: 4 }), documents, g["document_token_embeddings_one_by_one_max_abs_diff"]],
    ] as const;
    for (const [enc, texts, python] of sides) {
      for (const list of [texts, sentences]) {
        const batched = toArrays(await enc(list));
        const single = (await Promise.all(list.map((s) => enc([s])))).map((x) => (x[0] as DenseMatrix).toArray());
        expect(maxAbsDiff(single, batched)).toBeLessThanOrEqual(Math.max(python as number, 1e-6));
      }
    }
  });

  it("rank orders documents by MaxSim, best first", async () => {
    const m = await load();
    const want = (g["maxsim_scores_queries_x_documents"] as number[][])[0] as number[];
    const ranked = await m.rank(queries[0] as string, documents, { returnDocuments: true });
    expect(ranked.map((r) => r.corpusId)).toEqual(want.map((_, i) => i).sort((a, b) => (want[b] as number) - (want[a] as number)));
    expect(maxAbsDiff(ranked.map((r) => r.score), ranked.map((r) => want[r.corpusId]))).toBeLessThanOrEqual(TOL);
    expect(ranked[0]?.text).toBe(documents[ranked[0]?.corpusId as number]);
    expect(await m.rank(queries[0] as string, documents, { topK: 2 })).toHaveLength(2);
  });

  it("truncates a query longer than query_length as Python does: [CLS] [Q] … [SEP], no expansion", async () => {
    const m = await load();
    const long = sentences[8] as string;
    const { batch, queryExpansionPositions } = m.preprocess([long], { task: "query", prompt: prompts.query });
    const full = m.transformer.tokenizer.encode(prompts.query + long).ids;
    const sep = full[full.length - 1] as number;
    expect(Array.from(batch.inputIds)).toEqual([...full.slice(0, 11), sep]);
    expect(Array.from(batch.attentionMask)).toEqual(new Array(12).fill(1));
    expect(Array.from(queryExpansionPositions ?? [])).toEqual(new Array(12).fill(0));
    expect((await m.encodeQuery([long]))[0]?.rows).toBe(12);
  });

  it("save → load gives identical vectors and the v6 folder layout", async () => {
    const m = await load();
    const out = join(tmp, `saved-${backend}`);
    await m.save(out);
    const again = await MultiVectorEncoder.load(out, { backend });
    expect(again.modules.map((x) => x.getConfigDict())).toEqual(m.modules.map((x) => x.getConfigDict()));
    expect([again.prompts, again.similarityFnName]).toEqual([m.prompts, m.similarityFnName]);
    expect(maxAbsDiff(toArrays(await again.encodeQuery(queries)), toArrays(await m.encodeQuery(queries)))).toBe(0);
    expect(maxAbsDiff(toArrays(await again.encodeDocument(documents)), toArrays(await m.encodeDocument(documents)))).toBe(0);
    const types = (JSON.parse(readFileSync(join(out, "modules.json"), "utf8")) as { type: string }[]).map((e) => e.type);
    expect(types).toEqual(JSON.parse(readFileSync(join(f.dir, "modules.json"), "utf8")).map((e: { type: string }) => e.type));
    await again.dispose();
  });
});

describe.each(fixtures.map((f) => [f.name, f] as const))("ONNX export with pooling: %s", (_name, f) => {
  it("bakes the token-level Dense and Normalize into the graph: token_embeddings at the scored positions equal Python's within 1e-5", async () => {
    const g = f.golden as Record<string, unknown>;
    const spec = await buildOnnxModel(f.dir, { withPooling: true });
    expect(spec.graph.outputs.map((o) => o.name)).toEqual(["token_embeddings"]);
    const session = await ort.InferenceSession.create(Buffer.concat(encodeModel(spec)), { intraOpNumThreads: 1 });
    const m = await MultiVectorEncoder.load(f.dir, { backend: "native" });
    const prompts = g["prompts"] as { query: string; document: string };
    for (const [task, key] of [["query", "query"], ["document", "document"]] as const) {
      const features = m.preprocess(g[`${key === "query" ? "queries" : "documents"}`] as string[], { task, prompt: prompts[task] });
      const { batch } = features;
      const t = (a: Int32Array): ort.Tensor => new ort.Tensor("int64", BigInt64Array.from(a, (v) => BigInt(v)), [batch.batchSize, batch.seqLen]);
      const out = (await session.run({ input_ids: t(batch.inputIds), attention_mask: t(batch.attentionMask), token_type_ids: t(batch.tokenTypeIds) }))["token_embeddings"] as ort.Tensor;
      const data = out.data as Float32Array;
      const h = Number(out.dims[2]);
      const mask = (await m.forward(features)).scoringMask as Uint8Array; // the mask stays ours
      const got = Array.from({ length: batch.batchSize }, (_, r) =>
        Array.from({ length: batch.seqLen }, (_, p) => p)
          .filter((p) => mask[r * batch.seqLen + p] === 1)
          .map((p) => Array.from(data.subarray((r * batch.seqLen + p) * h, (r * batch.seqLen + p + 1) * h))),
      );
      expect(maxAbsDiff(got, g[`${key}_token_embeddings`]), key).toBeLessThanOrEqual(TOL);
    }
    await Promise.all([m.dispose(), session.release()]);
  });
});

describe("MultiVectorEncoder refuses what it cannot score", () => {
  const [f] = fixtures;
  const dir = f?.dir as string;
  /** A copy of the fixture with `edit` applied to one of its JSON files. */
  const variant = (name: string, file: string, edit: (j: Record<string, unknown>) => void): string => {
    const out = join(tmp, name);
    cpSync(dir, out, { recursive: true });
    const j = JSON.parse(readFileSync(join(out, file), "utf8")) as Record<string, unknown>;
    edit(j);
    writeFileSync(join(out, file), JSON.stringify(j));
    return out;
  };

  it("a tokenizer without the [Q] / [D] tokens is INVALID_MODEL_FILE naming the marker", async () => {
    const noMarkers = variant("no-markers", "tokenizer.json", (j) => {
      j["added_tokens"] = (j["added_tokens"] as { content: string }[]).filter((t) => t.content !== "[Q]" && t.content !== "[D]");
    });
    const err = await MultiVectorEncoder.load(noMarkers, { backend: "native" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SbertError);
    expect((err as SbertError).code).toBe("INVALID_MODEL_FILE");
    expect((err as SbertError).message).toMatch(/\[Q\].*added_tokens/);
  });

  it("meanmaxsim divides by the query's vector count; cosine is UNSUPPORTED_FORMAT", async () => {
    const g = f?.golden as Record<string, unknown>;
    const mean = await MultiVectorEncoder.load(variant("meanmaxsim", "config_sentence_transformers.json", (j) => (j["similarity_fn_name"] = "meanmaxsim")), { backend: "native" });
    const q = await mean.encodeQuery(g["queries"] as string[]);
    const d = await mean.encodeDocument(g["documents"] as string[]);
    const want = (g["maxsim_scores_queries_x_documents"] as number[][]).map((r, i) => r.map((x) => x / (q[i] as DenseMatrix).rows));
    expect(maxAbsDiff(mean.similarity(q, d).toArray(), want)).toBeLessThanOrEqual(TOL);
    const cos = variant("cosine", "config_sentence_transformers.json", (j) => (j["similarity_fn_name"] = "cosine"));
    await expect(MultiVectorEncoder.load(cos, { backend: "native" })).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT" });
  });

  it("SentenceTransformer.load points to MultiVectorEncoder; bad tasks and options are INVALID_INPUT", async () => {
    await expect(SentenceTransformer.load(dir, { backend: "native" })).rejects.toThrow(/MultiVectorEncoder\.load/);
    const m = await MultiVectorEncoder.load(dir, { backend: "native" });
    await expect(m.encode(["a"], { task: "passage" as never })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(m.encodeQuery(["a"], { task: "document" } as never)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(m.encode([1 as never])).rejects.toMatchObject({ code: "INVALID_INPUT" });
    // no task: no expansion, and MultiVectorMask treats the texts as documents (punctuation dropped)
    const f0 = await m.forward(m.preprocess(["a ."]));
    expect(f0.queryExpansionPositions).toBeUndefined();
    expect(Array.from(f0.scoringMask ?? [])).toEqual([1, 1, 0, 1]);
  });
});
