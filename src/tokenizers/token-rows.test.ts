import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { packRows, prepareInputs, unpackRows } from "./token-rows.js";

describe("packRows / unpackRows", () => {
  it("round-trips rows of different lengths, including empty ones", () => {
    const rows = [
      { ids: [101, 7, 8, 102], typeIds: [0, 0, 0, 0] },
      { ids: [], typeIds: [] },
      { ids: [101, 5, 102, 6, 102], typeIds: [0, 0, 0, 1, 1] },
    ];
    const packed = packRows(rows);
    expect([...packed.ends]).toEqual([4, 4, 9]);
    expect(unpackRows(packed)).toEqual(rows);
    expect(unpackRows(packRows([]))).toEqual([]);
  });
});

describe("prepareInputs", () => {
  it("lower-cases texts and both sides of pairs only when asked", () => {
    expect(prepareInputs(["AbC", ["X Y", "Ünï"]], true)).toEqual(["abc", ["x y", "ünï"]]);
    expect(prepareInputs(["AbC", ["X Y", "Z"]], false)).toEqual(["AbC", ["X Y", "Z"]]);
  });

  it("refuses a non-string with a typed error", () => {
    expect(() => prepareInputs([null as unknown as string], false)).toThrow(SbertError);
    expect(() => prepareInputs([["a", 3 as unknown as string]], true)).toThrow(/expected a string, got number/);
  });
});
