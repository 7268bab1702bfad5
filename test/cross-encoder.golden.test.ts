import { beforeAll, describe, expect, it } from "vitest";
import { CrossEncoder, SbertError } from "../src/index.js";
import { CAN_EXPORT, backendsFor } from "./helpers/backends.js";
import { type Fixture, crossEncoderFixtures, maxAbsDiff } from "./helpers/fixtures.js";

/** Logits and scores against Python: max abs diff ≤ 1e-5. */
const TOL = 1e-5;

const cases = crossEncoderFixtures().flatMap((f) => backendsFor(f.dir, CAN_EXPORT).map((b) => [f.name, b, f] as const));

describe.each(cases)("golden %s on %s", (_name, backend, fx: Fixture) => {
  const g = fx.golden;
  const pairs = g["pairs"] as [string, string][];
  let ce: CrossEncoder;
  beforeAll(async () => {
    ce = await CrossEncoder.load(fx.dir, { backend });
  });

  it("max length and label count match Python", () => {
    expect(ce.maxLength).toBe(g["max_length"]);
    if (g["num_labels"] !== undefined) expect(ce.numLabels).toBe(g["num_labels"]);
  });

  it.runIf(Array.isArray(g["tokenization"]))("pair token ids equal the records (longest-first truncation)", () => {
    const records = g["tokenization"] as { text: [string, string]; input_ids_truncated: number[]; token_type_ids_truncated: number[] }[];
    // Python's single-pair tokenizer call treats an empty second text as "no pair" (no second
    // [SEP]), but predict() tokenizes batches, where the empty segment keeps its [SEP]; the logits
    // tests below pin that batch behaviour, so such records are skipped here.
    for (const rec of records.filter((r) => r.text[1] !== "")) {
      const batch = ce.transformer.tokenize([rec.text]);
      expect(Array.from(batch.inputIds)).toEqual(rec.input_ids_truncated);
      expect(Array.from(batch.tokenTypeIds)).toEqual(rec.token_type_ids_truncated);
    }
  });

  it(`identity-activation logits within ${TOL}`, async () => {
    expect(maxAbsDiff(await ce.predict(pairs, { activation: "identity" }), g["logits_identity_activation"])).toBeLessThanOrEqual(TOL);
  });

  it.runIf(g["logits_one_by_one"] !== undefined)(`logits of each pair alone (no padding) within ${TOL}`, async () => {
    const alone = [];
    for (const p of pairs) alone.push(await ce.predict([p], { activation: "identity" }));
    expect(maxAbsDiff(alone, g["logits_one_by_one"])).toBeLessThanOrEqual(TOL);
  });

  it(`default-activation scores within ${TOL}`, async () => {
    expect(maxAbsDiff(await ce.predict(pairs), g["scores_default_activation"])).toBeLessThanOrEqual(TOL);
  });

  it.runIf(g["scores_sigmoid_explicit"] !== undefined)(`explicit sigmoid within ${TOL}`, async () => {
    expect(maxAbsDiff(await ce.predict(pairs, { activation: "sigmoid" }), g["scores_sigmoid_explicit"])).toBeLessThanOrEqual(TOL);
  });

  it.runIf(g["scores_apply_softmax"] !== undefined)(`applySoftmax within ${TOL}`, async () => {
    expect(maxAbsDiff(await ce.predict(pairs, { applySoftmax: true }), g["scores_apply_softmax"])).toBeLessThanOrEqual(TOL);
  });

  it.runIf(g["rank_query0_docs0to3"] !== undefined)("rank sorts like Python", async () => {
    const expected = g["rank_query0_docs0to3"] as { corpus_id: number; score: number }[];
    const docs = pairs.slice(0, 4).map((p) => p[1]);
    const got = await ce.rank((pairs[0] as [string, string])[0], docs);
    expect(got.map((r) => r.corpusId)).toEqual(expected.map((r) => r.corpus_id));
    expect(maxAbsDiff(got.map((r) => r.score), expected.map((r) => r.score))).toBeLessThanOrEqual(TOL);
  });

  it.runIf(g["rank_error"] !== undefined)("rank with several labels fails as in Python", async () => {
    const err = await ce.rank("q", ["d"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SbertError);
    expect((err as SbertError).code).toBe("INVALID_OPERATION");
    expect((err as SbertError).message).toContain("only works for models with num_labels=1");
  });
});
