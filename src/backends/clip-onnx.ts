import type * as Ort from "onnxruntime-node";
import type { EncoderBatch, PixelBatch } from "../architectures/encoder.js";
import { SbertError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import { loadOrt } from "./onnx-backend.js";

/** A CLIP tower's ONNX model as bytes (`onnx/clip-graph.ts` lowers it from the weights), built when first needed. */
export type ClipTowerGraphs = { text: () => Promise<Uint8Array>; vision: () => Promise<Uint8Array> };

/**
 * Runs the two CLIP towers in ONNX Runtime: `text` (`input_ids`, `attention_mask` → `text_embeds`)
 * and `vision` (`pixel_values` → `image_embeds`), each session created on first use (a model
 * used for texts only never builds its vision graph). Inputs are checked by the caller
 * (the native shape checks of `ClipEncoder`).
 */
export class ClipOnnxRunner {
  readonly threads: number | undefined;
  private readonly graphs: ClipTowerGraphs;
  private readonly sessions: Partial<Record<"text" | "vision", Promise<Ort.InferenceSession>>> = {};
  private ort: typeof Ort | undefined;

  constructor(graphs: ClipTowerGraphs, threads?: number) {
    if (threads !== undefined && (!Number.isInteger(threads) || threads <= 0)) throw new SbertError("INVALID_INPUT", `threads must be a positive integer, got ${threads}`);
    this.graphs = graphs;
    this.threads = threads;
  }

  private session(tower: "text" | "vision"): Promise<Ort.InferenceSession> {
    this.sessions[tower] ??= (async () => {
      const ort = (this.ort ??= await loadOrt());
      const options: Ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all", executionMode: "sequential", interOpNumThreads: 1, logSeverityLevel: 3 };
      if (this.threads !== undefined) options.intraOpNumThreads = this.threads;
      return ort.InferenceSession.create(await this.graphs[tower](), options);
    })();
    return this.sessions[tower];
  }

  /** Builds and opens the text tower now (so that load reports a missing ONNX Runtime). */
  async ready(): Promise<void> {
    await this.session("text");
  }

  /** `text_embeds` (B, projection_dim) of a tokenized batch. */
  async encodeText(batch: EncoderBatch): Promise<Tensor> {
    const s = await this.session("text");
    const ort = this.ort as typeof Ort;
    const i64 = (a: Int32Array): Ort.Tensor => new ort.Tensor("int64", BigInt64Array.from(a, (v) => BigInt(v)), [batch.batchSize, batch.seqLen]);
    const out = await s.run({ input_ids: i64(batch.inputIds), attention_mask: i64(batch.attentionMask) });
    return toMatrix(out["text_embeds"] as Ort.Tensor);
  }

  /** `image_embeds` (B, projection_dim) of preprocessed images. */
  async encodeImages(px: PixelBatch): Promise<Tensor> {
    const s = await this.session("vision");
    const ort = this.ort as typeof Ort;
    const out = await s.run({ pixel_values: new ort.Tensor("float32", px.pixelValues, [px.batch, px.channels, px.height, px.width]) });
    return toMatrix(out["image_embeds"] as Ort.Tensor);
  }

  async dispose(): Promise<void> {
    const open = Object.values(this.sessions);
    for (const k of Object.keys(this.sessions)) delete this.sessions[k as "text" | "vision"];
    await Promise.all(open.map(async (p) => (await p).release()));
  }
}

function toMatrix(t: Ort.Tensor): Tensor {
  return new Tensor(t.data as Float32Array, [Number(t.dims[0]), Number(t.dims[1])]);
}
