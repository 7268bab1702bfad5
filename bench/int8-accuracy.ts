/**
 * int8 vs fp32 accuracy on the benchmark model: cosine between the two embeddings of every STS-B
 * dev sentence, and STS-B dev Spearman for each (random weights: a loose check).
 *
 *   npx tsx bench/int8-accuracy.ts [--model bench/models/minilm-l6]
 */
import { join } from "node:path";
import { EmbeddingSimilarityEvaluator } from "../src/evaluation/index.js";
import { SentenceTransformer, pairwiseCosSim } from "../src/index.js";
import { arg } from "./lib/cases.js";
import { stsDevPairs } from "./lib/sts.js";

const dir = arg("--model", join(import.meta.dirname, "models", "minilm-l6"));
const pairs = stsDevPairs();
if (!pairs) throw new Error("../shared/data/stsbenchmark/sts-dev.csv is missing");
const sentences = pairs.flatMap((p) => [p.a, p.b]);
const fp32 = await SentenceTransformer.load(dir, { backend: "onnx" });
const int8 = await SentenceTransformer.load(dir, { backend: "onnx", onnxFile: "model_qint8_avx512_vnni.onnx" });
const [a, b] = [await fp32.encode(sentences), await int8.encode(sentences)];
const cos = Array.from(pairwiseCosSim(a, b)).sort((x, y) => x - y);
const mean = cos.reduce((s, x) => s + x, 0) / cos.length;
console.log(`cosine(int8, fp32) over ${cos.length} sentences: mean ${mean.toFixed(5)}, min ${cos[0]?.toFixed(5)}, p1 ${cos[Math.floor(cos.length / 100)]?.toFixed(5)}`);
const evaluator = new EmbeddingSimilarityEvaluator(
  pairs.map((p) => p.a),
  pairs.map((p) => p.b),
  pairs.map((p) => p.score / 5),
  { name: "sts-dev" },
);
for (const [name, model] of [["fp32", fp32], ["int8", int8]] as const) {
  const m = await evaluator.evaluate(model);
  console.log(`${name}: ${evaluator.primaryMetric} = ${m[evaluator.primaryMetric]?.toFixed(4)}`);
}
