import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DenseMatrix } from "../tensor/dense.js";
import { communityDetection } from "./community-detection.js";
import { expectInvalidInput } from "../../test/helpers/errors.js";

interface PyCommunities {
  threshold: number;
  min_community_size: number;
  communities: number[][];
}
const util = JSON.parse(readFileSync("test/fixtures/util_goldens.json", "utf8")) as {
  corpus_embeddings: number[][];
  community_detection: PyCommunities;
  community_detection_min_size_2: PyCommunities;
  community_detection_count_transitions: [number, number][];
};
const corpus = DenseMatrix.fromRows(util.corpus_embeddings);

interface TieCase {
  threshold: number;
  min_community_size: number;
  batch_size: number;
  communities: number[][];
}
const ties = JSON.parse(readFileSync(new URL("./testdata/retrieval-ties-oracle.json", import.meta.url), "utf8")) as {
  community_rows: number[][];
  community_detection: TieCase[];
};

const sortedSets = (cs: number[][]) => cs.map((c) => [...c].sort((a, b) => a - b)).sort((a, b) => a[0]! - b[0]!);

describe("communityDetection goldens (util_goldens.json, exact)", () => {
  for (const golden of [util.community_detection, util.community_detection_min_size_2]) {
    it(`threshold=${golden.threshold} min_community_size=${golden.min_community_size}`, () => {
      const got = communityDetection(corpus, { threshold: golden.threshold, minCommunitySize: golden.min_community_size });
      expect(got).toEqual(golden.communities);
    });
  }

  it("the number of communities (min size 3) changes at the same thresholds as in Python", () => {
    for (const [threshold, count] of util.community_detection_count_transitions) {
      expect(communityDetection(corpus, { threshold, minCommunitySize: 3 }).length, `threshold ${threshold}`).toBe(count);
    }
  });

  it("batching does not change the result", () => {
    const golden = util.community_detection;
    for (const batchSize of [1, 3, 7]) {
      expect(communityDetection(corpus, { threshold: golden.threshold, minCommunitySize: 3, batchSize })).toEqual(golden.communities);
    }
  });
});

describe("communityDetection tie order (Python algorithm on torch CPU, exact)", () => {
  const rows = DenseMatrix.fromRows(ties.community_rows);
  for (const c of ties.community_detection) {
    it(`threshold=${c.threshold} min_community_size=${c.min_community_size} batch_size=${c.batch_size}`, () => {
      const got = communityDetection(rows, {
        threshold: c.threshold,
        minCommunitySize: c.min_community_size,
        batchSize: c.batch_size,
      });
      expect(got).toEqual(c.communities);
    });
  }
});

describe("communityDetection thresholds and edge cases", () => {
  for (const minCommunitySize of [5, 10, 30]) {
    it(`similarities exactly at the threshold count as close and grow the window (200 equal rows, threshold 1, min ${minCommunitySize})`, () => {
      const rows = new DenseMatrix(new Float32Array(200 * 16).fill(1), 200, 16);
      const got = communityDetection(rows, { threshold: 1.0, minCommunitySize });
      expect(got.length).toBe(1);
      expect(got[0]!.length).toBe(200);
    });
  }

  it("the threshold is compared as float32: just above 1 in float64 still rounds to 1", () => {
    const rows = new DenseMatrix(new Float32Array(3 * 4).fill(1), 3, 4);
    expect(communityDetection(rows, { threshold: 1 + 1e-12, minCommunitySize: 2 })).toEqual([[0, 1, 2]]);
    expect(communityDetection(rows, { threshold: 1.0000002, minCommunitySize: 2 })).toEqual([]);
  });

  const points = DenseMatrix.fromRows([
    [1.0, 0.0, 0.0],
    [0.9, 0.1, 0.0],
    [0.8, 0.2, 0.0],
    [0.7, 0.3, 0.0],
    [0.1, 0.9, 0.0],
    [0.0, 1.0, 0.0],
  ]);

  it("overlapping candidates are resolved largest first (Python's own test case)", () => {
    expect(sortedSets(communityDetection(points, { threshold: 0.8, minCommunitySize: 2 }))).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
  });

  it("keeps topk order (centre first) and, among equal sizes, the earliest row's candidate (Python: [[0, 1, 2, 3]])", () => {
    expect(communityDetection(points, { threshold: 0.8, minCommunitySize: 4 })).toEqual([[0, 1, 2, 3]]);
    expect(communityDetection(points, { threshold: 0.8, minCommunitySize: 2 })).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
  });

  it("no pair above the threshold gives []", () => {
    const axes = DenseMatrix.fromRows([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(communityDetection(axes, { threshold: 0.99, minCommunitySize: 2 })).toEqual([]);
  });

  it("minCommunitySize larger than the input is clamped to its size, as in Python", () => {
    const ones = new DenseMatrix(new Float32Array(12).fill(1), 3, 4);
    expect(communityDetection(ones, { threshold: 0.8, minCommunitySize: 4 })).toEqual([[0, 1, 2]]);
  });

  it("empty input gives []", () => {
    expect(communityDetection(new DenseMatrix(new Float32Array(0), 0, 4))).toEqual([]);
  });

  it("zero rows have similarity 0 (no NaN)", () => {
    const rows = DenseMatrix.fromRows([[0, 0], [0, 0], [1, 0]]);
    expect(communityDetection(rows, { threshold: 0, minCommunitySize: 3 })).toEqual([[0, 1, 2]]);
  });

  it("rejects minCommunitySize < 1, batchSize < 1 and a NaN threshold with INVALID_INPUT", () => {
    expectInvalidInput(() => communityDetection(points, { minCommunitySize: 0 }));
    expectInvalidInput(() => communityDetection(points, { batchSize: 0 }));
    expectInvalidInput(() => communityDetection(points, { threshold: NaN }));
  });
});
