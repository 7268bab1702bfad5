/**
 * Late-interaction (ColBERT) scoring over multi-vector embeddings, ported from sentence-transformers
 * 6.0, huggingface/sentence-transformers `sentence_transformers/util/similarity.py` (`maxsim`,
 * `mean_maxsim`, `_maxsim_score_documents`, `_fill_empty_document_scores`).
 *
 * MaxSim(q, d) = Σᵢ maxⱼ qᵢ · dⱼ over the query's vectors qᵢ and the document's vectors dⱼ.
 * MeanMaxSim divides by the number of query vectors (at least 1). A document without any vector
 * scores `EMPTY_DOCUMENT_SCORE` (-1e9), ranking below every real document, as in Python; a query
 * without vectors scores 0. Dot products and sums are taken in float64, the result is float32
 * (Python's float32 einsum agrees to ~1e-6 for 12 × 32 tokens of 16 dims).
 *
 * @example
 * const q = [DenseMatrix.fromRows([[1, 0], [0, 1]])];
 * const d = [DenseMatrix.fromRows([[1, 0]]), DenseMatrix.fromRows([[0.6, 0.8]])];
 * maxSim(q, d); // 1 × 2: [[1 + 0, 0.6 + 0.8]]
 */
import { SbertError } from "../errors.js";
import { DenseMatrix } from "../tensor/dense.js";

/** The multi-vector scoring functions (`similarity_fn_name` of a MultiVectorEncoder). */
export type MultiVectorSimilarityName = "maxsim" | "meanmaxsim";

export const MULTI_VECTOR_SIMILARITY_NAMES: readonly MultiVectorSimilarityName[] = ["maxsim", "meanmaxsim"];

/** Score of a document with no vector to take the max over (Python's `_EMPTY_DOCUMENT_SCORE`). */
export const EMPTY_DOCUMENT_SCORE = -1e9;

/** All-pairs MaxSim: (queries.length × documents.length); `lengthNormalize` gives MeanMaxSim. */
export function maxSim(queries: readonly DenseMatrix[], documents: readonly DenseMatrix[], opts: { lengthNormalize?: boolean } = {}): DenseMatrix {
  const dim = commonDim(queries, documents);
  const out = new Float32Array(queries.length * documents.length);
  queries.forEach((q, i) => {
    documents.forEach((d, j) => {
      out[i * documents.length + j] = pairScore(q, d, dim, opts.lengthNormalize === true);
    });
  });
  return new DenseMatrix(out, queries.length, documents.length);
}

/** Pairwise MaxSim of queries[i] and documents[i]: (n); `lengthNormalize` gives MeanMaxSim. */
export function maxSimPairwise(queries: readonly DenseMatrix[], documents: readonly DenseMatrix[], opts: { lengthNormalize?: boolean } = {}): Float32Array {
  if (queries.length !== documents.length) throw new SbertError("SHAPE_MISMATCH", `pairwise MaxSim needs as many queries as documents, got ${queries.length} and ${documents.length}`);
  const dim = commonDim(queries, documents);
  return Float32Array.from(queries, (q, i) => pairScore(q, documents[i] as DenseMatrix, dim, opts.lengthNormalize === true));
}

/** MaxSim or MeanMaxSim by name; INVALID_INPUT for any other name. */
export function multiVectorSimilarity(name: string): (a: readonly DenseMatrix[], b: readonly DenseMatrix[]) => DenseMatrix {
  if (name === "maxsim") return (a, b) => maxSim(a, b);
  if (name === "meanmaxsim") return (a, b) => maxSim(a, b, { lengthNormalize: true });
  throw new SbertError("INVALID_INPUT", `multi-vector similarity must be "maxsim" or "meanmaxsim", got "${name}"; cosine / dot are defined on single vectors`);
}

function pairScore(q: DenseMatrix, d: DenseMatrix, dim: number, lengthNormalize: boolean): number {
  if (d.rows === 0) return EMPTY_DOCUMENT_SCORE;
  let sum = 0;
  for (let i = 0; i < q.rows; i++) {
    const qo = i * dim;
    let best = -Infinity;
    for (let j = 0; j < d.rows; j++) {
      const dOff = j * dim;
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += (q.data[qo + k] as number) * (d.data[dOff + k] as number);
      if (dot > best) best = dot;
    }
    sum += best;
  }
  return lengthNormalize ? sum / Math.max(q.rows, 1) : sum;
}

/** The vector size both sides share; SHAPE_MISMATCH when two differ, INVALID_INPUT for a non-matrix. */
function commonDim(a: readonly DenseMatrix[], b: readonly DenseMatrix[]): number {
  let dim: number | undefined;
  for (const [side, list] of [["queries", a], ["documents", b]] as const) {
    if (!Array.isArray(list)) throw new SbertError("INVALID_INPUT", `MaxSim ${side} must be an array of matrices (one per text)`);
    list.forEach((m: unknown, i) => {
      if (!(m instanceof DenseMatrix) || !(m.data instanceof Float32Array)) throw new SbertError("INVALID_INPUT", `MaxSim ${side}[${i}] must be a float32 DenseMatrix (tokens × dim)`);
      if (m.rows === 0) return; // an empty matrix may carry any width
      if (dim === undefined) dim = m.cols;
      else if (m.cols !== dim) throw new SbertError("SHAPE_MISMATCH", `MaxSim ${side}[${i}] has ${m.cols}-dimensional vectors, others have ${dim}`);
    });
  }
  return dim ?? 0;
}
