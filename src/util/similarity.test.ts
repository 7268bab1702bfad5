import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DenseMatrix } from "../tensor/dense.js";
import {
  cosSim,
  dotScore,
  euclideanSim,
  isSimilarityFunctionName,
  manhattanSim,
  normalizeEmbeddings,
  pairwiseCosSim,
  pairwiseDotScore,
  pairwiseEuclideanSim,
  pairwiseManhattanSim,
  pairwiseSimilarityFunction,
  similarityFunction,
} from "./similarity.js";
import { expectInvalidInput } from "../../test/helpers/errors.js";

const FIXTURES = "test/fixtures";
const TOL = 1e-5;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

interface BiEncoderGolden {
  similarity_fn_name: string;
  embeddings: number[][];
  embeddings_normalized: number[][];
  similarity_normalized_first6: number[][];
}

const goldens = readdirSync(FIXTURES)
  .map((name) => join(FIXTURES, name, "golden.json"))
  .filter((path) => existsSync(path))
  .map((path) => ({ path, golden: JSON.parse(readFileSync(path, "utf8")) as Partial<BiEncoderGolden> }))
  .filter((g): g is { path: string; golden: BiEncoderGolden } => g.golden.similarity_normalized_first6 !== undefined);

describe("similarity goldens (every bi-encoder fixture)", () => {
  it("discovers the bi-encoder fixtures", () => {
    expect(goldens.length).toBeGreaterThanOrEqual(10);
  });

  for (const { path, golden } of goldens) {
    it(`${path}: normalizeEmbeddings(embeddings) = embeddings_normalized (tolerance 0: bit-identical)`, () => {
      const got = normalizeEmbeddings(DenseMatrix.fromRows(golden.embeddings));
      expect(Array.from(got.data)).toEqual(Array.from(DenseMatrix.fromRows(golden.embeddings_normalized).data));
    });

    it(`${path}: similarityFunction(${golden.similarity_fn_name}) on the first 6 normalized rows (max abs diff ≤ 1e-5, in fact 0)`, () => {
      const first6 = DenseMatrix.fromRows(golden.embeddings_normalized.slice(0, 6));
      const got = similarityFunction(golden.similarity_fn_name)(first6, first6);
      const want = DenseMatrix.fromRows(golden.similarity_normalized_first6);
      expect([got.rows, got.cols]).toEqual([6, 6]);
      expect(maxAbsDiff(got.data, want.data)).toBeLessThanOrEqual(TOL);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
    });
  }
});

describe("cosSim", () => {
  const util = JSON.parse(readFileSync(join(FIXTURES, "util_goldens.json"), "utf8")) as {
    corpus_embeddings: number[][];
    cos_sim_corpus_corpus: number[][];
  };

  it("reproduces cos_sim(corpus, corpus) of util_goldens (20 × 20, tolerance 0: bit-identical)", () => {
    const corpus = DenseMatrix.fromRows(util.corpus_embeddings);
    const got = cosSim(corpus, corpus);
    expect(Array.from(got.data)).toEqual(Array.from(DenseMatrix.fromRows(util.cos_sim_corpus_corpus).data));
  });

  it("gives 0, not NaN, for zero vectors (normalize eps 1e-12; exact)", () => {
    const got = cosSim(DenseMatrix.fromRows([[0, 0, 0], [1, 2, 2]]), DenseMatrix.fromRows([[0, 0, 0], [2, 0, 0]]));
    expect(got.toArray()).toEqual([
      [0, 0],
      [0, Math.fround(1 / 3)],
    ]);
  });

  it("accepts single vectors as 1 × d (tolerance 1e-6)", () => {
    const got = cosSim([1, 0], new Float32Array([1, 1]));
    expect([got.rows, got.cols]).toEqual([1, 1]);
    expect(got.get(0, 0)).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it("handles empty matrices: (0 × d) vs (m × d) → 0 × m", () => {
    const got = cosSim(new DenseMatrix(new Float32Array(0), 0, 3), DenseMatrix.fromRows([[1, 2, 3]]));
    expect([got.rows, got.cols]).toEqual([0, 1]);
  });

  it("rejects different dimensions with INVALID_INPUT", () => {
    expectInvalidInput(() => cosSim(DenseMatrix.fromRows([[1, 2]]), DenseMatrix.fromRows([[1, 2, 3]])));
    expectInvalidInput(() => dotScore([1, 2], [1, 2, 3]));
    expectInvalidInput(() => euclideanSim([1, 2], [1, 2, 3]));
    expectInvalidInput(() => manhattanSim([1, 2], [1, 2, 3]));
  });

  it("rejects int8 matrices and non-numeric vectors with INVALID_INPUT", () => {
    const int8 = new DenseMatrix(new Int8Array(2), 1, 2) as unknown as DenseMatrix<Float32Array>;
    expectInvalidInput(() => cosSim(int8, [1, 2]));
    expectInvalidInput(() => cosSim(["1", "2"] as unknown as number[], [1, 2]));
  });
});

describe("dotScore, euclideanSim, manhattanSim (tolerance 1e-6)", () => {
  const a = DenseMatrix.fromRows([[0, 0], [1, 2]]);
  const b = DenseMatrix.fromRows([[3, 4], [1, 2], [-1, 0]]);

  it("dotScore is a · bᵀ (exact for small integers)", () => {
    expect(dotScore(a, b).toArray()).toEqual([
      [0, 0, 0],
      [11, 5, -1],
    ]);
  });

  it("euclideanSim is the negative L2 distance", () => {
    const got = euclideanSim(a, b).toArray();
    const want = [
      [-5, -Math.sqrt(5), -1],
      [-Math.sqrt(8), 0, -Math.sqrt(8)],
    ];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(got[i]![j]!).toBeCloseTo(want[i]![j]!, 6);
  });

  it("manhattanSim is the negative L1 distance", () => {
    expect(manhattanSim(a, b).toArray().map((r) => r.map((x) => x + 0))).toEqual([
      [-7, -3, -1],
      [-4, 0, -4],
    ]);
  });
});

describe("pairwise functions (tolerance 1e-6 against the matrix diagonal)", () => {
  const a = DenseMatrix.fromRows([[0.5, -1, 2], [0, 0, 0], [3, 1, -2]]);
  const b = DenseMatrix.fromRows([[1, 1, 1], [1, 0, 0], [-3, 0.25, 2]]);
  const cases = [
    [pairwiseCosSim, cosSim],
    [pairwiseDotScore, dotScore],
    [pairwiseEuclideanSim, euclideanSim],
    [pairwiseManhattanSim, manhattanSim],
  ] as const;

  for (const [pairwise, full] of cases) {
    it(`${pairwise.name} equals the diagonal of ${full.name}`, () => {
      const got = pairwise(a, b);
      const matrix = full(a, b);
      expect(got).toBeInstanceOf(Float32Array);
      expect(maxAbsDiff(got, [0, 1, 2].map((i) => matrix.get(i, i)))).toBeLessThanOrEqual(1e-6);
    });

    it(`${pairwise.name} rejects different row counts and dimensions with INVALID_INPUT`, () => {
      expectInvalidInput(() => pairwise(a, DenseMatrix.fromRows([[1, 2, 3]])));
      expectInvalidInput(() => pairwise(a, DenseMatrix.fromRows([[1, 2], [1, 2], [1, 2]])));
    });
  }

  it("pairwiseCosSim of a zero row is 0 (no NaN)", () => {
    expect(pairwiseCosSim(a, b)[1]).toBe(0);
  });

  it("accepts two single vectors → one score", () => {
    expect(Array.from(pairwiseDotScore([1, 2], [3, 4]))).toEqual([11]);
  });
});

describe("similarityFunction / pairwiseSimilarityFunction", () => {
  it("maps Python's SimilarityFunction values", () => {
    expect(similarityFunction("cosine")).toBe(cosSim);
    expect(similarityFunction("dot")).toBe(dotScore);
    expect(similarityFunction("euclidean")).toBe(euclideanSim);
    expect(similarityFunction("manhattan")).toBe(manhattanSim);
    expect(pairwiseSimilarityFunction("cosine")).toBe(pairwiseCosSim);
    expect(pairwiseSimilarityFunction("dot")).toBe(pairwiseDotScore);
    expect(pairwiseSimilarityFunction("euclidean")).toBe(pairwiseEuclideanSim);
    expect(pairwiseSimilarityFunction("manhattan")).toBe(pairwiseManhattanSim);
  });

  it("rejects names that are not enum values (cos_sim, dot_product, MaxSim, Cosine) with INVALID_INPUT", () => {
    for (const name of ["cos_sim", "dot_product", "MaxSim", "Cosine", ""]) {
      expect(isSimilarityFunctionName(name)).toBe(false);
      expectInvalidInput(() => similarityFunction(name));
      expectInvalidInput(() => pairwiseSimilarityFunction(name));
    }
  });
});
