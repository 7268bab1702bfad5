/**
 * Benchmark models of the newer architectures at real widths, random weights of the shapes each
 * definition's `load` reads (bench/lib/synth-model.ts), written as sentence-transformers folders
 * with an ONNX graph from our exporter. The tokenizer and modules are the test fixture's (a
 * 1000-token BPE vocabulary, so an STS-B sentence is ~1.5–2× as many tokens as with the real
 * vocabulary; the bench counts FLOPs on the tokens actually computed).
 *
 *   npx tsx bench/make-arch-bench-models.ts [--out bench/models] [--only modernbert]
 *
 * modernbert-base: ModernBERT-base (answerdotai/ModernBERT-base config.json): 22 layers, hidden 768,
 *   12 heads, GeGLU FFN 1152, vocab 50368, full attention every 3rd layer, local window 128.
 * qwen3-0.6b-l7:   Qwen3-Embedding-0.6B widths (hidden 1024, 16 query / 8 key-value heads of 128,
 *   SwiGLU FFN 3072, vocab 151669) at 7 of its 28 layers (a quarter of the depth: the full model is
 *   2.4 GB of float32 weights, and each layer costs the same, so throughput of the full model is ~¼).
 */
import { join } from "node:path";
import { supportedModelTypes } from "../src/architectures/registry.js";
import { exportOnnx } from "../src/onnx/export.js";
import { writeSynthesizedModel } from "./lib/synth-model.js";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] as string) : fallback;
};
const OUT = arg("--out", join(import.meta.dirname, "models"));
const ONLY = arg("--only", "");
const FIXTURES = join(import.meta.dirname, "../test/fixtures");

const modernLayers = 22;
const SPECS = [
  {
    name: "modernbert-base",
    modelType: "modernbert",
    template: "st-modernbert-mean",
    maxSeqLength: 512,
    config: {
      hidden_size: 768,
      intermediate_size: 1152,
      num_hidden_layers: modernLayers,
      num_attention_heads: 12,
      vocab_size: 50368,
      max_position_embeddings: 8192,
      local_attention: 128,
      global_attn_every_n_layers: 3,
      layer_types: Array.from({ length: modernLayers }, (_, i) => (i % 3 === 0 ? "full_attention" : "sliding_attention")),
    },
  },
  {
    name: "qwen3-0.6b-l7",
    modelType: "qwen3",
    template: "st-qwen3-lasttoken",
    maxSeqLength: 512,
    config: {
      hidden_size: 1024,
      intermediate_size: 3072,
      num_hidden_layers: 7,
      num_attention_heads: 16,
      num_key_value_heads: 8,
      head_dim: 128,
      vocab_size: 151669,
      max_position_embeddings: 32768,
      layer_types: Array.from({ length: 7 }, () => "full_attention"),
    },
  },
];

for (const [i, s] of SPECS.entries()) {
  if (ONLY && !s.name.includes(ONLY)) continue;
  if (!supportedModelTypes().includes(s.modelType)) {
    console.log(`${s.name}: skipped, model_type ${s.modelType} has no definition here yet`);
    continue;
  }
  const t0 = performance.now();
  const dir = join(OUT, s.name);
  const params = await writeSynthesizedModel(join(FIXTURES, s.template), dir, s.config, s.maxSeqLength, 1234 + i);
  let onnx: string;
  try {
    await exportOnnx(dir, {});
    onnx = "onnx fp32";
  } catch (e) {
    onnx = `no ONNX (${(e as Error).message})`;
  }
  console.log(`${dir}: ${(params / 1e6).toFixed(1)}M parameters, ${((performance.now() - t0) / 1000).toFixed(1)} s, ${onnx}`);
}
