import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CrossEncoder, SentenceTransformer } from "../src/index.js";
import { ALL_BACKENDS } from "./helpers/backends.js";
import { biEncoderFixtures, crossEncoderFixtures, maxAbsDiff } from "./helpers/fixtures.js";

/** Batched vs single results: max abs diff ≤ 1e-5 (float32 reassociation only). */
const TOL = 1e-5;

/** One bi-encoder fixture per architecture (model_type), discovered. */
function onePerArchitecture() {
  const seen = new Map<string, (typeof fixtures)[number]>();
  const fixtures = biEncoderFixtures();
  for (const f of fixtures) {
    const type = (JSON.parse(readFileSync(join(f.dir, "config.json"), "utf8")) as { model_type: string }).model_type;
    if (!seen.has(type)) seen.set(type, f);
  }
  return [...seen.entries()];
}

const short = "a";
const long = "The quick brown fox jumps over the lazy dog, then runs far away into the forest.";
const texts = [short, long, "Hello, world!", "", "Numbers 12345 and 3.14159"];

describe.each(onePerArchitecture().flatMap(([type, fx]) => ALL_BACKENDS.map((b) => [type, b, fx] as const)))("%s on %s", (_type, backend, fx) => {
  it(`batch equals single (within ${TOL})`, async () => {
    const model = await SentenceTransformer.load(fx.dir, { backend });
    const batched = await model.encode(texts, { batchSize: texts.length });
    for (let i = 0; i < texts.length; i++) {
      const single = await model.encode([texts[i] as string]);
      expect(maxAbsDiff(single.row(0), batched.row(i)), texts[i]).toBeLessThanOrEqual(TOL);
    }
  });

  it(`a token budget (smaller batches) gives the same embeddings (within ${TOL})`, async () => {
    const model = await SentenceTransformer.load(fx.dir, { backend });
    const budgeted = await model.encode(texts, { batchSize: 8, maxBatchTokens: 24 });
    expect(maxAbsDiff(budgeted, await model.encode(texts, { batchSize: 8 }))).toBeLessThanOrEqual(TOL);
  });

  it(`padding does not change a short text's token embeddings (within ${TOL})`, async () => {
    const model = await SentenceTransformer.load(fx.dir, { backend });
    const [alone] = await model.encode([short], { outputValue: "token_embeddings" });
    const [padded] = await model.encode([short, long], { outputValue: "token_embeddings", batchSize: 2 });
    // rows are cut after the last real token: with left padding (Qwen3) the leading pads stay in, so compare the real tokens at the end
    const leftPadded = model.tokenize([short, long]).attentionMask[0] === 0;
    if (!leftPadded) expect(padded?.rows).toBe(alone?.rows);
    const real = (padded?.toArray() ?? []).slice(-(alone?.rows ?? 0));
    expect(real.length).toBe(alone?.rows);
    expect(maxAbsDiff(real, alone)).toBeLessThanOrEqual(TOL);
  });
});

describe.each(crossEncoderFixtures().slice(0, 2).flatMap((f) => ALL_BACKENDS.map((b) => [f.name, b, f] as const)))("cross-encoder %s on %s", (_n, backend, fx) => {
  it(`a pair scored alone equals the pair scored in a padded batch (within ${TOL})`, async () => {
    const ce = await CrossEncoder.load(fx.dir, { backend });
    const pairs: [string, string][] = [["q", "d"], ["a much longer query about many things", long]];
    const batched = await ce.logits(pairs, 2);
    for (let i = 0; i < pairs.length; i++) {
      expect(maxAbsDiff((await ce.logits([pairs[i] as [string, string]])).row(0), batched.row(i))).toBeLessThanOrEqual(TOL);
    }
  });
});
