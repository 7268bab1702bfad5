import { describe, expect, it } from "vitest";
import { TextTokenizer } from "../tokenizers/text-tokenizer.js";
import type { Features } from "./module.js";
import { MultiVectorMask } from "./multi-vector-mask.js";
import { resolveModuleType } from "./registry.js";

const tokenizer = TextTokenizer.fromJson({
  model: { type: "WordLevel", vocab: { "[PAD]": 0, "[UNK]": 1, a: 2, ".": 3, b: 4 }, unk_token: "[UNK]" },
  pre_tokenizer: { type: "Whitespace" },
});

/** One row `ids` with attention `mask` and expansion `expansion`, for `task`. */
function features(ids: number[], mask: number[], task?: "query" | "document", expansion?: number[]): Features {
  const n = ids.length;
  return {
    batch: { batchSize: 1, seqLen: n, inputIds: Int32Array.from(ids), attentionMask: Int32Array.from(mask), tokenTypeIds: new Int32Array(n), lengths: Int32Array.of(n) },
    ...(task ? { task } : {}),
    ...(expansion ? { queryExpansionPositions: Uint8Array.from(expansion) } : {}),
  };
}

describe("MultiVectorMask (sentence-transformers 6.0 multi_vector_mask.py)", () => {
  it("drops skiplist tokens from documents (and from inputs without a task), scores query expansion positions, keeps only allowed ids", () => {
    const mask = new MultiVectorMask({ skiplistWords: [".", "not-a-token"] });
    mask.onModelReady({ tokenizer });
    expect(mask.skiplistTokenIds()).toEqual([3]);
    const run = (f: Features): number[] => Array.from(mask.forward(f).scoringMask ?? []);
    expect(run(features([2, 3, 4, 0], [1, 1, 1, 0], "document"))).toEqual([1, 0, 1, 0]);
    expect(run(features([2, 3, 4, 0], [1, 1, 1, 0]))).toEqual([1, 0, 1, 0]);
    expect(run(features([2, 3, 4, 4], [1, 1, 0, 0], "query", [0, 0, 1, 1]))).toEqual([1, 1, 1, 1]);
    // expansion positions count for queries only
    expect(run(features([2, 3, 4, 4], [1, 1, 0, 0], "document", [0, 0, 1, 1]))).toEqual([1, 0, 0, 0]);
    const both = new MultiVectorMask({ skiplistWords: ["."], skiplistTasks: ["query", "document"], keepOnlyTokenIds: [2] });
    both.onModelReady({ tokenizer });
    expect(Array.from(both.forward(features([2, 3, 4], [1, 1, 1], "query")).scoringMask ?? [])).toEqual([1, 0, 1]);
    expect(Array.from(both.forward(features([2, 3, 4], [1, 1, 1], "document")).scoringMask ?? [])).toEqual([1, 0, 0]);
    expect(both.getConfigDict()).toEqual({ skiplist_words: ["."], skiplist_tasks: ["query", "document"], keep_only_token_ids: [2] });
  });

  it("is registered under the v6 type names", () => {
    expect(resolveModuleType("sentence_transformers.multi_vector_encoder.modules.multi_vector_mask.MultiVectorMask")).toBe("MultiVectorMask");
    expect(resolveModuleType("sentence_transformers.multi_vector_encoder.modules.MultiVectorMask")).toBe("MultiVectorMask");
    expect(() => resolveModuleType("sentence_transformers.models.MultiVectorMask")).toThrow(expect.objectContaining({ code: "UNKNOWN_MODULE" }));
  });
});
