/**
 * `sentence_transformers.util.community_detection` (its CPU code path) over float32 embeddings.
 */
import { SbertError } from "../errors.js";
import type { DenseMatrix } from "../tensor/dense.js";
import { type ShowProgressBar, startProgress } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { requireInt, sliceRows, toMatrix } from "./embeddings-input.js";
import { matmulTransposedF32, normalizeRowsF32 } from "./torch-f32.js";
import { torchTopk } from "./topk.js";

export interface CommunityDetectionOptions {
  /** Cosine similarity at or above which two rows are close (default 0.75; compared as float32). */
  threshold?: number;
  /** Smallest community returned (default 10). Integer ≥ 1. */
  minCommunitySize?: number;
  /** Rows whose similarities are computed at once (default 1024). */
  batchSize?: number;
  /** Draw a bar over the rows scored (rows, rows/s, ETA) on stderr (`true`) or on a given stream. */
  showProgressBar?: ShowProgressBar;
}

const KEYS = optionKeys<CommunityDetectionOptions>({ threshold: true, minCommunitySize: true, batchSize: true, showProgressBar: true });

/**
 * Groups of rows of `embeddings` (n × d) that are close by cosine similarity: lists of row ids,
 * largest first, each starting with its centre.
 *
 * Python's algorithm: rows are normalized; for each row whose `minCommunitySize`-th best similarity
 * (itself included) is ≥ threshold, the candidate community is torch CPU `topk(sortMaxSize)` of its
 * similarity row (sorted, so the centre comes first), doubling `sortMaxSize` (which starts at
 * min(max(2·minCommunitySize, 50), n) and never shrinks) while its last value is still ≥ threshold,
 * then keeping the entries ≥ threshold in topk order. Candidates are sorted by size (descending,
 * stable); each then drops the rows an earlier accepted community already holds and is accepted if
 * it still has ≥ minCommunitySize rows; the accepted ones are sorted by size again (stable).
 *
 * The threshold is rounded to float32 first (`torch.tensor(threshold)`), and similarities are
 * bit-identical to torch's, so rows exactly at the threshold decide as in Python. Ties between equal
 * similarities keep torch's topk order. `minCommunitySize` larger than n is clamped to n, as in
 * Python; an empty input gives [].
 *
 * @example
 * communityDetection(embeddings, { threshold: 0.9, minCommunitySize: 3 }); // [[0, 3, 5], [6, 9, 10]]
 */
export function communityDetection(embeddings: DenseMatrix<Float32Array>, options: CommunityDetectionOptions = {}): number[][] {
  checkOptions(options, KEYS, "communityDetection");
  const { threshold = 0.75, minCommunitySize = 10, batchSize = 1024 } = options;
  if (typeof threshold !== "number" || Number.isNaN(threshold)) {
    throw new SbertError("INVALID_INPUT", `threshold must be a number, got ${String(threshold)}`);
  }
  requireInt(minCommunitySize, 1, "minCommunitySize");
  requireInt(batchSize, 1, "batchSize");
  const normalized = normalizeRowsF32(toMatrix(embeddings, "embeddings"));
  const n = normalized.rows;
  const thr = Math.fround(threshold);
  const minSize = Math.min(minCommunitySize, n);
  let sortMaxSize = Math.min(Math.max(2 * minSize, 50), n);

  const extracted: number[][] = [];
  const progress = startProgress(options.showProgressBar, "community detection", n, "rows");
  for (let start = 0; start < n; start += batchSize) {
    const scores = matmulTransposedF32(sliceRows(normalized, start, Math.min(start + batchSize, n)), normalized);
    for (let r = 0; r < scores.rows; r++) {
      const offset = r * n;
      const smallest = torchTopk(scores.data, offset, n, minSize, true).values;
      if (!(smallest[minSize - 1]! >= thr)) continue;
      let top = torchTopk(scores.data, offset, n, sortMaxSize, true);
      while (top.values[sortMaxSize - 1]! >= thr && sortMaxSize < n) {
        sortMaxSize = Math.min(2 * sortMaxSize, n);
        top = torchTopk(scores.data, offset, n, sortMaxSize, true);
      }
      const community: number[] = [];
      for (let t = 0; t < top.values.length; t++) {
        if (top.values[t]! >= thr) community.push(top.indices[t]!);
      }
      extracted.push(community);
    }
    progress?.tick(scores.rows);
  }
  progress?.finish();

  extracted.sort((a, b) => b.length - a.length);
  const used = new Uint8Array(n);
  const unique: number[][] = [];
  for (const community of extracted) {
    const rest = community.filter((id) => used[id] === 0);
    if (rest.length >= minSize) {
      unique.push(rest);
      for (const id of rest) used[id] = 1;
    }
  }
  return unique.sort((a, b) => b.length - a.length);
}
