import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DenseMatrix } from "../tensor/dense.js";
import { semanticSearch, type SemanticSearchHit } from "./semantic-search.js";
import { cosSim, dotScore } from "./similarity.js";
import { expectInvalidInput } from "../../test/helpers/errors.js";

interface PyHit {
  corpus_id: number;
  score: number;
}
const util = JSON.parse(readFileSync("test/fixtures/util_goldens.json", "utf8")) as {
  corpus_embeddings: number[][];
  query_embeddings: number[][];
  semantic_search_top_k_3_cos_sim: PyHit[][];
  semantic_search_top_k_3_dot_score: PyHit[][];
};
const corpus = DenseMatrix.fromRows(util.corpus_embeddings);
const queries = DenseMatrix.fromRows(util.query_embeddings);

interface TieCase {
  score_function: "cos_sim" | "dot_score";
  top_k: number;
  query_chunk_size: number;
  corpus_chunk_size: number;
  hits: [number, number][][];
}
const ties = JSON.parse(readFileSync(new URL("./testdata/retrieval-ties-oracle.json", import.meta.url), "utf8")) as {
  corpus: number[][];
  queries: number[][];
  dot_corpus: number[][];
  dot_queries: number[][];
  semantic_search: TieCase[];
};

/** Ids exactly, scores within `tol`. */
function expectHits(got: SemanticSearchHit[][], want: PyHit[][], tol: number): void {
  expect(got.map((hs) => hs.map((h) => h.corpusId))).toEqual(want.map((hs) => hs.map((h) => h.corpus_id)));
  got.forEach((hs, q) => hs.forEach((h, r) => expect(Math.abs(h.score - want[q]![r]!.score)).toBeLessThanOrEqual(tol)));
}

describe("semanticSearch goldens (util_goldens.json)", () => {
  it("top_k=3 cos_sim: ids exact, scores max abs diff ≤ 1e-5 (in fact 0)", () => {
    const got = semanticSearch(queries, corpus, { topK: 3 });
    expectHits(got, util.semantic_search_top_k_3_cos_sim, 1e-5);
    expectHits(got, util.semantic_search_top_k_3_cos_sim, 0);
  });

  it("top_k=3 dot_score: ids exact, scores max abs diff ≤ 1e-5 (in fact 0)", () => {
    const got = semanticSearch(queries, corpus, { topK: 3, scoreFunction: dotScore });
    expectHits(got, util.semantic_search_top_k_3_dot_score, 1e-5);
    expectHits(got, util.semantic_search_top_k_3_dot_score, 0);
  });

  it("gives the same hits with tiny query and corpus chunks (exact)", () => {
    const got = semanticSearch(queries, corpus, { topK: 3, queryChunkSize: 1, corpusChunkSize: 3 });
    expectHits(got, util.semantic_search_top_k_3_cos_sim, 0);
  });

  it("a single query vector gives one result list (exact)", () => {
    const got = semanticSearch(queries.row(2), corpus, { topK: 3 });
    expectHits(got, [util.semantic_search_top_k_3_cos_sim[2]!], 0);
  });

  it("topK larger than the corpus returns the whole corpus, best first", () => {
    const got = semanticSearch(queries, corpus, { topK: 1000 });
    const scores = cosSim(queries, corpus);
    for (const [q, hits] of got.entries()) {
      expect(hits.map((h) => h.corpusId).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
      for (let r = 1; r < hits.length; r++) expect(hits[r - 1]!.score).toBeGreaterThanOrEqual(hits[r]!.score);
      for (const h of hits) expect(h.score).toBe(scores.get(q, h.corpusId));
    }
  });
});

describe("semanticSearch tie order (Python algorithm on torch CPU, exact ids and scores)", () => {
  for (const c of ties.semantic_search) {
    it(`${c.score_function} top_k=${c.top_k} query_chunk=${c.query_chunk_size} corpus_chunk=${c.corpus_chunk_size}`, () => {
      const dot = c.score_function === "dot_score";
      const got = semanticSearch(
        DenseMatrix.fromRows(dot ? ties.dot_queries : ties.queries),
        DenseMatrix.fromRows(dot ? ties.dot_corpus : ties.corpus),
        {
          topK: c.top_k,
          queryChunkSize: c.query_chunk_size,
          corpusChunkSize: c.corpus_chunk_size,
          scoreFunction: dot ? dotScore : cosSim,
        },
      );
      expect(got.map((hs) => hs.map((h) => [h.corpusId, h.score]))).toEqual(c.hits);
    });
  }
});

describe("semanticSearch edge cases", () => {
  it("an empty corpus (0 rows or an empty vector) gives one empty list per query, like Python", () => {
    expect(semanticSearch(queries, new DenseMatrix(new Float32Array(0), 0, 48))).toEqual([[], [], [], []]);
    expect(semanticSearch(queries, new DenseMatrix(new Float32Array(0), 0, 0))).toEqual([[], [], [], []]);
    expect(semanticSearch(queries, [])).toEqual([[], [], [], []]);
  });

  it("no queries give []", () => {
    expect(semanticSearch(new DenseMatrix(new Float32Array(0), 0, 48), corpus)).toEqual([]);
  });

  it("rejects topK ≤ 0 or fractional and chunk sizes < 1 with INVALID_INPUT", () => {
    for (const topK of [0, -1, 1.5, NaN]) expectInvalidInput(() => semanticSearch(queries, corpus, { topK }));
    expectInvalidInput(() => semanticSearch(queries, corpus, { queryChunkSize: 0 }));
    expectInvalidInput(() => semanticSearch(queries, corpus, { corpusChunkSize: 0 }));
  });

  it("rejects different embedding dimensions with INVALID_INPUT", () => {
    expectInvalidInput(() => semanticSearch(DenseMatrix.fromRows([[1, 2]]), corpus));
  });

  it("rejects a score function that returns the wrong shape with INVALID_INPUT", () => {
    const bad = (a: DenseMatrix<Float32Array>) => new DenseMatrix(new Float32Array(a.rows), a.rows, 1);
    expectInvalidInput(() => semanticSearch(queries, corpus, { scoreFunction: bad }));
  });
});
