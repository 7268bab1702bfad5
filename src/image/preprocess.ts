import { SbertError } from "../errors.js";
import type { ImageProcessorConfig } from "./processor-config.js";
import { resizeBicubicAaChw } from "./resize-bicubic-aa.js";
import { MAX_IMAGE_PIXELS, type RgbImage, checkRgbImage } from "./rgb-image.js";

/** A batch of model inputs: `pixelValues` is (batch, channels, height, width) float32, row-major. */
export interface PixelValues {
  readonly pixelValues: Float32Array;
  readonly batch: number;
  readonly channels: 3;
  readonly height: number;
  readonly width: number;
}

/**
 * CLIPImageProcessor's `pixel_values` for decoded images, as transformers 5's default
 * ("torchvision") backend computes them (transformers src/transformers/image_processing_backends.py,
 * `TorchvisionBackend._preprocess`): resize (uint8, antialiased bicubic), center crop (uint8), then
 * rescale and normalize in float32. Decode files first with `loadImage` (PNG, JPEG), which converts to
 * RGB as Pillow's `convert("RGB")` does.
 *
 * @throws SbertError `INVALID_INPUT` for an empty list or a malformed `RgbImage`; `SHAPE_MISMATCH`
 *   when the images do not end up one size (no center crop and different resized sizes);
 *   `UNSUPPORTED_FORMAT` for `do_convert_rgb: false` with a non-RGB source image.
 * @example
 * const cfg = await loadImageProcessorConfig(dir);
 * const { pixelValues, batch, height, width } = preprocessImages([await loadImage("cat.png")], cfg);
 * // pixelValues.length === batch * 3 * height * width (height = width = 224 for clip-ViT-B-32)
 */
export function preprocessImages(images: readonly RgbImage[], config: ImageProcessorConfig): PixelValues {
  if (!Array.isArray(images) || images.length === 0) throw new SbertError("INVALID_INPUT", "preprocessImages needs a non-empty list of images");
  const crops = images.map((img, i) => resizeAndCrop(img, config, `image ${i}`));
  const { height, width } = crops[0]!;
  for (const [i, c] of crops.entries()) {
    if (c.height !== height || c.width !== width) {
      throw new SbertError("SHAPE_MISMATCH", `image ${i} is ${c.width}x${c.height} after resizing, image 0 is ${width}x${height}; enable do_center_crop to batch images of different sizes`);
    }
  }
  const plane = height * width;
  const pixelValues = new Float32Array(images.length * 3 * plane);
  const { sub, div, mul } = normalization(config);
  for (const [b, c] of crops.entries()) {
    for (let ch = 0; ch < 3; ch++) {
      const o = (b * 3 + ch) * plane;
      const s = sub[ch]!, d = div[ch]!;
      for (let k = 0; k < plane; k++) {
        const x = c.chw[ch * plane + k]!;
        pixelValues[o + k] = mul !== undefined ? Math.fround(x * mul) : d !== 1 || s !== 0 ? Math.fround(Math.fround(x - s) / d) : x;
      }
    }
  }
  return { pixelValues, batch: images.length, channels: 3, height, width };
}

/**
 * The uint8 image after resize and center crop, channels first (3, height, width): what the
 * processor returns with `do_rescale=False, do_normalize=False`.
 */
export function resizeAndCrop(img: RgbImage, config: ImageProcessorConfig, what = "image"): { chw: Uint8Array; height: number; width: number } {
  checkRgbImage(img, what);
  if (!config.doConvertRgb && img.sourceMode !== undefined && img.sourceMode !== "RGB") {
    throw new SbertError("UNSUPPORTED_FORMAT", `${what}: do_convert_rgb is false but the image is ${img.sourceMode}; only RGB images can skip the conversion`);
  }
  let h = img.height, w = img.width;
  let chw = toChw(img);
  const crop = config.doCenterCrop ? config.cropSize : undefined;
  if (config.doResize) {
    const [oh, ow] = resizeOutputSize(h, w, config.size);
    // Only the part the center crop keeps is resized (the same pixels; see resizeBicubicAaChw).
    const [top, height] = cropSpan(oh, crop?.height);
    const [left, width] = cropSpan(ow, crop?.width);
    if (height * width > MAX_IMAGE_PIXELS) {
      throw new SbertError("INVALID_INPUT", `${what}: resizing ${w}x${h} gives ${ow}x${oh}, more than ${MAX_IMAGE_PIXELS} pixels`);
    }
    chw = resizeBicubicAaChw(chw, 3, h, w, oh, ow, { top, left, height, width });
    h = height;
    w = width;
  }
  if (crop) return centerCrop(chw, h, w, crop.height, crop.width);
  return { chw, height: h, width: w };
}

/** [offset, length] of the resized axis that a center crop to `crop` keeps (all of it when it pads). */
function cropSpan(size: number, crop: number | undefined): [number, number] {
  return crop !== undefined && crop <= size ? [Math.trunc((size - crop) / 2), crop] : [0, size];
}

/**
 * (height, width) after resizing. `shortestEdge`: transformers' `get_resize_output_image_size(image,
 * size, default_to_square=False)` (src/transformers/image_transforms.py): the short side becomes `size`,
 * the long side `int(size * long / short)` (truncated).
 */
export function resizeOutputSize(height: number, width: number, size: ImageProcessorConfig["size"]): [number, number] {
  if ("height" in size) return [size.height, size.width];
  const s = size.shortestEdge;
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((s * long) / short);
  return width <= height ? [newLong, s] : [s, newLong];
}

/**
 * `TorchvisionBackend.center_crop`: zero-pad (left/top get the floor half) when the crop is larger
 * than the image, then crop at top = int((h - crop_h) / 2), left = int((w - crop_w) / 2).
 */
export function centerCrop(chw: Uint8Array, h: number, w: number, ch: number, cw: number): { chw: Uint8Array; height: number; width: number } {
  let src = chw;
  if (cw > w || ch > h) {
    const left = cw > w ? Math.floor((cw - w) / 2) : 0;
    const top = ch > h ? Math.floor((ch - h) / 2) : 0;
    const ph = ch > h ? ch : h, pw = cw > w ? cw : w;
    const padded = new Uint8Array(3 * ph * pw);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < h; y++) padded.set(chw.subarray((c * h + y) * w, (c * h + y + 1) * w), (c * ph + y + top) * pw + left);
    }
    src = padded;
    h = ph;
    w = pw;
    if (h === ch && w === cw) return { chw: src, height: h, width: w };
  }
  const top = Math.trunc((h - ch) / 2), left = Math.trunc((w - cw) / 2);
  const out = new Uint8Array(3 * ch * cw);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < ch; y++) {
      const s = (c * h + top + y) * w + left;
      out.set(src.subarray(s, s + cw), (c * ch + y) * cw);
    }
  }
  return { chw: out, height: ch, width: cw };
}

function toChw(img: RgbImage): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(3 * n);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    out[i] = d[i * 3]!;
    out[n + i] = d[i * 3 + 1]!;
    out[2 * n + i] = d[i * 3 + 2]!;
  }
  return out;
}

/**
 * float32 constants of `TorchvisionBackend._rescale_and_normalize`. Rescale and normalize fused
 * (`_fuse_mean_std_and_rescale_factor`): mean' = f32(f32(mean) * f32(1 / rescale_factor)), same for std,
 * then torchvision's `normalize`: f32(f32(x - mean') / std'). Normalize only: f32(f32(x - f32(mean)) / f32(std)).
 * Rescale only: f32(x * f32(rescale_factor)). Neither: the uint8 values.
 */
function normalization(c: ImageProcessorConfig): { sub: number[]; div: number[]; mul: number | undefined } {
  const f = Math.fround;
  if (c.doNormalize) {
    const k = c.doRescale ? f(1.0 / c.rescaleFactor) : 1;
    return { sub: c.imageMean.map((m) => f(f(m) * k)), div: c.imageStd.map((s) => f(f(s) * k)), mul: undefined };
  }
  return { sub: [0, 0, 0], div: [1, 1, 1], mul: c.doRescale ? f(c.rescaleFactor) : undefined };
}
