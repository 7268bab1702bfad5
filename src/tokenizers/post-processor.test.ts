import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { parsePostProcessor } from "./post-processor.js";

const noLookup = (): undefined => undefined;

const bertTemplate = {
  type: "TemplateProcessing",
  single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
  pair: [
    { SpecialToken: { id: "[CLS]", type_id: 0 } },
    { Sequence: { id: "A", type_id: 0 } },
    { SpecialToken: { id: "[SEP]", type_id: 0 } },
    { Sequence: { id: "B", type_id: 1 } },
    { SpecialToken: { id: "[SEP]", type_id: 1 } },
  ],
  special_tokens: {
    "[CLS]": { id: "[CLS]", ids: [101], tokens: ["[CLS]"] },
    "[SEP]": { id: "[SEP]", ids: [102], tokens: ["[SEP]"] },
  },
};

describe("TemplateProcessing", () => {
  const pp = parsePostProcessor(bertTemplate, noLookup);

  it("adds special tokens and the template's type ids", () => {
    expect(pp.apply([7, 8], null, true)).toEqual({ ids: [101, 7, 8, 102], typeIds: [0, 0, 0, 0] });
    expect(pp.apply([7], [9, 10], true)).toEqual({ ids: [101, 7, 102, 9, 10, 102], typeIds: [0, 0, 0, 1, 1, 1] });
    expect([pp.countSpecialTokens(false), pp.countSpecialTokens(true)]).toEqual([2, 3]);
  });

  it("keeps the template's type ids without special tokens (as Rust)", () => {
    expect(pp.apply([7], [9], false)).toEqual({ ids: [7, 9], typeIds: [0, 1] });
  });

  it("expands a special token with several ids", () => {
    const multi = parsePostProcessor(
      { ...bertTemplate, special_tokens: { ...bertTemplate.special_tokens, "[CLS]": { id: "[CLS]", ids: [1, 2, 3], tokens: ["a", "b", "c"] } } },
      noLookup,
    );
    expect(multi.apply([7], null, true).ids).toEqual([1, 2, 3, 7, 102]);
    expect(multi.countSpecialTokens(false)).toBe(4);
  });
});

describe("BertProcessing / RobertaProcessing", () => {
  it("BERT: [CLS] A [SEP] B [SEP] with type ids 0 then 1", () => {
    const pp = parsePostProcessor({ type: "BertProcessing", cls: ["[CLS]", 101], sep: ["[SEP]", 102] }, noLookup);
    expect(pp.apply([7], [9], true)).toEqual({ ids: [101, 7, 102, 9, 102], typeIds: [0, 0, 0, 1, 1] });
    expect(pp.apply([7], [9], false)).toEqual({ ids: [7, 9], typeIds: [0, 1] });
  });

  it("RoBERTa: <s> A </s></s> B </s>, all type ids 0", () => {
    const pp = parsePostProcessor({ type: "RobertaProcessing", cls: ["<s>", 0], sep: ["</s>", 2] }, noLookup);
    expect(pp.apply([7], [9], true)).toEqual({ ids: [0, 7, 2, 2, 9, 2], typeIds: [0, 0, 0, 0, 0, 0] });
    expect(pp.apply([7], [9], false)).toEqual({ ids: [7, 9], typeIds: [0, 0] });
    expect([pp.countSpecialTokens(false), pp.countSpecialTokens(true)]).toEqual([2, 4]);
  });

  it("resolves a missing id from the token", () => {
    const pp = parsePostProcessor({ type: "BertProcessing", cls: ["[CLS]", null], sep: ["[SEP]", 5] }, (t) => (t === "[CLS]" ? 4 : undefined));
    expect(pp.apply([], null, true).ids).toEqual([4, 5]);
  });
});

describe("no post-processor, ByteLevel and Sequence", () => {
  it("concatenates with type ids 0 / 1 when there is none", () => {
    expect(parsePostProcessor(null, noLookup).apply([1], [2], true)).toEqual({ ids: [1, 2], typeIds: [0, 1] });
    expect(parsePostProcessor({ type: "ByteLevel", trim_offsets: true }, noLookup).countSpecialTokens(true)).toBe(0);
  });

  it("runs a Sequence in order", () => {
    const pp = parsePostProcessor({ type: "Sequence", processors: [{ type: "ByteLevel" }, bertTemplate] }, noLookup);
    expect(pp.apply([7], [9], true)).toEqual({ ids: [101, 7, 102, 9, 102], typeIds: [0, 0, 0, 1, 1] });
  });
});

describe("errors", () => {
  it("rejects unknown types and malformed entries", () => {
    const code = (config: unknown): string => {
      try {
        parsePostProcessor(config, noLookup);
        return "none";
      } catch (e) {
        return e instanceof SbertError ? e.code : "other";
      }
    };
    expect(code({ type: "Fancy" })).toBe("UNSUPPORTED_FORMAT");
    expect(code({ ...bertTemplate, special_tokens: {} })).toBe("INVALID_MODEL_FILE");
    expect(code({ ...bertTemplate, single: [{ Sequence: { id: "C", type_id: 0 } }] })).toBe("INVALID_MODEL_FILE");
    expect(code({ type: "BertProcessing", cls: "[CLS]", sep: ["[SEP]", 1] })).toBe("INVALID_MODEL_FILE");
    expect(code("TemplateProcessing")).toBe("INVALID_MODEL_FILE");
  });
});
