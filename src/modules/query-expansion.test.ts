import { describe, expect, it } from "vitest";
import type { TokenBatch } from "../tokenizers/text-tokenizer.js";
import { type QueryExpansion, expandQueryBatch, expansionMaxLength, parseTaskLengths, taskLengthsConfig } from "./query-expansion.js";

/** A right-padded batch of rows (pad id 0). */
function batch(rows: number[][], width = Math.max(...rows.map((r) => r.length))): TokenBatch {
  const n = rows.length;
  const inputIds = new Int32Array(n * width);
  const attentionMask = new Int32Array(n * width);
  rows.forEach((r, i) => {
    inputIds.set(r, i * width);
    attentionMask.fill(1, i * width, i * width + r.length);
  });
  return { batchSize: n, seqLen: width, inputIds, attentionMask, tokenTypeIds: new Int32Array(n * width), lengths: Int32Array.from(rows, (r) => r.length) };
}
const PAD = { id: 0, typeId: 0, side: "right" as const };
const fixed: QueryExpansion = { strategy: "fixed", attend: false, token: undefined, length: 5 };

describe("query expansion (sentence-transformers 6.0 Transformer.preprocess)", () => {
  it("fixed: pads to the length with the expansion id, attention 0, positions flagged; attend: attention 1", () => {
    const out = expandQueryBatch(batch([[2, 7, 3], [2, 3]]), fixed, 4, PAD);
    expect(out.batch.seqLen).toBe(5);
    expect(Array.from(out.batch.inputIds)).toEqual([2, 7, 3, 4, 4, 2, 3, 4, 4, 4]);
    expect(Array.from(out.batch.attentionMask)).toEqual([1, 1, 1, 0, 0, 1, 1, 0, 0, 0]);
    expect(Array.from(out.positions)).toEqual([0, 0, 0, 1, 1, 0, 0, 1, 1, 1]);
    expect(Array.from(expandQueryBatch(batch([[2, 3]]), { ...fixed, attend: true }, 4, PAD).batch.attentionMask)).toEqual([1, 1, 1, 1, 1]);
  });

  it("fixed with left padding widens on the left; min widens on the right and keeps real pads past the floor unflagged", () => {
    const left = batch([[2, 3]]);
    expect(Array.from(expandQueryBatch(left, { ...fixed, length: 4 }, 4, { ...PAD, side: "left" }).batch.inputIds)).toEqual([4, 4, 2, 3]);
    const min: QueryExpansion = { ...fixed, strategy: "min", length: 3 };
    const out = expandQueryBatch(batch([[2, 5, 6, 7, 3], [2, 3]]), min, 4, PAD);
    expect(Array.from(out.batch.inputIds)).toEqual([2, 5, 6, 7, 3, 2, 3, 4, 0, 0]);
    expect(Array.from(out.positions)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(expansionMaxLength(min, 8, 32)).toBe(8);
    expect(expansionMaxLength(min, undefined, 32)).toBe(32);
    expect(expansionMaxLength(fixed, 8, 32)).toBe(5);
  });

  it("parses and saves the config keys, refusing what Python refuses", () => {
    const cfg = { query_length: 12, document_length: 32, query_expansion: { strategy: "fixed", attend: false, token: null, length: 12 } };
    const t = parseTaskLengths(cfg, "x");
    expect(t).toEqual({ queryLength: 12, documentLength: 32, queryExpansion: { strategy: "fixed", attend: false, token: undefined, length: 12 } });
    expect(taskLengthsConfig(t)).toEqual(cfg);
    expect(parseTaskLengths({ query_expansion: { strategy: "min", length: 4 } }, "x").queryExpansion).toEqual({ strategy: "min", attend: false, token: undefined, length: 4 });
    expect(parseTaskLengths({}, "x")).toEqual({});
    expect(() => parseTaskLengths({ query_expansion: { strategy: "fixed" } }, "x")).toThrow(/length/);
    expect(() => parseTaskLengths({ query_expansion: { strategy: "pad", length: 4 } }, "x")).toThrow(/strategy/);
    expect(() => parseTaskLengths({ query_expansion: { strategy: "fixed", length: 4, size: 1 } }, "x")).toThrow(/unknown keys size/);
    expect(() => parseTaskLengths({ query_length: 8, query_expansion: { strategy: "fixed", length: 12 } }, "x")).toThrow(expect.objectContaining({ code: "CONFIG_MISMATCH" }));
    expect(() => parseTaskLengths({ document_length: 0 }, "x")).toThrow(expect.objectContaining({ code: "INVALID_MODEL_FILE" }));
  });
});
