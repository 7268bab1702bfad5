/**
 * `sentence_transformers.util.paraphrase_mining_embeddings` over float32 embeddings.
 */
import { SbertError } from "../errors.js";
import { requireInt, sliceRows, toMatrix, type EmbeddingsInput, type ScoreFunction } from "./embeddings-input.js";
import { heappop, heappush, type Less } from "./py-heapq.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { cosSim } from "./similarity.js";
import { torchTopk } from "./topk.js";

/** [score, i, j] with i < j. */
export type ParaphrasePair = [score: number, i: number, j: number];

export interface ParaphraseMiningOptions {
  /** Rows scored at once as queries (default 5000). */
  queryChunkSize?: number;
  /** Rows scored at once as corpus (default 100000). */
  corpusChunkSize?: number;
  /** Capacity of the candidate queue (default 500000); see `paraphraseMiningEmbeddings`. Integer ≥ 0. */
  maxPairs?: number;
  /** Other rows each row offers as candidates (default 100). Integer ≥ 1. */
  topK?: number;
  /** (n × d, m × d) → n × m scores, higher is more similar (default `cosSim`). */
  scoreFunction?: ScoreFunction;
}

const KEYS = optionKeys<ParaphraseMiningOptions>({ queryChunkSize: true, corpusChunkSize: true, maxPairs: true, topK: true, scoreFunction: true });

/** Python's queue tuple `(score, i, j)`. */
type Candidate = readonly [score: number, i: number, j: number];

const candidateLess: Less<Candidate> = (a, b) =>
  a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];

/**
 * The most similar pairs of rows of `embeddings` (n × d), as [score, i, j] with i < j, highest
 * score first.
 *
 * Python's algorithm, step for step: for every (corpus chunk, query chunk) the `topK + 1` best
 * scores per row (torch CPU `topk`, unsorted; +1 because a row usually finds itself first) become
 * directed candidates (score, i, j) for i ≠ j whose score beats `minScore` (initially -1, so scores
 * ≤ -1 are never candidates). Each goes into a min-priority queue; whenever the running count of
 * added candidates reaches `maxPairs`, the lowest queued candidate is dropped and its score becomes
 * `minScore` — so at most `maxPairs - 1` directed candidates survive. The queue is then emptied
 * lowest first and (i, j) / (j, i) duplicates are merged, keeping the first seen, i.e. the lower
 * score (the two differ at most by rounding). The result is sorted by score, descending and stable,
 * so equal scores stay in ascending (score, i, j) order of their directed candidates.
 *
 * @example
 * paraphraseMiningEmbeddings(embeddings, { topK: 2 })[0]; // [0.989, 6, 9]
 */
export function paraphraseMiningEmbeddings(
  embeddings: EmbeddingsInput,
  options: ParaphraseMiningOptions = {},
): ParaphrasePair[] {
  checkOptions(options, KEYS, "paraphraseMiningEmbeddings");
  const { queryChunkSize = 5000, corpusChunkSize = 100000, maxPairs = 500000, topK = 100, scoreFunction = cosSim } = options;
  requireInt(queryChunkSize, 1, "queryChunkSize");
  requireInt(corpusChunkSize, 1, "corpusChunkSize");
  requireInt(maxPairs, 0, "maxPairs");
  requireInt(topK, 1, "topK");
  const m = toMatrix(embeddings, "embeddings");
  const n = m.rows;
  const kPlusSelf = topK + 1;

  const queue: Candidate[] = [];
  let minScore = -1;
  let added = 0;
  for (let cStart = 0; cStart < n; cStart += corpusChunkSize) {
    const corpus = sliceRows(m, cStart, Math.min(cStart + corpusChunkSize, n));
    for (let qStart = 0; qStart < n; qStart += queryChunkSize) {
      const queries = sliceRows(m, qStart, Math.min(qStart + queryChunkSize, n));
      const scores = scoreFunction(queries, corpus);
      if (scores.rows !== queries.rows || scores.cols !== corpus.rows) {
        throw new SbertError(
          "INVALID_INPUT",
          `scoreFunction returned ${scores.rows} × ${scores.cols} scores for ${queries.rows} × ${corpus.rows} rows`,
        );
      }
      const k = Math.min(kPlusSelf, scores.cols);
      for (let q = 0; q < scores.rows; q++) {
        const top = torchTopk(scores.data, q * scores.cols, scores.cols, k, false);
        const i = qStart + q;
        for (let t = 0; t < k; t++) {
          const j = cStart + top.indices[t]!;
          const score = top.values[t]!;
          if (i !== j && score > minScore) {
            heappush(queue, [score, i, j], candidateLess);
            added++;
            if (added >= maxPairs) minScore = heappop(queue, candidateLess)![0];
          }
        }
      }
    }
  }

  const seen = new Set<number>();
  const pairs: ParaphrasePair[] = [];
  for (let c = heappop(queue, candidateLess); c !== undefined; c = heappop(queue, candidateLess)) {
    const [score, a, b] = c;
    const lo = Math.min(a, b), hi = Math.max(a, b);
    const key = lo * n + hi;
    if (lo !== hi && !seen.has(key)) {
      seen.add(key);
      pairs.push([score, lo, hi]);
    }
  }
  return pairs.sort((x, y) => (y[0] > x[0] ? 1 : y[0] < x[0] ? -1 : 0));
}
