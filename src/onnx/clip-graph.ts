import type { ClipTower, ClipWeights } from "../architectures/clip.js";
import { clipTextForward, clipVisionForward, visionTokens } from "../architectures/clip.js";
import type { ClipConfig } from "../architectures/clip-config.js";
import { join } from "node:path";
import { SbertError } from "../errors.js";
import type { PipelineModule } from "../modules/module.js";
import { CLIPModel } from "../modules/clip-model.js";
import { packageVersion } from "../package-version.js";
import { encodeModel } from "./proto-writer.js";
import { writeOnnxModel } from "./write-model.js";

export type { ClipTower } from "../architectures/clip.js";
import { DataType, IR_VERSION, type ModelSpec, OPSET } from "./graph.js";
import { GraphBuilder } from "./graph-builder.js";
import { GraphOps } from "./graph-ops.js";


/**
 * One CLIP tower as an ONNX model (opset 17), lowered from the same definition the native engine
 * runs (architectures/clip.ts):
 * - `text`: `input_ids`, `attention_mask` (int64, [batch_size, sequence_length]) → `text_embeds`
 *   [batch_size, projection_dim] (`get_text_features`);
 * - `vision`: `pixel_values` (float32, [batch_size, C, S, S]) → `image_embeds`
 *   [batch_size, projection_dim] (`get_image_features`).
 *
 * @example
 * const model = clipTowerOnnxModel(clip.config, clip.weights, "vision");
 * await writeOnnxModel(model, "out/vision_model.onnx");
 */
export function clipTowerOnnxModel(c: ClipConfig, w: ClipWeights, tower: ClipTower): ModelSpec {
  const b = new GraphBuilder(`sbert_ts_clip_${tower}`);
  if (tower === "text") {
    const dims = ["batch_size", "sequence_length"];
    const inputs = { inputIds: b.input("input_ids", DataType.INT64, dims), attentionMask: b.input("attention_mask", DataType.INT64, dims), tokenTypeIds: undefined };
    b.output(clipTextForward(new GraphOps(b, inputs), w.text, c), "text_embeds", DataType.FLOAT, ["batch_size", c.projectionDim]);
  } else {
    const { numChannels: ch, imageSize: s } = c.vision;
    const pixelValues = b.input("pixel_values", DataType.FLOAT, ["batch_size", ch, s, s]);
    // the image tokens as a (B, patches + 1) row of ones: sequence length and an all-attended mask
    const shape = b.op("Concat", [b.op("Shape", [pixelValues], { start: { i: 0 }, end: { i: 1 } }), b.constI64([visionTokens(c)])], { axis: { i: 0 } });
    const ones = b.op("Expand", [b.constI64([1], [1, 1]), shape]);
    const inputs = { inputIds: ones, attentionMask: ones, tokenTypeIds: undefined, pixelValues };
    b.output(clipVisionForward(new GraphOps(b, inputs), w.vision, c), "image_embeds", DataType.FLOAT, ["batch_size", c.projectionDim]);
  }
  return {
    irVersion: IR_VERSION,
    opsets: { "": OPSET },
    producerName: "sbert-ts",
    producerVersion: packageVersion(),
    graph: b.build(),
    metadata: { model_type: "clip", tower },
  };
}

/**
 * Writes both towers of a loaded CLIP model into the existing folder `outDir` as
 * `text_model.onnx` and `vision_model.onnx` (the file names transformers.js uses for CLIP), each
 * lowered from the weights in memory. INVALID_INPUT when the model's first module is not a CLIP model.
 *
 * @example
 * const model = await SentenceTransformer.load("sentence-transformers/clip-ViT-B-32");
 * await exportClipOnnx(model, "out"); // out/text_model.onnx, out/vision_model.onnx
 */
export async function exportClipOnnx(model: { readonly modules: readonly PipelineModule[] }, outDir: string): Promise<{ text: string; vision: string }> {
  const clip = model.modules[0];
  if (!(clip instanceof CLIPModel)) throw new SbertError("INVALID_INPUT", `exportClipOnnx needs a CLIP model; this one starts with ${clip?.typeName ?? "nothing"} (use exportOnnx)`);
  const paths = { text: join(outDir, "text_model.onnx"), vision: join(outDir, "vision_model.onnx") };
  for (const tower of ["text", "vision"] as const) await writeOnnxModel(clipTowerOnnxModel(clip.config, clip.clip.weights, tower), paths[tower]);
  return paths;
}

/** `clipTowerOnnxModel` serialized (what the CLIP module's onnx backend opens in ONNX Runtime). */
export function clipTowerOnnxBytes(c: ClipConfig, w: ClipWeights, tower: ClipTower): Uint8Array {
  const parts = encodeModel(clipTowerOnnxModel(c, w, tower));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
  return bytes;
}
