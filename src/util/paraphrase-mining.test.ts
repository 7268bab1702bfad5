import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DenseMatrix } from "../tensor/dense.js";
import { paraphraseMiningEmbeddings, type ParaphrasePair } from "./paraphrase-mining.js";
import { cosSim, dotScore } from "./similarity.js";
import { expectInvalidInput } from "../../test/helpers/errors.js";

const util = JSON.parse(readFileSync("test/fixtures/util_goldens.json", "utf8")) as {
  corpus_embeddings: number[][];
  paraphrase_mining_defaults: ParaphrasePair[];
  paraphrase_mining_top_k_2_max_pairs_10: ParaphrasePair[];
  paraphrase_mining_near_ties: [number, number][];
};
const corpus = DenseMatrix.fromRows(util.corpus_embeddings);

interface TieCase {
  score_function: "cos_sim" | "dot_score";
  top_k: number;
  max_pairs: number;
  query_chunk_size: number;
  corpus_chunk_size: number;
  pairs: ParaphrasePair[];
}
const ties = JSON.parse(readFileSync(new URL("./testdata/retrieval-ties-oracle.json", import.meta.url), "utf8")) as {
  corpus: number[][];
  dot_corpus: number[][];
  paraphrase_mining: TieCase[];
};

/**
 * The README's contract: scores within `tol`, order equal up to swaps inside near-tie runs
 * ([k, gap]: entries k and k + 1 may swap). Compared as multisets per run.
 */
function expectPairsUpToNearTies(got: ParaphrasePair[], want: ParaphrasePair[], nearTies: [number, number][], tol: number): void {
  expect(got.length).toBe(want.length);
  const swappable = new Set(nearTies.map(([k]) => k));
  let start = 0;
  for (let k = 0; k < want.length; k++) {
    if (swappable.has(k)) continue;
    const key = (p: ParaphrasePair) => `${p[1]},${p[2]}`;
    expect(got.slice(start, k + 1).map(key).sort()).toEqual(want.slice(start, k + 1).map(key).sort());
    start = k + 1;
  }
  got.forEach((p, k) => expect(Math.abs(p[0] - want[k]![0])).toBeLessThanOrEqual(tol));
}

describe("paraphraseMiningEmbeddings goldens (util_goldens.json)", () => {
  it("defaults: all 190 pairs, order up to near-tie swaps, scores max abs diff ≤ 1e-5", () => {
    const got = paraphraseMiningEmbeddings(corpus);
    expectPairsUpToNearTies(got, util.paraphrase_mining_defaults, util.paraphrase_mining_near_ties, 1e-5);
  });

  it("defaults: in fact identical to Python, order and scores (tolerance 0)", () => {
    expect(paraphraseMiningEmbeddings(corpus)).toEqual(util.paraphrase_mining_defaults);
  });

  it("top_k=2, max_pairs=10: the same 5 pairs (tolerance 0)", () => {
    expect(paraphraseMiningEmbeddings(corpus, { topK: 2, maxPairs: 10 })).toEqual(util.paraphrase_mining_top_k_2_max_pairs_10);
  });

  it("chunking does not change the result (tolerance 0)", () => {
    expect(paraphraseMiningEmbeddings(corpus, { queryChunkSize: 3, corpusChunkSize: 7 })).toEqual(util.paraphrase_mining_defaults);
  });
});

describe("paraphraseMiningEmbeddings tie order (Python algorithm on torch CPU, exact)", () => {
  for (const c of ties.paraphrase_mining) {
    it(`${c.score_function} top_k=${c.top_k} max_pairs=${c.max_pairs} chunks=${c.query_chunk_size}/${c.corpus_chunk_size}`, () => {
      const dot = c.score_function === "dot_score";
      const got = paraphraseMiningEmbeddings(DenseMatrix.fromRows(dot ? ties.dot_corpus : ties.corpus), {
        topK: c.top_k,
        maxPairs: c.max_pairs,
        queryChunkSize: c.query_chunk_size,
        corpusChunkSize: c.corpus_chunk_size,
        scoreFunction: dot ? dotScore : cosSim,
      });
      expect(got).toEqual(c.pairs);
    });
  }
});

describe("paraphraseMiningEmbeddings queue capacity and edge cases", () => {
  // Three rows whose scores Python's own test uses: every row prefers itself, then the others.
  const scores = DenseMatrix.fromRows([
    [10, 9, 8],
    [7, 10, 6],
    [5, 4, 10],
  ]);
  const fixedScores = () => scores;
  const three = new DenseMatrix(new Float32Array(6), 3, 2);

  it("keeps at most maxPairs - 1 directed candidates (drop when the added count reaches maxPairs)", () => {
    const run = (maxPairs: number) => paraphraseMiningEmbeddings(three, { topK: 2, maxPairs, scoreFunction: fixedScores });
    expect(run(0)).toEqual([]);
    expect(run(1)).toEqual([]);
    expect(run(2)).toEqual([[9, 0, 1]]);
    expect(run(3)).toEqual([
      [9, 0, 1],
      [8, 0, 2],
    ]);
    // Every pair is offered in both directions; the lower score of the two is kept.
    expect(run(100)).toEqual([
      [7, 0, 1],
      [5, 0, 2],
      [4, 1, 2],
    ]);
  });

  it("scores ≤ -1 are never candidates (min_score starts at -1)", () => {
    const negative = () => DenseMatrix.fromRows([[1, -1], [-2, 1]]);
    expect(paraphraseMiningEmbeddings(new DenseMatrix(new Float32Array(4), 2, 2), { scoreFunction: negative })).toEqual([]);
  });

  it("no rows or one row give []", () => {
    expect(paraphraseMiningEmbeddings(new DenseMatrix(new Float32Array(0), 0, 4))).toEqual([]);
    expect(paraphraseMiningEmbeddings(DenseMatrix.fromRows([[1, 2]]))).toEqual([]);
  });

  it("duplicate rows pair up with score 1", () => {
    const got = paraphraseMiningEmbeddings(DenseMatrix.fromRows([[1, 2], [3, -1], [1, 2]]));
    expect(got[0]).toEqual([cosSim([1, 2], [1, 2]).get(0, 0), 0, 2]);
  });

  it("rejects topK < 1, maxPairs < 0 and chunk sizes < 1 with INVALID_INPUT", () => {
    expectInvalidInput(() => paraphraseMiningEmbeddings(corpus, { topK: 0 }));
    expectInvalidInput(() => paraphraseMiningEmbeddings(corpus, { maxPairs: -1 }));
    expectInvalidInput(() => paraphraseMiningEmbeddings(corpus, { queryChunkSize: 0 }));
    expectInvalidInput(() => paraphraseMiningEmbeddings(corpus, { corpusChunkSize: 1.5 }));
  });
});
