/**
 * Named prompts of the second fixture batch (README_FIXTURES2.md, "With prompts"): every folder whose
 * golden holds `embeddings_<name>_prompt` is checked on every engine — the prompted token ids, the
 * prompted embeddings and `encodeQuery` / `encodeDocument` (which use the "query" / "document" prompts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SentenceTransformer } from "../src/index.js";
import { CAN_EXPORT, backendsFor } from "./helpers/backends.js";
import { type Fixture, biEncoderFixtures, maxAbsDiff } from "./helpers/fixtures.js";

const TOL = 1e-5;

const promptNames = (f: Fixture): string[] =>
  Object.keys(f.golden)
    .map((k) => /^embeddings_(\w+)_prompt$/.exec(k)?.[1])
    .filter((n): n is string => n !== undefined);

const cases = biEncoderFixtures()
  .filter((f) => promptNames(f).length > 0)
  .flatMap((f) => backendsFor(f.dir, CAN_EXPORT).map((b) => [f.name, b, f] as const));

describe.each(cases)("named prompts of %s on %s", (_name, backend, fx: Fixture) => {
  const g = fx.golden;
  const sentences = g["sentences"] as string[];
  const batchSize = (g["encode_batch_size"] as number | undefined) ?? 4;
  let model: SentenceTransformer;
  beforeAll(async () => {
    model = await SentenceTransformer.load(fx.dir, { backend });
  });

  it.each(promptNames(fx))("prompt %s: token ids of prompt + text (truncated, exact)", (name) => {
    const prompt = (g["prompts"] as Record<string, string>)[name] as string;
    const rowIds = (text: string): number[] => {
      const b = model.tokenize([text]);
      return Array.from(b.inputIds.subarray(0, b.seqLen));
    };
    expect(sentences.map((s) => rowIds(prompt + s))).toEqual(g[`tokenization_${name}_prompt`]);
    expect(rowIds(prompt)).toEqual(g[`prompt_${name}_token_ids_alone`]);
  });

  it.each(promptNames(fx))(`prompt %s: embeddings within ${TOL}`, async (name) => {
    const emb = await model.encode(sentences, { batchSize, promptName: name });
    expect(maxAbsDiff(emb, g[`embeddings_${name}_prompt`])).toBeLessThanOrEqual(TOL);
  });

  it(`encodeQuery and encodeDocument within ${TOL}`, async () => {
    expect(maxAbsDiff(await model.encodeQuery(sentences, { batchSize }), g["encode_query"])).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(await model.encodeDocument(sentences, { batchSize }), g["encode_document"])).toBeLessThanOrEqual(TOL);
  });
});
