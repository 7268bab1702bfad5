/**
 * JPEG decoding through sharp (libjpeg-turbo's decoder, as Pillow uses): channel order and values
 * (a q=100 4:4:4 JPEG of a fixture PNG stays within a few levels of the PNG), grayscale replicated,
 * no EXIF rotation (Pillow does not rotate), CMYK refused, corrupt data and absurd frame sizes refused
 * (the size is read from the SOF marker before sharp decodes anything).
 * Equality with Pillow's decoding: decode.golden.test.ts.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeJpeg, jpegSize } from "./jpeg.js";
import { loadImage } from "./load-image.js";
import { decodePng } from "./png.js";

const png = readFileSync(fileURLToPath(new URL("../../test/fixtures/clip-tiny/images/rgb_landscape_64x48.png", import.meta.url)));

describe("JPEG decoding", () => {
  it("RGB JPEG: RGB order, same size, close to the source; equals libjpeg-turbo's output as sharp returns it", async () => {
    const jpeg = await sharp(png).jpeg({ quality: 100, chromaSubsampling: "4:4:4" }).toBuffer();
    const img = await loadImage(jpeg);
    const src = decodePng(png);
    expect([img.width, img.height, img.sourceMode]).toEqual([64, 48, "RGB"]);
    let sum = 0;
    for (let i = 0; i < src.data.length; i++) sum += Math.abs(img.data[i]! - src.data[i]!);
    expect(sum / src.data.length).toBeLessThan(3);
    const raw = await sharp(jpeg).raw().toBuffer();
    expect(Array.from(img.data)).toEqual(Array.from(raw));
  });

  it("grayscale JPEG is replicated to RGB; mode L", async () => {
    const jpeg = await sharp(png).toColourspace("b-w").jpeg({ quality: 90 }).toBuffer(); // one-component JPEG
    const img = await decodeJpeg(jpeg);
    expect(img.sourceMode).toBe("L");
    for (let i = 0; i < img.width * img.height; i++) {
      expect(img.data[i * 3 + 1]).toBe(img.data[i * 3]);
      expect(img.data[i * 3 + 2]).toBe(img.data[i * 3]);
    }
  });

  it("EXIF orientation is not applied (Pillow's Image.open does not rotate)", async () => {
    const jpeg = await sharp(png).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeJpeg(jpeg);
    expect([img.width, img.height]).toEqual([64, 48]);
  });

  it("CMYK JPEG → UNSUPPORTED_FORMAT", async () => {
    const jpeg = await sharp(png).toColourspace("cmyk").jpeg().toBuffer();
    await expect(decodeJpeg(jpeg)).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT" });
  });

  it("truncated or garbled data → INVALID_INPUT", async () => {
    const jpeg = await sharp(png).jpeg().toBuffer();
    await expect(decodeJpeg(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(decodeJpeg(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00))).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("an absurd frame size in SOF is refused before decoding", async () => {
    const jpeg = new Uint8Array(await sharp(png).jpeg().toBuffer());
    expect(jpegSize(jpeg, "x")).toEqual({ width: 64, height: 48 });
    let sof = -1;
    for (let i = 2; i < jpeg.length - 1; i++) if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) { sof = i; break; }
    jpeg.set([0xff, 0xff, 0xff, 0xff], sof + 5); // height, width = 65535
    await expect(decodeJpeg(jpeg)).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/65535x65535 = 4294836225 pixels exceeds/) });
  });
});
