import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { torchTopk } from "./topk.js";

interface OracleCase {
  row: (number | null)[];
  k: number;
  sorted: boolean;
  indices: number[];
}
const oracle = JSON.parse(readFileSync(new URL("./testdata/torch-topk-oracle.json", import.meta.url), "utf8")) as {
  cases: OracleCase[];
};

describe("torchTopk", () => {
  it("reproduces torch CPU topk index order exactly, ties and NaN included (exact)", () => {
    expect(oracle.cases.length).toBeGreaterThan(100);
    for (const c of oracle.cases) {
      const row = Float32Array.from(c.row, (x) => (x === null ? NaN : x));
      const top = torchTopk(row, 0, row.length, c.k, c.sorted);
      expect(Array.from(top.indices), JSON.stringify({ n: row.length, k: c.k, sorted: c.sorted })).toEqual(c.indices);
      expect(Array.from(top.values)).toEqual(c.indices.map((i) => row[i]));
    }
  });

  it("reads a row at an offset and returns indices relative to it (exact)", () => {
    const data = Float32Array.of(9, 9, 1, 3, 2);
    const top = torchTopk(data, 2, 3, 2, true);
    expect(Array.from(top.values)).toEqual([3, 2]);
    expect(Array.from(top.indices)).toEqual([1, 2]);
  });

  it("k = 0 gives nothing", () => {
    expect(torchTopk(Float32Array.of(1, 2), 0, 2, 0, true).indices.length).toBe(0);
  });
});
