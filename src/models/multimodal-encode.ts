import { SbertError } from "../errors.js";
import { type ImageInput, acceptsImages, isImageInput } from "../modules/image-input.js";
import type { InputModule } from "../modules/input-module.js";
import type { Features } from "../modules/module.js";
import { DenseMatrix } from "../tensor/dense.js";
import type { TokenBatch } from "../tokenizers/text-tokenizer.js";
import { normalizeEmbeddings, quantizeEmbeddings } from "../util/index.js";
import { requirePositiveInt } from "./batching.js";
import { requireFiniteRows } from "./non-finite.js";

/** One input of `encode`: a text, or an image (`{ image: path | bytes }`) for a model that reads images (CLIP). */
export type EncodeInput = string | ImageInput;

/** True when `inputs` holds at least one `{ image }` input. */
export function hasImageInputs(inputs: readonly unknown[]): boolean {
  return Array.isArray(inputs) && inputs.some(isImageInput);
}

/** What `encodeWithImages` needs of the model (SentenceTransformer). */
export interface MultimodalHost {
  readonly inputModule: InputModule;
  forward(features: Features): Promise<Features>;
  /** The texts' embeddings as encode makes them with this call's options (prompt, batches, truncation), unnormalized float32. */
  encodeTexts(texts: readonly string[]): Promise<DenseMatrix>;
  /** The output width for a requested truncateDim. */
  resolveTruncateDim(requested: number | undefined, fullDim: number): number;
  fullEmbeddingDimension(): number;
}

export interface MultimodalEncodeOptions {
  batchSize?: number;
  truncateDim?: number;
  normalizeEmbeddings?: boolean;
  precision?: "float32" | "int8" | "uint8" | "binary" | "ubinary";
  outputValue?: string;
}

/** A token batch of `n` rows without tokens: the `batch` of image features. */
export function emptyTokenBatch(n: number): TokenBatch {
  return { batchSize: n, seqLen: 0, inputIds: new Int32Array(0), attentionMask: new Int32Array(0), tokenTypeIds: new Int32Array(0), lengths: new Int32Array(n) };
}

/**
 * `encode` of a list that mixes texts and images: grouped by modality inside (texts through the
 * tokenizer, images through the first module's image preprocessing, `batchSize` of one modality
 * per forward pass), rows back in input order, then normalize and quantize the whole result as
 * encode does. sentence-transformers 5.7 refuses a batch that mixes modalities (ValueError) and
 * encodes such a list only with batch_size=1; grouping gives its batch_size=1 rows at any batch size.
 * INVALID_INPUT for images given to a text-only model, token embeddings of images, or inputs that
 * are neither a string nor `{ image }`.
 */
export async function encodeWithImages(host: MultimodalHost, inputs: readonly unknown[], opts: MultimodalEncodeOptions): Promise<DenseMatrix<Float32Array | Int8Array | Uint8Array>> {
  const first = host.inputModule;
  if (!acceptsImages(first)) {
    throw new SbertError("INVALID_INPUT", `this model reads text only (its first module is ${first.typeName}); { image } inputs need a model with an image tower, such as CLIP`);
  }
  if (opts.outputValue !== undefined && opts.outputValue !== "sentence_embedding") {
    throw new SbertError("INVALID_INPUT", `outputValue "${String(opts.outputValue)}" is not available for images; a CLIP model outputs sentence embeddings`);
  }
  const textIdx: number[] = [];
  const imageIdx: number[] = [];
  inputs.forEach((x, i) => {
    if (typeof x === "string") textIdx.push(i);
    else if (isImageInput(x)) imageIdx.push(i);
    else throw new SbertError("INVALID_INPUT", `inputs[${i}] must be a string or { image: path | Buffer }, got ${x === null ? "null" : typeof x}`);
  });
  const batchSize = requirePositiveInt(opts.batchSize ?? 32, "batchSize");
  const dim = host.resolveTruncateDim(opts.truncateDim, host.fullEmbeddingDimension());
  const data = new Float32Array(inputs.length * dim);

  const texts = textIdx.map((i) => inputs[i] as string);
  if (texts.length > 0) {
    const emb = await host.encodeTexts(texts);
    textIdx.forEach((orig, r) => data.set(emb.data.subarray(r * dim, (r + 1) * dim), orig * dim));
  }
  for (let start = 0; start < imageIdx.length; start += batchSize) {
    const idx = imageIdx.slice(start, start + batchSize);
    const pixels = await first.preprocessImages(idx.map((i) => inputs[i] as ImageInput));
    const emb = (await host.forward({ batch: emptyTokenBatch(idx.length), pixels })).sentenceEmbedding;
    if (!emb) throw new SbertError("INVALID_OPERATION", "the model's modules produced no image embedding");
    const width = emb.dim(-1);
    requireFiniteRows(emb.data, width, idx, "encode (images)");
    idx.forEach((orig, r) => data.set(emb.data.subarray(r * width, r * width + dim), orig * dim));
  }
  const embeddings = new DenseMatrix(data, inputs.length, dim);
  const result = opts.normalizeEmbeddings ? normalizeEmbeddings(embeddings) : embeddings;
  const precision = opts.precision ?? "float32";
  return precision === "float32" ? result : quantizeEmbeddings(result, precision);
}
