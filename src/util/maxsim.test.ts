import { describe, expect, it } from "vitest";
import { DenseMatrix } from "../tensor/dense.js";
import { EMPTY_DOCUMENT_SCORE, maxSim, maxSimPairwise, multiVectorSimilarity } from "./maxsim.js";

const m = (rows: number[][]): DenseMatrix => DenseMatrix.fromRows(rows);
const empty = new DenseMatrix(new Float32Array(0), 0, 2);

describe("maxSim (sentence-transformers 6.0 util.similarity.maxsim)", () => {
  it("sums, over query vectors, the best dot product with a document vector", () => {
    const q = [m([[1, 0], [0, 1]]), m([[1, 1]])];
    const d = [m([[1, 0]]), m([[0.6, 0.8], [-1, 0]])];
    const s = maxSim(q, d).toArray().flat();
    [1, 1.4, 1, 1.4].forEach((want, i) => expect(s[i]).toBeCloseTo(want, 6));
    // a masked-out (negative) similarity is not beaten by a zero: the max is over real vectors only
    expect(maxSim([m([[-1, 0]])], [m([[0.5, 0], [2, 0]])]).get(0, 0)).toBe(-0.5);
    expect(maxSim(q, d, { lengthNormalize: true }).get(0, 1)).toBeCloseTo(0.7, 6);
    expect(multiVectorSimilarity("meanmaxsim")(q, d).toArray()).toEqual(maxSim(q, d, { lengthNormalize: true }).toArray());
    expect(Array.from(maxSimPairwise(q, d))).toEqual([s[0], s[3]]);
  });

  it("a document without vectors scores -1e9, a query without vectors 0; empty sets give empty matrices", () => {
    expect(maxSim([m([[1, 0]])], [empty]).get(0, 0)).toBe(EMPTY_DOCUMENT_SCORE);
    expect(maxSim([empty], [m([[1, 0]])]).get(0, 0)).toBe(0);
    expect(maxSim([], [m([[1, 0]])]).rows).toBe(0);
  });

  it("refuses mismatched widths, non-matrices, unequal pairwise lengths and single-vector similarity names", () => {
    expect(() => maxSim([m([[1, 0]])], [m([[1, 0, 0]])])).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
    expect(() => maxSim([[1, 0]] as never, [m([[1, 0]])])).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    expect(() => maxSimPairwise([m([[1, 0]])], [])).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
    expect(() => multiVectorSimilarity("cosine")).toThrow(/maxsim/);
  });
});
