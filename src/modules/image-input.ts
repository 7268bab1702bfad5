import type { PixelBatch } from "../architectures/encoder.js";
import type { JsonObject } from "../io/json-file.js";
import type { Tensor } from "../tensor/tensor.js";
import type { PipelineModule } from "./module.js";

export type { PixelBatch } from "../architectures/encoder.js";

/**
 * An image among `encode`'s inputs: a file path, or the encoded file's bytes (a `Buffer` / any
 * `Uint8Array`; PNG, JPEG, ... as the image decoder reads them).
 *
 * @example
 * await model.encode(["a photo of a cat", { image: "cat.jpg" }, { image: await readFile("dog.png") }]);
 */
export interface ImageInput {
  image: string | Uint8Array;
}

/** True for an `{ image }` input (a path string or bytes). */
export function isImageInput(x: unknown): x is ImageInput {
  if (typeof x !== "object" || x === null || !("image" in x)) return false;
  const v = (x as { image: unknown }).image;
  return typeof v === "string" || v instanceof Uint8Array;
}

/**
 * Decodes and preprocesses images exactly as the model's Python image processor does (convert to
 * RGB, resize, center crop, rescale, normalize), into one channels-first float32 batch of the
 * images in order: `pixelValues` (batch, channels, height, width).
 */
export type ImagePreprocessor = (images: readonly ImageInput[]) => Promise<PixelBatch>;

/**
 * Builds a folder's `ImagePreprocessor` from its image-processor settings, snake_case as stored:
 * `preprocessor_config.json` (transformers 4: `size: 32`, `crop_size: 32`, `resample`, ...) or the
 * `image_processor` object of `processor_config.json` (transformers 5: `size: { shortest_edge }`,
 * `crop_size: { height, width }`, ...). Given to a module's load as `TransformerOptions.imagePreprocessor`.
 */
export type ImagePreprocessorFactory = (imageProcessorConfig: JsonObject, dir: string) => ImagePreprocessor | Promise<ImagePreprocessor>;

/**
 * A pipeline's first module that also reads images (CLIP): `encode` groups its inputs by modality,
 * tokenizes the texts as for any input module and runs the images through `preprocessImages`, then
 * the pipeline's `forward` on `{ batch: emptyTokenBatch(n), pixels }`.
 */
export interface ImageInputModule extends PipelineModule {
  /** Pixel values of `images` for this model (its image processor); INVALID_OPERATION when no image decoder is available. */
  preprocessImages(images: readonly ImageInput[]): Promise<PixelBatch>;
  /** Image embeddings (batch, dim) of preprocessed images. */
  encodePixels(pixels: PixelBatch): Tensor | Promise<Tensor>;
}

/** Whether `m` declares the image members. */
export function acceptsImages(m: PipelineModule | undefined): m is ImageInputModule {
  const c = m as Partial<ImageInputModule> | undefined;
  return c !== undefined && typeof c.preprocessImages === "function" && typeof c.encodePixels === "function";
}
