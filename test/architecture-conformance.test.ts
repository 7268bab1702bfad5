/**
 * The conformance suite every registered architecture passes without code of its own: weights are
 * synthesized for whatever names and shapes the definition's `load` asks for, then the one
 * definition runs on the eager engine and, lowered by GraphOps, in ONNX Runtime. A new
 * architecture (one file + one registry line) is checked here as soon as it is registered.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { parseEncoderConfig } from "../src/architectures/config.js";
import { EagerEncoder } from "../src/architectures/eager-encoder.js";
import type { EncoderBatch } from "../src/architectures/encoder.js";
import { firstTokenHead } from "../src/architectures/encoder-layer.js";
import { ParamStore } from "../src/architectures/params.js";
import { architectureOf, supportedModelTypes } from "../src/architectures/registry.js";
import { DataType, IR_VERSION, OPSET } from "../src/onnx/graph.js";
import { GraphBuilder } from "../src/onnx/graph-builder.js";
import { GraphOps } from "../src/onnx/graph-ops.js";
import { encodeModel } from "../src/onnx/proto-writer.js";
import { mul } from "../src/tensor/ops/elementwise.js";
import { sum } from "../src/tensor/ops/reduce.js";
import { Rng } from "../src/tensor/random.js";
import { Tensor } from "../src/tensor/tensor.js";

/** A checkpoint that holds every tensor asked for (deterministic values of the asked shape); `optional` says what `has` answers. */
class SynthesizedParams extends ParamStore {
  private readonly made = new Map<string, Tensor>();
  private readonly rng = new Rng(7);
  private readonly optional: boolean;

  constructor(optional: boolean) {
    super(new Map(), "synthesized");
    this.optional = optional;
  }

  override has(name: string): boolean {
    return this.made.has(name) || this.optional;
  }

  override get(name: string, shape?: readonly number[]): Tensor {
    let t = this.made.get(name);
    if (!t) {
      const s = shape ?? [4];
      const size = s.reduce((a, b) => a * b, 1);
      // LayerNorm gammas near 1, everything else small
      const gamma = /(LayerNorm|layer_norm)\.weight$/.test(name);
      t = new Tensor(Float32Array.from({ length: size }, () => (gamma ? 1 : 0) + this.rng.uniform(-0.5, 0.5)), s);
      this.made.set(name, t);
    }
    return t;
  }

  get all(): ReadonlyMap<string, Tensor> {
    return this.made;
  }
}

const [B, T] = [2, 6];
const VOCAB = 40;
const PAD = 1;

/** Each architecture's own config keys (T5's names, DeBERTa's relative-attention settings), on top of the shared ones. */
const EXTRA_CONFIG: Record<string, Record<string, unknown>> = {
  // T5Config names; heads · d_kv (6) differs from d_model (8), as in sentence-t5
  t5: { d_model: 8, num_layers: 2, num_heads: 2, d_kv: 3, d_ff: 12, feed_forward_proj: "gated-gelu", relative_attention_num_buckets: 8, relative_attention_max_distance: 12 },
  // T5 v1.0: ungated ReLU feed-forward (`wi`)
  "t5 (relu feed-forward)": { model_type: "t5", d_model: 8, num_layers: 2, num_heads: 2, d_kv: 4, d_ff: 12, feed_forward_proj: "relu", relative_attention_num_buckets: 6 },
  // DeBERTa-v3: log buckets beyond ±2 (position_buckets 4), both terms, shared projections, no absolute positions or token types
  "deberta-v2": {
    relative_attention: true,
    position_buckets: 4,
    max_relative_positions: -1,
    pos_att_type: ["p2c", "c2p"],
    share_att_key: true,
    norm_rel_ebd: "layer_norm",
    position_biased_input: false,
    type_vocab_size: 0,
    layer_norm_eps: 1e-7,
  },
  // DeBERTa-v2 style: absolute positions and token types, c2p only with its own pos_key_proj, no log buckets
  "deberta-v2 (separate position projections)": {
    model_type: "deberta-v2",
    relative_attention: true,
    max_relative_positions: 5,
    pos_att_type: "c2p",
    share_att_key: false,
    position_biased_input: true,
  },
};

/** Architectures whose checkpoints have no sequence-classification head (T5EncoderModel). */
const NO_HEAD = new Set(["t5"]);

function configFor(name: string) {
  const extra = EXTRA_CONFIG[name] ?? {};
  const modelType = (extra["model_type"] as string | undefined) ?? name;
  const distil = modelType === "distilbert";
  return parseEncoderConfig({
    model_type: modelType,
    vocab_size: VOCAB,
    [distil ? "dim" : "hidden_size"]: 8,
    [distil ? "n_layers" : "num_hidden_layers"]: 2,
    [distil ? "n_heads" : "num_attention_heads"]: 2,
    [distil ? "hidden_dim" : "intermediate_size"]: 12,
    max_position_embeddings: 20,
    type_vocab_size: 2,
    pad_token_id: PAD,
    num_labels: 3,
    relative_attention_num_buckets: 32,
    ...extra,
  });
}

/** Row 0 full, row 1 with its last two positions padded. */
function batchOf(rows: number[][], seqLen: number): EncoderBatch {
  const n = rows.length * seqLen;
  const batch = { batchSize: rows.length, seqLen, inputIds: new Int32Array(n).fill(PAD), attentionMask: new Int32Array(n), tokenTypeIds: new Int32Array(n) };
  rows.forEach((r, b) =>
    r.forEach((id, t) => {
      batch.inputIds[b * seqLen + t] = id;
      batch.attentionMask[b * seqLen + t] = 1;
      batch.tokenTypeIds[b * seqLen + t] = t >= 3 ? 1 : 0;
    }),
  );
  return batch;
}

const ROWS = [
  [2, 7, 11, 5, 30, 3],
  [2, 19, 8, 3],
];

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

/** The same definition lowered to ONNX and run in ONNX Runtime. */
async function runGraph(modelType: string, store: SynthesizedParams, batch: EncoderBatch): Promise<{ hidden: Float32Array; logits: Float32Array | undefined }> {
  const c = configFor(modelType);
  const arch = architectureOf(c);
  const w = arch.load(c, store, store);
  const b = new GraphBuilder("conformance");
  const dims = ["batch_size", "sequence_length"];
  const useTypes = arch.usesTokenTypeIds(w);
  const inputs = {
    inputIds: b.input("input_ids", DataType.INT64, dims),
    attentionMask: b.input("attention_mask", DataType.INT64, dims),
    tokenTypeIds: useTypes ? b.input("token_type_ids", DataType.INT64, dims) : undefined,
  };
  const ops = new GraphOps(b, inputs);
  const hidden = arch.forward(ops, w, c);
  if (w.head) b.output(firstTokenHead(ops, hidden, w.head), "logits", DataType.FLOAT, ["batch_size", c.numLabels]);
  b.output(hidden, "last_hidden_state", DataType.FLOAT, ["batch_size", "sequence_length", c.hiddenSize]);
  const parts = encodeModel({ irVersion: IR_VERSION, opsets: { "": OPSET }, producerName: "test", producerVersion: "0", graph: b.build(), metadata: {} });
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
  const session = await ort.InferenceSession.create(bytes);
  const i64 = (a: Int32Array) => new ort.Tensor("int64", BigInt64Array.from(a, (v) => BigInt(v)), [batch.batchSize, batch.seqLen]);
  const feeds: Record<string, ort.Tensor> = { input_ids: i64(batch.inputIds), attention_mask: i64(batch.attentionMask) };
  if (useTypes) feeds["token_type_ids"] = i64(batch.tokenTypeIds);
  const out = await session.run(feeds);
  return { hidden: out["last_hidden_state"]?.data as Float32Array, logits: w.head ? (out["logits"]?.data as Float32Array) : undefined };
}

/** One model_type per distinct architecture definition, and the extra configurations of one. */
const perArchitecture = [...new Map(supportedModelTypes().map((t) => [architectureOf(configFor(t)), t])).values(), ...Object.keys(EXTRA_CONFIG).filter((n) => EXTRA_CONFIG[n]?.["model_type"])];

describe.each(perArchitecture)("architecture conformance: %s", (modelType) => {
  for (const optional of [true, false]) {
    const what = optional ? "with token types and a classifier head" : "required weights only";
    it(`eager engine and ONNX graph agree (${what})`, async () => {
      const store = new SynthesizedParams(optional);
      const enc = new EagerEncoder(architectureOf(configFor(modelType)), configFor(modelType), store, store);
      const batch = batchOf(ROWS, T);
      const hidden = enc.forward(batch);
      expect(hidden.shape).toEqual([B, T, 8]);
      const graph = await runGraph(modelType, store, batch);
      expect(maxDiff(hidden.data, graph.hidden)).toBeLessThanOrEqual(1e-5);
      expect(enc.hasClassifier).toBe(optional && !NO_HEAD.has(configFor(modelType).modelType));
      if (enc.hasClassifier) {
        const logits = enc.classify(hidden, batch);
        expect(logits.shape).toEqual([B, 3]);
        expect(maxDiff(logits.data, graph.logits as Float32Array)).toBeLessThanOrEqual(1e-5);
      } else {
        expect(() => enc.classify(hidden, batch)).toThrow(/no sequence-classification head/);
      }
    });
  }

  it("batch equals single and padding does not change a row", () => {
    const store = new SynthesizedParams(true);
    const c = configFor(modelType);
    const enc = new EagerEncoder(architectureOf(c), c, store, store);
    const batched = enc.forward(batchOf(ROWS, T)).data;
    ROWS.forEach((row, b) => {
      const single = enc.forward(batchOf([row], row.length)).data;
      const inBatch = batched.subarray(b * T * 8, (b * T + row.length) * 8);
      expect(maxDiff(single, inBatch)).toBeLessThanOrEqual(1e-6);
    });
  });

  it("every weight the definition reads gets a gradient", () => {
    const store = new SynthesizedParams(true);
    const c = configFor(modelType);
    const enc = new EagerEncoder(architectureOf(c), c, store, store);
    for (const t of store.all.values()) t.requiresGrad = true;
    const batch = batchOf(ROWS, T);
    const hidden = enc.forward(batch);
    const rng = new Rng(3);
    const probe = new Tensor(Float32Array.from({ length: hidden.size }, () => rng.uniform(-1, 1)), hidden.shape);
    sum(mul(hidden, probe)).backward();
    if (enc.hasClassifier) sum(enc.classify(hidden, batch)).backward();
    const missing = [...store.all].filter(([, t]) => !t.grad || !t.grad.some((g) => g !== 0)).map(([k]) => k);
    expect(missing).toEqual([]);
  });
});
