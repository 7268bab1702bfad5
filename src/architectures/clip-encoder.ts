import { SbertError } from "../errors.js";
import { useFastKernel } from "../tensor/kernels-fast.js";
import type { Tensor } from "../tensor/tensor.js";
import { type ClipWeights, clipTextForward, clipVisionForward, loadClipWeights, visionTokens } from "./clip.js";
import type { ClipConfig } from "./clip-config.js";
import { EagerOps } from "./eager-ops.js";
import { DropoutState, type EncoderBatch, type PixelBatch } from "./encoder.js";
import type { ParamStore } from "./params.js";

/** Both CLIP towers over a checkpoint, run by the eager engine (native inference). */
export class ClipEncoder {
  readonly config: ClipConfig;
  /** Every weight of the checkpoint by its safetensors name. */
  readonly params: ParamStore;
  readonly weights: ClipWeights;
  private readonly drop = new DropoutState({ hiddenDropoutProb: 0, attentionDropoutProb: 0 });

  constructor(config: ClipConfig, params: ParamStore) {
    useFastKernel();
    this.config = config;
    this.params = params;
    this.weights = loadClipWeights(config, params);
  }

  /** Most tokens a text may hold (the text position table's rows). */
  get maxSequenceLength(): number {
    return this.config.text.maxPositionEmbeddings;
  }

  /** INVALID_INPUT for a batch longer than the text position table (on every engine). */
  requireTextFits(batch: EncoderBatch): void {
    if (batch.seqLen > this.maxSequenceLength) {
      throw new SbertError("INVALID_INPUT", `a batch of ${batch.seqLen}-token texts is longer than this CLIP text tower can take (max_position_embeddings ${this.maxSequenceLength}); set maxSeqLength to ${this.maxSequenceLength} or less`);
    }
  }

  /** Text embeddings (B, projection_dim) of a tokenized batch; INVALID_INPUT past the position table. */
  encodeText(batch: EncoderBatch): Tensor {
    this.requireTextFits(batch);
    return clipTextForward(new EagerOps(batch, this.drop), this.weights.text, this.config);
  }

  /** Image embeddings (B, projection_dim) of preprocessed images; INVALID_INPUT when their size is not the model's. */
  encodeImages(pixels: PixelBatch): Tensor {
    requirePixelsFit(pixels, this.config);
    const t = visionTokens(this.config);
    const n = pixels.batch * t;
    const batch: EncoderBatch = { batchSize: pixels.batch, seqLen: t, inputIds: new Int32Array(n), attentionMask: new Int32Array(n).fill(1), tokenTypeIds: new Int32Array(n), pixels };
    return clipVisionForward(new EagerOps(batch, this.drop), this.weights.vision, this.config);
  }
}

/** INVALID_INPUT unless `pixels` holds ≥ 1 image of (num_channels, image_size, image_size), as transformers' `CLIPVisionEmbeddings` requires. */
export function requirePixelsFit(pixels: PixelBatch, c: ClipConfig): void {
  const { numChannels: ch, imageSize: s } = c.vision;
  const { batch, channels, height, width, pixelValues } = pixels;
  if (!Number.isInteger(batch) || batch < 1) throw new SbertError("INVALID_INPUT", `a batch of images must hold at least one image, got ${batch}`);
  if (channels !== ch || height !== s || width !== s) {
    throw new SbertError("INVALID_INPUT", `pixel values of ${channels} × ${height} × ${width} do not match this CLIP model's ${ch} × ${s} × ${s} input; preprocess images with the model's image processor`);
  }
  if (pixelValues.length !== batch * ch * s * s) {
    throw new SbertError("INVALID_INPUT", `${pixelValues.length} pixel values for ${batch} images of ${ch} × ${s} × ${s}`);
  }
}
