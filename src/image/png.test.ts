/**
 * PNG decoding with Pillow's `convert("RGB")` (the table in png.ts), on PNGs written with known
 * samples; filters and interlacing must not change the pixels; corrupt files are refused with typed
 * errors, absurd sizes before anything is allocated. The fixture PNGs agree with sharp/libpng.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { decodeImageBytes, loadImage } from "./load-image.js";
import { decodePng } from "./png.js";
import { chunk, encodePng, type PngSpec } from "./testdata/png-writer.js";

const rgb = (spec: PngSpec): number[] => Array.from(decodePng(encodePng(spec)).data);
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof SbertError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return undefined;
};

describe("PNG → RGB as Pillow's convert('RGB')", () => {
  it("8-bit gray is replicated; mode L", () => {
    const img = decodePng(encodePng({ width: 3, height: 1, colorType: 0, depth: 8, samples: [0, 7, 255] }));
    expect(Array.from(img.data)).toEqual([0, 0, 0, 7, 7, 7, 255, 255, 255]);
    expect(img.sourceMode).toBe("L");
  });

  it("1/2/4-bit gray scale to 0..255 (Pillow's 1, L;2, L;4 unpackers)", () => {
    expect(rgb({ width: 3, height: 1, colorType: 0, depth: 1, samples: [1, 0, 1] })).toEqual([255, 255, 255, 0, 0, 0, 255, 255, 255]);
    expect(rgb({ width: 4, height: 1, colorType: 0, depth: 2, samples: [0, 1, 2, 3] }).filter((_, i) => i % 3 === 0)).toEqual([0, 85, 170, 255]);
    expect(rgb({ width: 3, height: 1, colorType: 0, depth: 4, samples: [0, 9, 15] }).filter((_, i) => i % 3 === 0)).toEqual([0, 153, 255]);
  });

  it("16-bit gray (I;16) clamps to 255; 16-bit RGB, LA and RGBA take the high byte", () => {
    const g = decodePng(encodePng({ width: 4, height: 1, colorType: 0, depth: 16, samples: [200, 255, 256, 65535] }));
    expect(g.sourceMode).toBe("I;16");
    expect(Array.from(g.data).filter((_, i) => i % 3 === 0)).toEqual([200, 255, 255, 255]);
    expect(rgb({ width: 1, height: 1, colorType: 2, depth: 16, samples: [0x12ff, 0x3400, 0xffff] })).toEqual([0x12, 0x34, 0xff]);
    expect(rgb({ width: 1, height: 1, colorType: 4, depth: 16, samples: [0xabcd, 0x0000] })).toEqual([0xab, 0xab, 0xab]);
    expect(rgb({ width: 1, height: 1, colorType: 6, depth: 16, samples: [0x0102, 0x0304, 0x0506, 0] })).toEqual([1, 3, 5]);
  });

  it("alpha is dropped without compositing (RGBA, LA), also for fully transparent pixels", () => {
    expect(rgb({ width: 2, height: 1, colorType: 6, depth: 8, samples: [10, 20, 30, 0, 40, 50, 60, 128] })).toEqual([10, 20, 30, 40, 50, 60]);
    expect(rgb({ width: 2, height: 1, colorType: 4, depth: 8, samples: [99, 0, 7, 255] })).toEqual([99, 99, 99, 7, 7, 7]);
  });

  it("palettes expand (8- and 4-bit); tRNS changes no colour (palette, RGB, gray)", () => {
    const palette = [1, 2, 3, 40, 50, 60, 255, 0, 128];
    expect(rgb({ width: 3, height: 1, colorType: 3, depth: 8, samples: [2, 0, 1], palette, trns: [0, 0, 0] })).toEqual([255, 0, 128, 1, 2, 3, 40, 50, 60]);
    expect(rgb({ width: 3, height: 1, colorType: 3, depth: 4, samples: [1, 2, 0], palette })).toEqual([40, 50, 60, 255, 0, 128, 1, 2, 3]);
    expect(rgb({ width: 2, height: 1, colorType: 2, depth: 8, samples: [9, 8, 7, 1, 1, 1], trns: [0, 9, 0, 8, 0, 7] })).toEqual([9, 8, 7, 1, 1, 1]);
    expect(rgb({ width: 2, height: 1, colorType: 0, depth: 8, samples: [5, 6], trns: [0, 5] })).toEqual([5, 5, 5, 6, 6, 6]);
    const p = decodePng(encodePng({ width: 1, height: 1, colorType: 3, depth: 8, samples: [0], palette }));
    expect(p.sourceMode).toBe("P");
  });

  it("every filter type and Adam7 interlacing give the same pixels", () => {
    for (const [w, h] of [[1, 1], [3, 2], [9, 10], [17, 5]] as const) {
      for (const [colorType, depth, ch] of [[2, 8, 3], [6, 16, 4], [0, 2, 1], [4, 8, 2]] as const) {
        const samples = Array.from({ length: w * h * ch }, (_, i) => (i * 37 + 11) % (depth === 16 ? 65536 : 1 << depth));
        const base = rgb({ width: w, height: h, colorType, depth, samples });
        for (const filter of [1, 2, 3, 4]) expect(rgb({ width: w, height: h, colorType, depth, samples, filter })).toEqual(base);
        for (const filter of [0, 4]) expect(rgb({ width: w, height: h, colorType, depth, samples, filter, interlace: true })).toEqual(base);
      }
    }
  });

  it("the fixture PNGs decode as libpng (through sharp) decodes them", async () => {
    const sharp = (await import("sharp")).default;
    for (const f of ["rgb_landscape_64x48.png", "gray_L_50x50.png", "rgba_transparent_48x48.png"]) {
      const bytes = readFileSync(fileURLToPath(new URL(`../../test/fixtures/clip-tiny/images/${f}`, import.meta.url)));
      const mine = decodePng(bytes);
      const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      const theirs: number[] = [];
      for (let i = 0; i < info.width * info.height; i++) for (let c = 0; c < 3; c++) theirs.push(data[i * info.channels + (info.channels < 3 ? 0 : c)]!);
      expect([mine.width, mine.height]).toEqual([info.width, info.height]);
      expect(Array.from(mine.data)).toEqual(theirs);
    }
  });
});

describe("bad PNG input → typed errors", () => {
  const ok = encodePng({ width: 2, height: 2, colorType: 2, depth: 8, samples: Array(12).fill(3) as number[] });

  it("absurd dimensions are refused before any pixel buffer or inflate (decompression bomb)", () => {
    const ihdr = new Uint8Array(13);
    new DataView(ihdr.buffer).setUint32(0, 100_000);
    new DataView(ihdr.buffer).setUint32(4, 100_000);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const bomb = Buffer.concat([ok.subarray(0, 8), chunk("IHDR", ihdr), chunk("IEND", new Uint8Array(0))]);
    expect(code(() => decodePng(bomb))).toMatch(/^INVALID_INPUT: .*10000000000 pixels exceeds the limit of 178956970/);
    expect(code(() => decodePng(ok, { maxPixels: 3 }))).toMatch(/^INVALID_INPUT: .*exceeds the limit of 3 pixels/);
    const zero = new Uint8Array(ihdr);
    new DataView(zero.buffer).setUint32(0, 0);
    expect(code(() => decodePng(Buffer.concat([ok.subarray(0, 8), chunk("IHDR", zero), chunk("IEND", new Uint8Array(0))])))).toMatch(/^INVALID_INPUT: .*not a positive/);
  });

  it("corrupt files: CRC, truncation, filter type, palette index, bit depth, chunk order, extra data", () => {
    const flipped = new Uint8Array(ok);
    flipped[20]! ^= 1; // inside IHDR data → CRC mismatch
    expect(code(() => decodePng(flipped))).toMatch(/^INVALID_INPUT: .*CRC mismatch in chunk "IHDR"/);
    expect(code(() => decodePng(ok.subarray(0, ok.length - 20)))).toMatch(/^INVALID_INPUT: .*corrupt PNG/);
    expect(code(() => decodePng(encodePng({ width: 8, height: 8, colorType: 2, depth: 8, samples: Array(192).fill(9) as number[], truncate: 6 })))).toMatch(/^INVALID_INPUT: .*(truncated|inflate)/);
    const full = { width: 8, height: 8, colorType: 2, depth: 8, samples: Array.from({ length: 192 }, (_, i) => i) } as const;
    expect(rgb({ ...full, truncate: 4 })).toEqual(rgb(full)); // only the Adler-32 is missing: every row is there, as Pillow accepts
    expect(code(() => decodePng(encodePng({ width: 2, height: 1, colorType: 0, depth: 8, samples: [1, 2], filter: 7 })))).toMatch(/^INVALID_INPUT: .*filter type 7/);
    expect(code(() => decodePng(encodePng({ width: 1, height: 1, colorType: 3, depth: 8, samples: [5], palette: [1, 2, 3] })))).toMatch(/^INVALID_INPUT: .*palette index 5 past the 1-colour palette/);
    expect(code(() => decodePng(encodePng({ width: 1, height: 1, colorType: 2, depth: 4, samples: [1, 2, 3] })))).toMatch(/^INVALID_INPUT: .*colour type 2 with bit depth 4/);
    expect(code(() => decodePng(encodePng({ width: 1, height: 1, colorType: 3, depth: 8, samples: [0] })))).toMatch(/^INVALID_INPUT: .*without PLTE/);
    const noIhdr = Buffer.concat([ok.subarray(0, 8), chunk("IEND", new Uint8Array(0))]);
    expect(code(() => decodePng(noIhdr))).toMatch(/^INVALID_INPUT: .*first chunk is not IHDR/);
  });

  it("decodeImageBytes refuses what is neither PNG nor JPEG; loadImage reports missing files and bad RgbImages", async () => {
    await expect(decodeImageBytes(new TextEncoder().encode("GIF89a..."))).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT" });
    await expect(decodeImageBytes(new Uint8Array(0))).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT" });
    await expect(loadImage("/nonexistent/cat.png")).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
    await expect(loadImage({ width: 2, height: 2, data: new Uint8Array(5) })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(loadImage({ width: 0, height: 2, data: new Uint8Array(0) })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    const img = await loadImage(ok);
    expect([img.width, img.height, img.sourceMode]).toEqual([2, 2, "RGB"]);
  });
});
