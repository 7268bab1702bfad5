import { readFile } from "node:fs/promises";
import { SbertError } from "../errors.js";
import { decodeJpeg, isJpeg } from "./jpeg.js";
import { decodePng, isPng } from "./png.js";
import { type RgbImage, checkRgbImage } from "./rgb-image.js";

/** An image as callers pass it: a file path, the bytes of a PNG/JPEG file, or decoded RGB pixels. */
export type ImageSource = string | Uint8Array | RgbImage;

export interface LoadImageOptions {
  /** Refuse images of more pixels than this before decoding (default `MAX_IMAGE_PIXELS`, Pillow's bomb limit). */
  readonly maxPixels?: number;
}

/**
 * Decodes an image to RGB as Pillow's `Image.open(src).convert("RGB")` does: grayscale replicated,
 * alpha dropped without compositing, palettes expanded, 16-bit to 8-bit as Pillow does (see png.ts).
 * The format is sniffed from the bytes, not the file name. An `RgbImage` is checked and returned as is.
 *
 * @throws SbertError `FILE_NOT_FOUND` (no such path), `INVALID_INPUT` (corrupt file, absurd size),
 *   `UNSUPPORTED_FORMAT` (not PNG/JPEG, CMYK JPEG, JPEG without the optional sharp)
 * @example
 * const img = await loadImage("photo.jpg"); // { width, height, data: Uint8Array (H, W, 3), sourceMode: "RGB" }
 */
export async function loadImage(src: ImageSource, opts: LoadImageOptions = {}): Promise<RgbImage> {
  if (typeof src === "string") return decodeImageBytes(await readImageFile(src), { ...opts, what: src });
  if (src instanceof Uint8Array) return decodeImageBytes(src, { ...opts, what: "image bytes" });
  checkRgbImage(src, "image");
  return src;
}

/** `loadImage` for each source, in order. */
export function loadImages(srcs: readonly ImageSource[], opts: LoadImageOptions = {}): Promise<RgbImage[]> {
  return Promise.all(srcs.map((s) => loadImage(s, opts)));
}

/** Decodes PNG or JPEG bytes (sniffed from the signature). */
export async function decodeImageBytes(bytes: Uint8Array, opts: LoadImageOptions & { what?: string } = {}): Promise<RgbImage> {
  const what = opts.what ?? "image";
  const o = { what, ...(opts.maxPixels !== undefined ? { maxPixels: opts.maxPixels } : {}) };
  if (isPng(bytes)) return decodePng(bytes, o);
  if (isJpeg(bytes)) return decodeJpeg(bytes, o);
  throw new SbertError("UNSUPPORTED_FORMAT", `${what}: not a PNG or JPEG file (first bytes ${Buffer.from(bytes.subarray(0, 8)).toString("hex") || "none"})`);
}

async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new SbertError("FILE_NOT_FOUND", `image file ${path} does not exist`);
    throw new SbertError("INVALID_INPUT", `cannot read image file ${path}: ${(e as Error).message}`, { cause: e });
  }
}
