/**
 * The pieces of preprocessImages on their own: output size rounding, center crop with padding,
 * the resize weights, the float32 order of rescale/normalize in each do_* combination, and errors.
 * (Values against Python: preprocess.golden.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { centerCrop, preprocessImages, resizeAndCrop, resizeOutputSize } from "./preprocess.js";
import { DEFAULT_IMAGE_PROCESSOR_CONFIG, type ImageProcessorConfig } from "./processor-config.js";
import { bicubicAaWeights, resizeBicubicAaChw } from "./resize-bicubic-aa.js";
import type { RgbImage } from "./rgb-image.js";

const cfg = (over: Partial<ImageProcessorConfig>): ImageProcessorConfig => ({ ...DEFAULT_IMAGE_PROCESSOR_CONFIG, size: { shortestEdge: 4 }, cropSize: { height: 4, width: 4 }, ...over });
const image = (width: number, height: number, f: (i: number) => number = (i) => (i * 7) % 256): RgbImage => ({ width, height, data: Uint8Array.from({ length: width * height * 3 }, (_, i) => f(i)) });

describe("resize output size (get_resize_output_image_size, default_to_square=False)", () => {
  it("short side = shortest_edge, long side truncated, orientation kept", () => {
    expect(resizeOutputSize(48, 64, { shortestEdge: 32 })).toEqual([32, 42]); // 42.67 → 42
    expect(resizeOutputSize(72, 40, { shortestEdge: 32 })).toEqual([57, 32]); // 57.6 → 57
    expect(resizeOutputSize(12, 20, { shortestEdge: 32 })).toEqual([32, 53]);
    expect(resizeOutputSize(50, 50, { shortestEdge: 32 })).toEqual([32, 32]);
    expect(resizeOutputSize(3, 1000, { shortestEdge: 224 })).toEqual([224, 74666]);
    expect(resizeOutputSize(48, 64, { height: 10, width: 20 })).toEqual([10, 20]);
  });
});

describe("center crop (TorchvisionBackend.center_crop)", () => {
  it("top/left are int((size - crop) / 2)", () => {
    const h = 5, w = 4;
    const chw = Uint8Array.from({ length: 3 * h * w }, (_, i) => i);
    const { chw: out } = centerCrop(chw, h, w, 2, 2); // top = int(1.5) = 1, left = 1
    expect(Array.from(out.subarray(0, 4))).toEqual([1 * 4 + 1, 1 * 4 + 2, 2 * 4 + 1, 2 * 4 + 2]);
    expect(Array.from(out.subarray(8, 12))).toEqual([40 + 5, 40 + 6, 40 + 9, 40 + 10]);
  });

  it("a crop larger than the image zero-pads, left/top getting the floor half", () => {
    const chw = Uint8Array.from([9, 9, 9]); // 1x1 image, 3 channels
    const { chw: out, height, width } = centerCrop(chw, 1, 1, 3, 4);
    expect([height, width]).toEqual([3, 4]);
    const plane = Array.from(out.subarray(0, 12));
    expect(plane).toEqual([0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0]); // left = (4-1)//2 = 1, top = (3-1)//2 = 1
    const wide = centerCrop(Uint8Array.from({ length: 3 * 2 * 6 }, (_, i) => i + 1), 2, 6, 4, 2); // pad rows, crop columns
    expect([wide.height, wide.width]).toEqual([4, 2]);
    expect(Array.from(wide.chw.subarray(0, 8))).toEqual([0, 0, 3, 4, 9, 10, 0, 0]);
  });
});

describe("antialiased bicubic weights and passes", () => {
  it("each output's int16 weights sum to about 2^precision, the largest fits int16", () => {
    for (const [inS, outS] of [[64, 42], [12, 32], [97, 94], [1000, 7], [1, 5], [5, 1]] as const) {
      const w = bicubicAaWeights(inS, outS);
      expect(w.precision).toBeGreaterThan(0);
      for (let i = 0; i < outS; i++) {
        let sum = 0;
        for (let j = 0; j < w.size[i]!; j++) sum += w.weights[i * w.taps + j]!;
        expect(Math.abs(sum - 2 ** w.precision)).toBeLessThanOrEqual(w.size[i]!);
        expect(w.start[i]! + w.size[i]!).toBeLessThanOrEqual(inS);
      }
    }
  });

  it("same size copies; a constant image stays constant; one changed axis leaves the other alone", () => {
    const chw = Uint8Array.from({ length: 3 * 6 * 5 }, (_, i) => (i * 31) % 256);
    expect(resizeBicubicAaChw(chw, 3, 6, 5, 6, 5)).toEqual(chw);
    for (const v of [0, 1, 128, 254, 255]) {
      const flat = new Uint8Array(3 * 9 * 13).fill(v);
      expect(new Set(resizeBicubicAaChw(flat, 3, 9, 13, 4, 30))).toEqual(new Set([v]));
    }
    const rowsConst = Uint8Array.from({ length: 3 * 6 * 5 }, (_, i) => i % 5); // every row identical
    const out = resizeBicubicAaChw(rowsConst, 3, 6, 5, 6, 3);
    for (let r = 1; r < 18; r++) expect(Array.from(out.subarray(r * 3, r * 3 + 3))).toEqual(Array.from(out.subarray(0, 3)));
  });
});

describe("resizing only the crop window", () => {
  it("a window of the resize equals the same slice of the full resize (every pass combination)", () => {
    for (const [inH, inW, outH, outW] of [[9, 13, 4, 30], [20, 7, 20, 3], [6, 11, 15, 11], [5, 5, 5, 5], [40, 3, 17, 9]] as const) {
      const chw = Uint8Array.from({ length: 3 * inH * inW }, (_, i) => (i * 89 + 7) % 256);
      const full = resizeBicubicAaChw(chw, 3, inH, inW, outH, outW);
      const win = { top: Math.floor(outH / 3), left: Math.floor(outW / 4), height: Math.ceil(outH / 2), width: Math.ceil(outW / 2) };
      const part = resizeBicubicAaChw(chw, 3, inH, inW, outH, outW, win);
      for (let c = 0; c < 3; c++) for (let y = 0; y < win.height; y++) for (let x = 0; x < win.width; x++) {
        expect(part[(c * win.height + y) * win.width + x]).toBe(full[(c * outH + win.top + y) * outW + win.left + x]);
      }
    }
  });

  it("resizeAndCrop equals full resize then center crop, also for an extreme aspect ratio", () => {
    for (const [w, h, crop] of [[64, 48, 32], [40, 72, 32], [20, 12, 32], [3, 500, 8], [7, 3, 5]] as const) {
      const img = image(w, h);
      const c = cfg({ size: { shortestEdge: crop }, cropSize: { height: crop, width: crop } });
      const [oh, ow] = resizeOutputSize(h, w, c.size);
      const full = resizeBicubicAaChw(resizeAndCrop(img, { ...c, doResize: false, doCenterCrop: false }).chw, 3, h, w, oh, ow);
      expect(resizeAndCrop(img, c).chw).toEqual(centerCrop(full, oh, ow, crop, crop).chw);
    }
  });

  it("a resize to more than MAX_IMAGE_PIXELS without a crop is refused; with a crop only the window is allocated", () => {
    const sliver = image(1, 20_000);
    expect(() => resizeAndCrop(sliver, cfg({ size: { shortestEdge: 10_000 }, doCenterCrop: false }))).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    const r = resizeAndCrop(image(1, 5000), cfg({ size: { shortestEdge: 300 }, cropSize: { height: 4, width: 4 } })); // 1,500,000 x 300 never allocated
    expect([r.height, r.width]).toEqual([4, 4]);
  });
});

describe("rescale / normalize in float32, as TorchvisionBackend._rescale_and_normalize", () => {
  const img = image(4, 4);
  const u8 = resizeAndCrop(img, cfg({})).chw;
  const f = Math.fround;
  it("fused: (x - f32(f32(mean) * 255)) / f32(f32(std) * 255)", () => {
    const pv = preprocessImages([img], cfg({})).pixelValues;
    const m = f(f(0.48145466) * 255), s = f(f(0.26862954) * 255);
    expect(pv[0]).toBe(f(f(u8[0]! - m) / s));
  });
  it("normalize only: (x - mean) / std in float32; rescale only: x * f32(factor); neither: the uint8 values", () => {
    const n = preprocessImages([img], cfg({ doRescale: false })).pixelValues;
    expect(n[0]).toBe(f(f(u8[0]! - f(0.48145466)) / f(0.26862954)));
    const r = preprocessImages([img], cfg({ doNormalize: false })).pixelValues;
    expect(r[5]).toBe(f(u8[5]! * f(1 / 255)));
    const raw = preprocessImages([img], cfg({ doNormalize: false, doRescale: false })).pixelValues;
    expect(Array.from(raw)).toEqual(Array.from(u8));
  });
});

describe("preprocessImages input checks", () => {
  it("empty list, malformed image → INVALID_INPUT; unequal sizes without crop → SHAPE_MISMATCH", () => {
    expect(() => preprocessImages([], cfg({}))).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    expect(() => preprocessImages([{ width: 2, height: 2, data: new Uint8Array(11) }], cfg({}))).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    expect(() => preprocessImages([image(4, 8), image(8, 4)], cfg({ doCenterCrop: false }))).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
    const ok = preprocessImages([image(4, 8), image(4, 8)], cfg({ doCenterCrop: false }));
    expect([ok.batch, ok.height, ok.width]).toEqual([2, 8, 4]);
  });
  it("do_convert_rgb false is refused for a non-RGB source, accepted for RGB", () => {
    const gray = { ...image(4, 4), sourceMode: "L" };
    expect(() => preprocessImages([gray], cfg({ doConvertRgb: false }))).toThrow(expect.objectContaining({ code: "UNSUPPORTED_FORMAT" }));
    expect(preprocessImages([{ ...gray, sourceMode: "RGB" }], cfg({ doConvertRgb: false })).batch).toBe(1);
  });
  it("do_resize false crops the original", () => {
    const pv = preprocessImages([image(6, 6)], cfg({ doResize: false, doNormalize: false, doRescale: false }));
    expect([pv.height, pv.width]).toEqual([4, 4]);
    expect(pv.pixelValues[0]).toBe(image(6, 6).data[(1 * 6 + 1) * 3]);
  });
});
