import { SbertError } from "../errors.js";

/**
 * A decoded 8-bit RGB image, rows top to bottom, pixels interleaved: `data[(y * width + x) * 3 + c]`
 * with c = 0 (R), 1 (G), 2 (B). This is what PIL's `Image.convert("RGB")` holds.
 *
 * @example
 * const img: RgbImage = { width: 2, height: 1, data: Uint8Array.of(255, 0, 0, 0, 0, 255) }; // red, blue
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** (height, width, 3) uint8, HWC. */
  readonly data: Uint8Array;
  /**
   * Pillow's mode of the decoded file before the conversion to RGB ("RGB", "L", "RGBA", "P", "LA",
   * "I;16", "1"); absent for pixels made in memory (taken as RGB).
   */
  readonly sourceMode?: string;
}

/**
 * Largest number of pixels a decoder accepts before it allocates anything: Pillow's
 * `Image.MAX_IMAGE_PIXELS` (`int(1024 * 1024 * 1024 // 4 // 3)` = 89,478,485, src/PIL/Image.py) times 2,
 * the size at which Pillow raises `DecompressionBombError` instead of warning.
 */
export const MAX_IMAGE_PIXELS = 2 * Math.floor((1024 * 1024 * 1024) / 4 / 3);

/** Throws `INVALID_INPUT` unless `width` x `height` is a plausible image size (1.. `maxPixels` pixels). */
export function checkImageSize(width: number, height: number, maxPixels: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new SbertError("INVALID_INPUT", `${what}: image size ${width}x${height} is not a positive integer size`);
  }
  if (width * height > maxPixels) {
    throw new SbertError(
      "INVALID_INPUT",
      `${what}: image of ${width}x${height} = ${width * height} pixels exceeds the limit of ${maxPixels} pixels ` +
        "(a decompression bomb, or pass a larger maxPixels if the image is genuine)",
    );
  }
}

/** Throws `INVALID_INPUT` unless `img` is a well-formed `RgbImage`. */
export function checkRgbImage(img: RgbImage, what: string): void {
  if (typeof img !== "object" || img === null || !(img.data instanceof Uint8Array)) {
    throw new SbertError("INVALID_INPUT", `${what}: expected an RgbImage { width, height, data: Uint8Array }`);
  }
  checkImageSize(img.width, img.height, MAX_IMAGE_PIXELS, what);
  if (img.data.length !== img.width * img.height * 3) {
    throw new SbertError(
      "INVALID_INPUT",
      `${what}: RgbImage data holds ${img.data.length} bytes, ${img.width}x${img.height}x3 = ${img.width * img.height * 3} expected`,
    );
  }
}
