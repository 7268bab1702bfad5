/**
 * Max abs differences against the Python goldens, per fixture and backend (for closing notes).
 *
 *   npx tsx bench/golden-report.ts
 */
import { CrossEncoder, SentenceTransformer } from "../src/index.js";
import { backendsFor } from "../test/helpers/backends.js";
import { biEncoderFixtures, crossEncoderFixtures, maxAbsDiff } from "../test/helpers/fixtures.js";

const canExport = process.argv.includes("--export");
let worst = 0;
for (const fx of biEncoderFixtures()) {
  for (const backend of backendsFor(fx.dir, canExport)) {
    const g = fx.golden;
    const s = g["sentences"] as string[];
    const m = await SentenceTransformer.load(fx.dir, { backend });
    const diffs = {
      embeddings: maxAbsDiff(await m.encode(s, { batchSize: 4 }), g["embeddings"]),
      normalized: maxAbsDiff(await m.encode(s, { batchSize: 4, normalizeEmbeddings: true }), g["embeddings_normalized"]),
      tokens: maxAbsDiff((await m.encode(s.slice(1, 3), { outputValue: "token_embeddings" })).map((x) => x.toArray()), g["token_embeddings_for_sentences_1_2"]),
    };
    worst = Math.max(worst, ...Object.values(diffs));
    console.log(`${fx.name} [${backend}]`, Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join("  "));
  }
}
for (const fx of crossEncoderFixtures()) {
  for (const backend of backendsFor(fx.dir, canExport)) {
    const ce = await CrossEncoder.load(fx.dir, { backend });
    const d = maxAbsDiff(await ce.predict(fx.golden["pairs"] as [string, string][], { activation: "identity" }), fx.golden["logits_identity_activation"]);
    worst = Math.max(worst, d);
    console.log(`${fx.name} [${backend}] logits ${d.toExponential(2)}`);
  }
}
console.log(`worst max abs diff: ${worst.toExponential(2)}`);
