/**
 * CLIP models end to end against sentence-transformers 5.7 (fixtures clip-tiny, the Hub's
 * 0_CLIPModel layout, and clip-tiny-v5layout, a root Transformer over the same weights): text
 * embeddings, image embeddings from the processor's recorded pixel_values (the image decoding and
 * resizing are src/image/'s, tested there; here a preprocessor hands back the recorded values),
 * text × image similarity, a mixed text/image list, batch = single, save round trip, typed errors.
 *
 * These folders are not in sentence-transformer.golden.test.ts: their goldens have
 * `text_embeddings` / `image_embeddings`, not `embeddings` (biEncoderFixtures), because an image
 * row needs the image preprocessing that test cannot give.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { SentenceTransformer } from "../src/index.js";
import { exportClipOnnx, exportOnnx } from "../src/onnx/index.js";
import { CLIPModel } from "../src/modules/clip-model.js";
import type { ImageInput, ImagePreprocessor, PixelBatch } from "../src/modules/image-input.js";
import { FIXTURES, type Golden, maxAbsDiff, readGolden } from "./helpers/fixtures.js";

const TOL = 1e-5;
type Preprocess = { file: string; pixel_values_chw: number[][][] };

/** The recorded pixel_values of the fixture's images, found by path or by file bytes. */
async function recordedPixels(dir: string, g: Golden): Promise<ImagePreprocessor> {
  const pre = g["image_preprocess"] as Preprocess[];
  const files = await Promise.all(pre.map((p) => readFile(join(dir, p.file))));
  return async (images: readonly ImageInput[]): Promise<PixelBatch> => {
    const values = images.map(({ image }) => {
      const i = typeof image === "string" ? pre.findIndex((p) => resolve(dir, p.file) === resolve(dir, image)) : files.findIndex((f) => f.equals(image));
      if (i < 0) throw new Error(`not a fixture image: ${String(image)}`);
      return (pre[i] as Preprocess).pixel_values_chw.flat(2);
    });
    return { pixelValues: Float32Array.from(values.flat()), batch: images.length, channels: 3, height: 32, width: 32 };
  };
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-clip-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The model with the recorded preprocessing of the images in `imageDir` (the fixture folder). */
async function loadClip(dir: string, g: Golden, imageDir = dir, backend: "native" | "onnx" = "native"): Promise<{ model: SentenceTransformer; clip: CLIPModel }> {
  const model = await SentenceTransformer.load(dir, { backend });
  const clip = model.inputModule as CLIPModel;
  clip.imagePreprocessor = await recordedPixels(imageDir, g);
  return { model, clip };
}

const CASES = ["clip-tiny", "clip-tiny-v5layout"].flatMap((name) => (["native", "onnx"] as const).map((backend) => [name, backend] as const));

describe.each(CASES)("%s (%s)", (name, backend) => {
  const dir = join(FIXTURES, name);
  const g = readGolden(dir);
  const load = (from = dir) => loadClip(from, g, dir, backend);
  const sentences = g["sentences"] as string[];
  const images: ImageInput[] = (g["images"] as { file: string }[]).map((im) => ({ image: join(dir, im.file) }));

  it("loads as sentence-transformers does: module, dimension, max_seq_length, cosine, tokenization", async () => {
    const { model, clip } = await load();
    expect(clip.backendName).toBe(backend);
    expect(model.modules.map((m) => m.typeName)).toEqual(g["modules"]);
    expect([model.getSentenceEmbeddingDimension(), model.maxSeqLength, model.similarityFnName]).toEqual([g["embedding_dimension"], g["max_seq_length"], g["similarity_fn_name"]]);
    const batch = model.tokenize(sentences);
    const ids = (g["batch_tokenize"] as { input_ids: number[][] }).input_ids;
    expect(Array.from({ length: batch.batchSize }, (_, r) => Array.from(batch.inputIds.subarray(r * batch.seqLen, (r + 1) * batch.seqLen)))).toEqual(ids);
  });

  it("text embeddings (≤ 1e-5), normalized, and each text alone equals its row of the batch", async () => {
    const { model } = await load();
    expect(maxAbsDiff(await model.encode(sentences, { batchSize: 4 }), g["text_embeddings"])).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(await model.encode(sentences, { normalizeEmbeddings: true }), g["text_embeddings_normalized"])).toBeLessThanOrEqual(TOL);
    const single = await Promise.all(sentences.map((s) => model.encode(s)));
    expect(maxAbsDiff(single.map((m) => m.toArray()[0]), g["text_embeddings_one_by_one"])).toBeLessThanOrEqual(TOL);
  });

  it("image embeddings from the recorded pixel_values (batch 4 and one by one), normalized, by path and by bytes", async () => {
    const { model } = await load();
    expect(maxAbsDiff(await model.encode(images, { batchSize: 4 }), g["image_embeddings"])).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(await model.encode(images, { batchSize: 1 }), g["image_embeddings_one_by_one"])).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(await model.encode(images, { normalizeEmbeddings: true }), g["image_embeddings_normalized"])).toBeLessThanOrEqual(TOL);
    const bytes = await Promise.all(images.map(async (im) => ({ image: await readFile(im.image as string) })));
    expect(maxAbsDiff(await model.encode(bytes), g["image_embeddings"])).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(await model.encode(images[2] as ImageInput), [(g["image_embeddings"] as number[][])[2]])).toBeLessThanOrEqual(TOL);
  });

  it("similarity(texts, images) is the golden cosine [13 × 6]", async () => {
    const { model } = await load();
    const sim = model.similarity(await model.encode(sentences), await model.encode(images));
    expect([sim.rows, sim.cols]).toEqual([13, 6]);
    expect(maxAbsDiff(sim, g["similarity_text_x_image"])).toBeLessThanOrEqual(TOL);
  });

  it("a mixed text/image list encodes in input order at any batch size (Python: batch_size=1 only)", async () => {
    const { model } = await load();
    const mixed = g["encode_mixed_list"] as { inputs: string[]; batch_size_1: { embeddings: number[][] }; batch_size_8: { ok: boolean } };
    expect(mixed.batch_size_8.ok).toBe(false);
    const inputs = mixed.inputs.map((s) => {
      const [kind, i] = s.split(":") as [string, string];
      return kind === "text" ? (sentences[Number(i)] as string) : (images[Number(i)] as ImageInput);
    });
    for (const batchSize of [8, 2, 1]) expect(maxAbsDiff(await model.encode(inputs, { batchSize }), mixed.batch_size_1.embeddings)).toBeLessThanOrEqual(TOL);
    // truncation, normalization and quantization apply to every row alike
    const norm = await model.encode(inputs, { normalizeEmbeddings: true, truncateDim: 8 });
    expect(norm.cols).toBe(8);
    const text = await model.encode([inputs[0] as string], { normalizeEmbeddings: true, truncateDim: 8 });
    expect(maxAbsDiff(norm.toArray()[0], text.toArray()[0])).toBe(0);
    expect((await model.encode(inputs, { precision: "int8" })).data).toBeInstanceOf(Int8Array);
  });

  it("exportClipOnnx writes both towers; ONNX Runtime gives the golden embeddings", async () => {
    const { model } = await load();
    const out = await mkdtemp(join(tmp, "onnx-"));
    const paths = await exportClipOnnx(model, out);
    const batch = model.tokenize(sentences);
    const i64 = (a: Int32Array) => new ort.Tensor("int64", BigInt64Array.from(a, (v) => BigInt(v)), [batch.batchSize, batch.seqLen]);
    const text = await (await ort.InferenceSession.create(paths.text)).run({ input_ids: i64(batch.inputIds), attention_mask: i64(batch.attentionMask) });
    expect(maxAbsDiff(text["text_embeds"]?.data as Float32Array, g["text_embeddings"])).toBeLessThanOrEqual(TOL);
    const px = await (model.inputModule as CLIPModel).preprocessImages(images);
    const vision = await (await ort.InferenceSession.create(paths.vision)).run({ pixel_values: new ort.Tensor("float32", px.pixelValues, [px.batch, 3, 32, 32]) });
    expect(maxAbsDiff(vision["image_embeds"]?.data as Float32Array, g["image_embeddings"])).toBeLessThanOrEqual(TOL);
    const bert = await SentenceTransformer.load(join(FIXTURES, "st-bert-mean"), { backend: "native" });
    await expect(exportClipOnnx(bert, out)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(exportOnnx(model, { output: out })).rejects.toThrow(/exportClipOnnx/);
  });

  it("save round-trips the layout (same module, config and embeddings)", async () => {
    const { model } = await load();
    const out = join(tmp, name, backend);
    await model.save(out);
    const again = await load(out);
    expect(again.model.modules.map((m) => [m.typeName, m.getConfigDict()])).toEqual(model.modules.map((m) => [m.typeName, m.getConfigDict()]));
    expect(maxAbsDiff(await again.model.encode(sentences), await model.encode(sentences))).toBe(0);
    expect(maxAbsDiff(await again.model.encode(images), await model.encode(images))).toBe(0);
  });
});

describe("CLIP: typed errors", () => {
  const dir = join(FIXTURES, "clip-tiny");
  const g = readGolden(dir);
  const image = { image: join(dir, "images", "rgb_small_20x12.png") };

  it("bad inputs and options are INVALID_INPUT / INVALID_OPERATION", async () => {
    const { model, clip } = await loadClip(dir, g);
    await expect(model.encode(["a", 5] as never)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(model.encode(["a", image, { image: 5 }] as never)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(model.encode([image], { outputValue: "token_embeddings" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(model.encode([image], { batchSize: 0 })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(model.encode([image], { truncateDim: 99 })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(() => (model.maxSeqLength = 33)).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    expect(() => clip.encodePixels({ pixelValues: new Float32Array(3 * 8 * 8), batch: 1, channels: 3, height: 8, width: 8 })).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    clip.imagePreprocessor = undefined;
    await expect(model.encode([image])).rejects.toMatchObject({ code: "INVALID_OPERATION" });
    expect(maxAbsDiff(await model.encode(["a"]), await model.encode("a"))).toBe(0); // texts need no image decoder
  });

  it("images for a text-only model, backends it cannot run and a modality_config calling other methods are refused", async () => {
    const bert = await SentenceTransformer.load(join(FIXTURES, "st-bert-mean"), { backend: "native" });
    await expect(bert.encode(["a", image])).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(CLIPModel.load(join(dir, "0_CLIPModel"), { backend: "onnx" })).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT" }); // without the lowering
    await expect(SentenceTransformer.load(dir, { backend: "gpu" as never })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect((await SentenceTransformer.load(dir)).inputModule).toMatchObject({ backendName: "native" }); // auto
    const v5 = join(tmp, "v5-forward");
    await cp(join(FIXTURES, "clip-tiny-v5layout"), v5, { recursive: true });
    await writeFile(join(v5, "sentence_bert_config.json"), JSON.stringify({ modality_config: { text: { method: "forward", method_output_name: "last_hidden_state" } } }));
    await expect(SentenceTransformer.load(v5)).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT" });
  });
});
