/**
 * `sentence_transformers.util.semantic_search` over float32 embeddings.
 */
import { DenseMatrix } from "../tensor/dense.js";
import { SbertError } from "../errors.js";
import { requireInt, requireSameDims, sliceRows, toMatrix, type EmbeddingsInput, type ScoreFunction } from "./embeddings-input.js";
import { heappush, heappushpop, type Less } from "./py-heapq.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { cosSim } from "./similarity.js";
import { torchTopk } from "./topk.js";

/** One search result: the corpus row and its score. */
export interface SemanticSearchHit {
  corpusId: number;
  score: number;
}

export interface SemanticSearchOptions {
  /** Hits per query (default 10); more than the corpus holds is fine. Integer ≥ 1. */
  topK?: number;
  /** Queries scored at once (default 100). */
  queryChunkSize?: number;
  /** Corpus rows scored at once (default 500000). */
  corpusChunkSize?: number;
  /** (queries n × d, corpus m × d) → n × m scores, higher is better (default `cosSim`). */
  scoreFunction?: ScoreFunction;
}

const KEYS = optionKeys<SemanticSearchOptions>({ topK: true, queryChunkSize: true, corpusChunkSize: true, scoreFunction: true });

/** Python's heap tuple `(score, corpus_id)`. */
interface Entry {
  readonly score: number;
  readonly corpusId: number;
}

/** Python's tuple `<` on (score, corpus_id): a NaN score compares false, like Python floats. */
const entryLess: Less<Entry> = (a, b) => (a.score !== b.score ? a.score < b.score : a.corpusId < b.corpusId);

/**
 * For every query, the `topK` corpus rows with the highest scores, best first.
 *
 * The algorithm (and so the order of exact ties) is Python's: per (query chunk, corpus chunk), torch's
 * CPU `topk(min(topK, chunk), sorted=False)`, whose output order for equal scores comes from
 * libstdc++'s nth_element / partial_sort; each hit goes into a per-query `heapq` of
 * (score, corpus_id) tuples (`heappush` until it holds `topK`, then `heappushpop`, so among equal
 * scores at the cut the larger corpus id survives); finally the heap list is sorted by score,
 * descending and stable. Equal scores therefore come out in Python's order, which is not simply
 * by corpus id. Scores are float32 values (as numbers).
 *
 * Empty queries give `[]`; an empty corpus (0 rows, or an empty vector) gives one empty list per
 * query. A vector counts as one row.
 *
 * @example
 * const hits = semanticSearch(queryEmbeddings, corpusEmbeddings, { topK: 3 });
 * hits[0]; // [{ corpusId: 1, score: 0.98 }, ...] for query 0
 */
export function semanticSearch(
  queryEmbeddings: EmbeddingsInput,
  corpusEmbeddings: EmbeddingsInput,
  options: SemanticSearchOptions = {},
): SemanticSearchHit[][] {
  checkOptions(options, KEYS, "semanticSearch");
  const { topK = 10, queryChunkSize = 100, corpusChunkSize = 500000, scoreFunction = cosSim } = options;
  requireInt(topK, 1, "topK");
  requireInt(queryChunkSize, 1, "queryChunkSize");
  requireInt(corpusChunkSize, 1, "corpusChunkSize");
  const queries = toMatrix(queryEmbeddings, "queryEmbeddings");
  const corpus = isEmptyVector(corpusEmbeddings)
    ? new DenseMatrix(new Float32Array(0), 0, 0)
    : toMatrix(corpusEmbeddings, "corpusEmbeddings");
  if (queries.rows > 0 && corpus.rows > 0) requireSameDims(queries, corpus, "semanticSearch");

  const heaps: Entry[][] = Array.from({ length: queries.rows }, () => []);
  for (let qStart = 0; qStart < queries.rows; qStart += queryChunkSize) {
    const qEnd = Math.min(qStart + queryChunkSize, queries.rows);
    const queryChunk = sliceRows(queries, qStart, qEnd);
    for (let cStart = 0; cStart < corpus.rows; cStart += corpusChunkSize) {
      const cEnd = Math.min(cStart + corpusChunkSize, corpus.rows);
      const scores = scoreFunction(queryChunk, sliceRows(corpus, cStart, cEnd));
      if (scores.rows !== qEnd - qStart || scores.cols !== cEnd - cStart) {
        throw new SbertError(
          "INVALID_INPUT",
          `scoreFunction returned ${scores.rows} × ${scores.cols} scores for ${qEnd - qStart} queries × ${cEnd - cStart} corpus rows`,
        );
      }
      const k = Math.min(topK, scores.cols);
      for (let q = 0; q < scores.rows; q++) {
        const top = torchTopk(scores.data, q * scores.cols, scores.cols, k, false);
        const heap = heaps[qStart + q]!;
        for (let t = 0; t < k; t++) {
          const entry: Entry = { score: top.values[t]!, corpusId: cStart + top.indices[t]! };
          if (heap.length < topK) heappush(heap, entry, entryLess);
          else heappushpop(heap, entry, entryLess);
        }
      }
    }
  }
  return heaps.map((heap) =>
    heap
      .map(({ corpusId, score }) => ({ corpusId, score }))
      .sort((x, y) => (y.score > x.score ? 1 : y.score < x.score ? -1 : 0)),
  );
}

/** `len(torch.empty(0)) == 0`: Python treats an empty 1-D corpus as having no rows. */
function isEmptyVector(input: EmbeddingsInput): boolean {
  return !(input instanceof DenseMatrix) && input.length === 0;
}
