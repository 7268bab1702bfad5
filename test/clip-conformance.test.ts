/**
 * The CLIP towers (architectures/clip.ts), one definition on both engines: the eager engine and
 * the same functions lowered to ONNX and run in ONNX Runtime agree (≤ 1e-5) and match the Python
 * golden (`get_text_features` / `get_image_features` of fixtures/clip-tiny); padding changes no
 * row; every weight the towers read gets a gradient.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { parseClipConfig } from "../src/architectures/clip-config.js";
import { ClipEncoder } from "../src/architectures/clip-encoder.js";
import type { EncoderBatch, PixelBatch } from "../src/architectures/encoder.js";
import { loadParamStore } from "../src/modules/weights.js";
import { type ClipTower, clipTowerOnnxModel } from "../src/onnx/clip-graph.js";
import { encodeModel } from "../src/onnx/proto-writer.js";
import { mul } from "../src/tensor/ops/elementwise.js";
import { sum } from "../src/tensor/ops/reduce.js";
import { Rng } from "../src/tensor/random.js";
import { Tensor } from "../src/tensor/tensor.js";
import { TextTokenizer } from "../src/tokenizers/text-tokenizer.js";
import { FIXTURES, maxAbsDiff, readGolden } from "./helpers/fixtures.js";

const DIR = join(FIXTURES, "clip-tiny");
const MODEL = join(DIR, "0_CLIPModel");
const g = readGolden(DIR);
const sentences = g["sentences"] as string[];
const pre = g["image_preprocess"] as { pixel_values_chw: number[][][] }[];

let enc: ClipEncoder;
let tok: TextTokenizer;
beforeAll(async () => {
  enc = new ClipEncoder(parseClipConfig(JSON.parse(readFileSync(join(MODEL, "config.json"), "utf8"))), await loadParamStore(MODEL));
  tok = await TextTokenizer.fromFolder(MODEL);
});

const textBatch = (texts: readonly string[]): EncoderBatch => tok.padRows(tok.encodeRows(texts, { maxLength: 32 }));
function pixels(indices: readonly number[]): PixelBatch {
  const pixelValues = Float32Array.from(indices.flatMap((i) => (pre[i]?.pixel_values_chw ?? []).flat(2)));
  return { pixelValues, batch: indices.length, channels: 3, height: 32, width: 32 };
}
const rows = (t: Tensor): number[][] => Array.from({ length: t.dim(0) }, (_, r) => Array.from(t.data.subarray(r * t.dim(1), (r + 1) * t.dim(1))));

async function session(tower: ClipTower): Promise<ort.InferenceSession> {
  const parts = encodeModel(clipTowerOnnxModel(enc.config, enc.weights, tower));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
  return ort.InferenceSession.create(bytes);
}

describe("CLIP towers: eager engine, ONNX graph and the Python golden agree", () => {
  it("text: get_text_features of the 13 sentences (causal mask + padding, pooled at <|endoftext|>)", async () => {
    const batch = textBatch(sentences);
    const eager = enc.encodeText(batch);
    expect(maxAbsDiff(rows(eager), g["text_embeddings"])).toBeLessThanOrEqual(1e-5);
    const i64 = (a: Int32Array) => new ort.Tensor("int64", BigInt64Array.from(a, (v) => BigInt(v)), [batch.batchSize, batch.seqLen]);
    const out = await (await session("text")).run({ input_ids: i64(batch.inputIds), attention_mask: i64(batch.attentionMask) });
    const graph = out["text_embeds"]?.data as Float32Array;
    expect(maxAbsDiff(graph, eager.data)).toBeLessThanOrEqual(1e-5);
  });

  it("vision: get_image_features of the recorded pixel_values (patch conv, class token, post_layernorm)", async () => {
    const px = pixels(pre.map((_, i) => i));
    const eager = enc.encodeImages(px);
    expect(maxAbsDiff(rows(eager), g["image_embeddings"])).toBeLessThanOrEqual(1e-5);
    const out = await (await session("vision")).run({ pixel_values: new ort.Tensor("float32", px.pixelValues, [px.batch, 3, 32, 32]) });
    expect(maxAbsDiff(out["image_embeds"]?.data as Float32Array, eager.data)).toBeLessThanOrEqual(1e-5);
  });

  it("a config with an explicit eos_token_id pools at the first such id (same token here: <|endoftext|> = 999 is also the largest id)", async () => {
    const raw = JSON.parse(readFileSync(join(MODEL, "config.json"), "utf8"));
    raw.text_config.eos_token_id = 999;
    const c = parseClipConfig(raw);
    expect(c.text.eosTokenId).toBe(999);
    const byId = new ClipEncoder(c, enc.params);
    const batch = textBatch(sentences);
    const eager = byId.encodeText(batch);
    expect(maxAbsDiff(rows(eager), g["text_embeddings"])).toBeLessThanOrEqual(1e-5);
    const parts = encodeModel(clipTowerOnnxModel(c, byId.weights, "text"));
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
    const i64 = (a: Int32Array) => new ort.Tensor("int64", BigInt64Array.from(a, (v) => BigInt(v)), [batch.batchSize, batch.seqLen]);
    const out = await (await ort.InferenceSession.create(bytes)).run({ input_ids: i64(batch.inputIds), attention_mask: i64(batch.attentionMask) });
    expect(maxAbsDiff(out["text_embeds"]?.data as Float32Array, eager.data)).toBeLessThanOrEqual(1e-5);
    // an id that no row holds: position 0 (<|startoftext|>) for every row, on both engines
    const none = parseClipConfig({ ...raw, text_config: { ...raw.text_config, eos_token_id: 5 } });
    const atStart = new ClipEncoder(none, enc.params).encodeText(batch);
    expect(maxAbsDiff(atStart.data.subarray(0, 16), atStart.data.subarray(16, 32))).toBe(0);
  });

  it("batch equals single: a text or an image alone gives its row of the batch", () => {
    const batched = enc.encodeText(textBatch(sentences));
    sentences.forEach((s, i) => expect(maxAbsDiff(enc.encodeText(textBatch([s])).data, batched.data.subarray(i * 16, (i + 1) * 16))).toBeLessThanOrEqual(1e-6));
    const images = enc.encodeImages(pixels([0, 1, 2, 3, 4, 5]));
    for (let i = 0; i < 6; i++) expect(maxAbsDiff(enc.encodeImages(pixels([i])).data, images.data.subarray(i * 16, (i + 1) * 16))).toBeLessThanOrEqual(1e-6);
  });

  it("pixel values of another size, or a text past the position table, are INVALID_INPUT", () => {
    expect(() => enc.encodeImages({ pixelValues: new Float32Array(3 * 16 * 16), batch: 1, channels: 3, height: 16, width: 16 })).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    expect(() => enc.encodeImages({ pixelValues: new Float32Array(5), batch: 1, channels: 3, height: 32, width: 32 })).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    expect(() => enc.encodeImages({ pixelValues: new Float32Array(0), batch: 0, channels: 3, height: 32, width: 32 })).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    const long = tok.padRows(tok.encodeRows([sentences[8] as string]));
    expect(long.seqLen).toBeGreaterThan(32);
    expect(() => enc.encodeText(long)).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
  });

  it("every weight both towers read gets a gradient (autograd through patches, class token, causal attention)", () => {
    for (const t of enc.params.tensors.values()) t.requiresGrad = true;
    try {
      const rng = new Rng(5);
      const probe = (t: Tensor) => sum(mul(t, new Tensor(Float32Array.from({ length: t.size }, () => rng.uniform(-1, 1)), t.shape)));
      probe(enc.encodeText(textBatch(sentences.slice(0, 4)))).backward();
      probe(enc.encodeImages(pixels([0, 5]))).backward();
      const missing = [...enc.params.tensors].filter(([k, t]) => k !== "logit_scale" && !(t.grad && t.grad.some((v) => v !== 0))).map(([k]) => k);
      expect(missing).toEqual([]);
    } finally {
      for (const t of enc.params.tensors.values()) {
        t.requiresGrad = false;
        t.grad = undefined;
      }
    }
  });
});
