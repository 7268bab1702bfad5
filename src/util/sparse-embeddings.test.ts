import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { SparseEmbeddings, selectMaxActiveDims, sparseSemanticSearch, sparseSimilarity, sparsity } from "./sparse-embeddings.js";

const e = SparseEmbeddings.fromRows(
  [
    { indices: [1, 4], values: [2, -3] },
    { indices: [], values: [] },
    { indices: [0, 1, 4], values: [1, 1, 1] },
  ],
  5,
);

describe("SparseEmbeddings (CSR)", () => {
  it("rows, entries, dense round trip", () => {
    expect(Array.from(e.indptr)).toEqual([0, 2, 2, 5]);
    expect(e.entries(0)).toEqual([{ index: 1, value: 2 }, { index: 4, value: -3 }]);
    expect(e.entries(1)).toEqual([]);
    expect(SparseEmbeddings.fromDense(e.toDense().data, 3, 5).toArrays()).toEqual(e.toArrays());
  });
  it("refuses indices that are not ascending or out of range", () => {
    expect(() => SparseEmbeddings.fromRows([{ indices: [3, 1], values: [1, 1] }], 5)).toThrow(RangeError);
    expect(() => SparseEmbeddings.fromRows([{ indices: [5], values: [1] }], 5)).toThrow(RangeError);
  });
  it("dot and cosine similarity; a zero row scores 0", () => {
    expect(Array.from(sparseSimilarity(e, e, "dot").data)).toEqual([13, 0, -1, 0, 0, 0, -1, 0, 3]);
    const cos = sparseSimilarity(e, e, "cosine");
    expect(cos.data[0]).toBeCloseTo(1, 6);
    expect(cos.data[2]).toBeCloseTo(-1 / (Math.sqrt(13) * Math.sqrt(3)), 6);
    expect(cos.data[4]).toBe(0);
    expect(() => sparseSimilarity(e, SparseEmbeddings.fromRows([], 6))).toThrow(SbertError);
  });
  it("sparsity as Python reports it", () => {
    expect(sparsity(e)).toEqual({ activeDims: Math.fround(5 / 3), sparsityRatio: 1 - Math.fround(5 / 3) / 5 });
    expect(sparsity(SparseEmbeddings.fromRows([], 5))).toEqual({ activeDims: 0, sparsityRatio: 1 });
  });
  it("selectMaxActiveDims keeps the k largest |values| with their sign", () => {
    const row = Float32Array.of(0.5, -4, 0, 3, 1);
    selectMaxActiveDims(row, 2);
    expect(Array.from(row)).toEqual([0, -4, 0, 3, 0]);
  });
  it("semantic search by dot product, best first", () => {
    const hits = sparseSemanticSearch(e, e, { topK: 2 });
    expect(hits[2]).toEqual([{ corpusId: 2, score: 3 }, { corpusId: 1, score: 0 }]);
    expect(() => sparseSemanticSearch(e, e, { topK: 0 })).toThrow(SbertError);
  });
});
