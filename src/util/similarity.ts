/**
 * Similarity functions of `sentence_transformers.util` over float32 matrices.
 *
 * Matrix forms take (n × d) and (m × d) and return an (n × m) float32 matrix; pairwise forms take two
 * (n × d) matrices and return n scores. A single vector counts as a 1 × d matrix.
 *
 * Rounding: `cosSim`, `dotScore` and `normalizeEmbeddings` reproduce PyTorch's CPU float32 results
 * bit for bit (see `torch-f32.ts`), which keeps ties and threshold decisions in search, mining and
 * community detection identical to Python. The distance-based and pairwise forms work on float32
 * inputs with float64 sums, rounded to float32 once; they agree with PyTorch to ~1e-6 relative, not
 * bit for bit (torch's `cdist` / `sum` kernels use their own blocked summation orders).
 *
 * @example
 * const a = DenseMatrix.fromRows([[1, 0], [0, 1]]);
 * cosSim(a, [1, 1]).toArray(); // [[0.70710677], [0.70710677]]
 */
import { SbertError } from "../errors.js";
import { DenseMatrix } from "../tensor/dense.js";
import { requireSameDims, toMatrix, type EmbeddingsInput } from "./embeddings-input.js";
import { matmulTransposedF32, normalizeRowsF32 } from "./torch-f32.js";

const fround = Math.fround;

/** (a, b) → (n × m) scores, like Python's `cos_sim`, `dot_score`, ... */
export type SimilarityFn = (a: EmbeddingsInput, b: EmbeddingsInput) => DenseMatrix<Float32Array>;
/** (a, b) → n scores, score i comparing a[i] with b[i]. */
export type PairwiseSimilarityFn = (a: EmbeddingsInput, b: EmbeddingsInput) => Float32Array;

/**
 * Rows scaled to unit L2 length: `torch.nn.functional.normalize(x, p=2, dim=-1)`, i.e.
 * x / max(‖x‖₂, 1e-12), so zero rows stay zero. A vector comes back as a 1 × d matrix.
 */
export function normalizeEmbeddings(embeddings: EmbeddingsInput): DenseMatrix<Float32Array> {
  return normalizeRowsF32(toMatrix(embeddings, "embeddings"));
}

/** Cosine similarity, res[i][j] = cos(a[i], b[j]); rows normalized first (zero rows give 0). */
export function cosSim(a: EmbeddingsInput, b: EmbeddingsInput): DenseMatrix<Float32Array> {
  const [ma, mb] = matrices(a, b, "cosSim");
  return matmulTransposedF32(normalizeRowsF32(ma), normalizeRowsF32(mb));
}

/** Dot product, res[i][j] = a[i] · b[j]. */
export function dotScore(a: EmbeddingsInput, b: EmbeddingsInput): DenseMatrix<Float32Array> {
  const [ma, mb] = matrices(a, b, "dotScore");
  return matmulTransposedF32(ma, mb);
}

/** Negative Euclidean distance, res[i][j] = -‖a[i] - b[j]‖₂ (`-torch.cdist(a, b, p=2)`). */
export function euclideanSim(a: EmbeddingsInput, b: EmbeddingsInput): DenseMatrix<Float32Array> {
  const [ma, mb] = matrices(a, b, "euclideanSim");
  return allPairs(ma, mb, (x, xo, y, yo, d) => -Math.sqrt(squaredDistance(x, xo, y, yo, d)));
}

/** Negative Manhattan distance, res[i][j] = -‖a[i] - b[j]‖₁ (`-torch.cdist(a, b, p=1)`). */
export function manhattanSim(a: EmbeddingsInput, b: EmbeddingsInput): DenseMatrix<Float32Array> {
  const [ma, mb] = matrices(a, b, "manhattanSim");
  return allPairs(ma, mb, (x, xo, y, yo, d) => -absDistance(x, xo, y, yo, d));
}

/** res[i] = cos(a[i], b[i]). */
export function pairwiseCosSim(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array {
  const [ma, mb] = pairedMatrices(a, b, "pairwiseCosSim");
  return rowPairs(normalizeRowsF32(ma), normalizeRowsF32(mb), dot);
}

/** res[i] = a[i] · b[i]. */
export function pairwiseDotScore(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array {
  const [ma, mb] = pairedMatrices(a, b, "pairwiseDotScore");
  return rowPairs(ma, mb, dot);
}

/** res[i] = -‖a[i] - b[i]‖₂. */
export function pairwiseEuclideanSim(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array {
  const [ma, mb] = pairedMatrices(a, b, "pairwiseEuclideanSim");
  return rowPairs(ma, mb, (x, xo, y, yo, d) => -Math.sqrt(squaredDistance(x, xo, y, yo, d)));
}

/** res[i] = -‖a[i] - b[i]‖₁. */
export function pairwiseManhattanSim(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array {
  const [ma, mb] = pairedMatrices(a, b, "pairwiseManhattanSim");
  return rowPairs(ma, mb, (x, xo, y, yo, d) => -absDistance(x, xo, y, yo, d));
}

/**
 * The values of Python's `SimilarityFunction` enum, as stored in `similarity_fn_name` of
 * `config_sentence_transformers.json` (`DOT_PRODUCT` is an alias whose value is "dot").
 */
export const SIMILARITY_FUNCTION_NAMES = ["cosine", "dot", "euclidean", "manhattan"] as const;
export type SimilarityFunctionName = (typeof SIMILARITY_FUNCTION_NAMES)[number];

/** True for the names `similarityFunction` accepts. */
export function isSimilarityFunctionName(name: unknown): name is SimilarityFunctionName {
  return typeof name === "string" && (SIMILARITY_FUNCTION_NAMES as readonly string[]).includes(name);
}

/**
 * `SimilarityFunction.to_similarity_fn(name)`: "cosine" → cosSim, "dot" → dotScore,
 * "euclidean" → euclideanSim, "manhattan" → manhattanSim. Anything else (including "cos_sim",
 * "dot_product" and the multi-vector "MaxSim") throws INVALID_INPUT.
 */
export function similarityFunction(name: SimilarityFunctionName | (string & {})): SimilarityFn {
  switch (checkedName(name)) {
    case "cosine":
      return cosSim;
    case "dot":
      return dotScore;
    case "euclidean":
      return euclideanSim;
    case "manhattan":
      return manhattanSim;
  }
}

/** `SimilarityFunction.to_similarity_pairwise_fn(name)`: the pairwise form for the same names. */
export function pairwiseSimilarityFunction(name: SimilarityFunctionName | (string & {})): PairwiseSimilarityFn {
  switch (checkedName(name)) {
    case "cosine":
      return pairwiseCosSim;
    case "dot":
      return pairwiseDotScore;
    case "euclidean":
      return pairwiseEuclideanSim;
    case "manhattan":
      return pairwiseManhattanSim;
  }
}

function checkedName(name: string): SimilarityFunctionName {
  if (isSimilarityFunctionName(name)) return name;
  throw new SbertError(
    "INVALID_INPUT",
    `unknown similarity function ${JSON.stringify(name)}; use one of ${SIMILARITY_FUNCTION_NAMES.join(", ")}`,
  );
}

// ---- helpers ----

type RowScore = (x: Float32Array, xo: number, y: Float32Array, yo: number, d: number) => number;

function matrices(a: EmbeddingsInput, b: EmbeddingsInput, what: string): [DenseMatrix<Float32Array>, DenseMatrix<Float32Array>] {
  const ma = toMatrix(a, "a");
  const mb = toMatrix(b, "b");
  requireSameDims(ma, mb, what);
  return [ma, mb];
}

function pairedMatrices(a: EmbeddingsInput, b: EmbeddingsInput, what: string): [DenseMatrix<Float32Array>, DenseMatrix<Float32Array>] {
  const [ma, mb] = matrices(a, b, what);
  if (ma.rows !== mb.rows) {
    throw new SbertError("INVALID_INPUT", `${what}: a has ${ma.rows} rows but b has ${mb.rows}; pass equally many rows`);
  }
  return [ma, mb];
}

function allPairs(a: DenseMatrix<Float32Array>, b: DenseMatrix<Float32Array>, score: RowScore): DenseMatrix<Float32Array> {
  const out = new Float32Array(a.rows * b.rows);
  const d = a.cols;
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) out[i * b.rows + j] = score(a.data, i * d, b.data, j * d, d);
  }
  return new DenseMatrix(out, a.rows, b.rows);
}

function rowPairs(a: DenseMatrix<Float32Array>, b: DenseMatrix<Float32Array>, score: RowScore): Float32Array {
  const out = new Float32Array(a.rows);
  for (let i = 0; i < a.rows; i++) out[i] = score(a.data, i * a.cols, b.data, i * a.cols, a.cols);
  return out;
}

/** Float32 products, float64 sum. */
function dot(x: Float32Array, xo: number, y: Float32Array, yo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += fround(x[xo + k]! * y[yo + k]!);
  return s;
}

/** Float32 differences, float64 sum of squares. */
function squaredDistance(x: Float32Array, xo: number, y: Float32Array, yo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const diff = fround(x[xo + k]! - y[yo + k]!);
    s += diff * diff;
  }
  return s;
}

/** Float32 differences, float64 sum of magnitudes. */
function absDistance(x: Float32Array, xo: number, y: Float32Array, yo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += Math.abs(fround(x[xo + k]! - y[yo + k]!));
  return s;
}
