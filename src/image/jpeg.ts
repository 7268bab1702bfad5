import { SbertError } from "../errors.js";
import { MAX_IMAGE_PIXELS, type RgbImage, checkImageSize } from "./rgb-image.js";

/**
 * JPEG → the RGB image of Pillow's `Image.open(path).convert("RGB")`, decoded by sharp 0.35.5
 * (libvips 8.18 with mozjpeg, a libjpeg-turbo fork whose decoder is libjpeg-turbo's).
 *
 * Why sharp: JPEG decoding is not bit-defined (IDCT and chroma upsampling are the decoder's choice).
 * Pillow decodes with libjpeg-turbo at its defaults (JDCT_ISLOW integer IDCT, "fancy" triangular chroma
 * upsampling); libvips calls the same library with the same defaults. On the 24 Pillow-written JPEGs
 * of test/fixtures/image-decode-pillow (4:4:4, 4:2:2, 4:2:0, progressive, grayscale) sharp's pixels
 * equal Pillow 9.4 / libjpeg-turbo 2.1.5's exactly, where the pure-JS jpeg-js 0.4.4 (unmaintained
 * since 2022; its own IDCT and chroma upsampling) differs in 20-60% of the values of the colour files,
 * by up to 86 levels at colour edges. sharp is an optional dependency loaded on first use
 * (a PNG-only user never needs it). Options that keep Pillow's behaviour: no EXIF auto-orientation
 * (Pillow does not rotate), `ignoreIcc` (Pillow does not colour-manage), `failOn: "error"` (Pillow
 * refuses truncated data). CMYK/YCCK JPEGs are refused (Pillow's CMYK → RGB is its own formula).
 */
export async function decodeJpeg(bytes: Uint8Array, opts: { maxPixels?: number; what?: string } = {}): Promise<RgbImage> {
  const what = opts.what ?? "JPEG image";
  const maxPixels = opts.maxPixels ?? MAX_IMAGE_PIXELS;
  const size = jpegSize(bytes, what);
  checkImageSize(size.width, size.height, maxPixels, what);
  const sharp = await loadSharp();
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  let space: string | undefined;
  try {
    const img = sharp(input, { failOn: "error", limitInputPixels: maxPixels, autoOrient: false, ignoreIcc: true });
    space = (await img.metadata()).space;
    if (space !== "srgb" && space !== "b-w") {
      throw new SbertError("UNSUPPORTED_FORMAT", `${what}: JPEG colour space ${space ?? "unknown"} is not supported (only YCbCr/RGB and grayscale)`);
    }
    decoded = await img.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    if (e instanceof SbertError) throw e;
    throw new SbertError("INVALID_INPUT", `${what}: corrupt or unreadable JPEG (${(e as Error).message})`, { cause: e });
  }
  const { width, height, channels } = decoded.info;
  const n = width * height;
  const data = new Uint8Array(n * 3);
  const src = decoded.data;
  for (let i = 0; i < n; i++) {
    if (channels < 3) data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = src[i * channels]!;
    else {
      data[i * 3] = src[i * channels]!;
      data[i * 3 + 1] = src[i * channels + 1]!;
      data[i * 3 + 2] = src[i * channels + 2]!;
    }
  }
  return { width, height, data, sourceMode: space === "b-w" ? "L" : "RGB" };
}

/** True when `bytes` starts with a JPEG SOI marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * The frame size from the first SOF marker (ITU T.81, B.2.2), read before anything is decoded so
 * that an absurd size is refused without allocating.
 */
export function jpegSize(bytes: Uint8Array, what: string): { width: number; height: number } {
  const bad = (m: string): SbertError => new SbertError("INVALID_INPUT", `${what}: corrupt JPEG (${m})`);
  if (!isJpeg(bytes)) throw bad("no SOI marker");
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw bad(`expected a marker at byte ${pos}`);
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) { pos += 1; continue; } // fill byte
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { pos += 2; continue; }
    const len = (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    if (len < 2 || pos + 2 + len > bytes.length) throw bad(`segment at byte ${pos} runs past the end`);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (len < 8) throw bad("short SOF segment");
      return { height: (bytes[pos + 5]! << 8) | bytes[pos + 6]!, width: (bytes[pos + 7]! << 8) | bytes[pos + 8]! };
    }
    if (marker === 0xda || marker === 0xd9) break;
    pos += 2 + len;
  }
  throw bad("no frame header (SOF) before the image data");
}

type SharpFactory = (input: Buffer, options: Record<string, unknown>) => {
  metadata(): Promise<{ space?: string }>;
  raw(): { toBuffer(o: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number; channels: number } }> };
};

let sharpModule: Promise<SharpFactory> | undefined;

function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import("sharp").then(
    (m) => ((m as { default?: unknown }).default ?? m) as SharpFactory,
    (e: unknown) => {
      sharpModule = undefined;
      throw new SbertError("UNSUPPORTED_FORMAT", "decoding JPEG needs the optional dependency sharp: npm install sharp@0.35.5", { cause: e });
    },
  );
  return sharpModule;
}
