/**
 * Golden test against Python (transformers 5.12.1 CLIPImageProcessor, torchvision backend; Pillow 13
 * decoding): for every fixture image, the uint8 image after convert-RGB + resize + center crop equals
 * `resized_cropped_uint8_chw` exactly, and `pixel_values` are within 1e-6 (they are float32 results of
 * the same operations, so in practice equal). Both fixture layouts (preprocessor_config.json of the
 * Hub's CLIP, processor_config.json of transformers 5) load to the same settings.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadImage } from "./load-image.js";
import { preprocessImages, resizeAndCrop } from "./preprocess.js";
import { loadImageProcessorConfig } from "./processor-config.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));

interface Golden {
  images: { file: string; mode: string; width: number; height: number }[];
  image_processor: { size: { shortest_edge: number }; crop_size: { height: number; width: number }; image_mean: number[]; image_std: number[]; rescale_factor: number };
  image_preprocess: { file: string; mode: string; width: number; height: number; resized_cropped_uint8_chw: number[][][]; pixel_values_chw: number[][][] }[];
}

for (const [name, configDir] of [["clip-tiny", "0_CLIPModel"], ["clip-tiny-v5layout", "."]] as const) {
  describe(`CLIP image preprocessing vs Python: ${name}`, () => {
    const root = join(FIXTURES, name);
    const golden = JSON.parse(readFileSync(join(root, "golden.json"), "utf8")) as Golden;

    it("reads the processor settings Python loaded", async () => {
      const cfg = await loadImageProcessorConfig(join(root, configDir));
      const ip = golden.image_processor;
      expect(cfg.size).toEqual({ shortestEdge: ip.size.shortest_edge });
      expect(cfg.cropSize).toEqual(ip.crop_size);
      expect(cfg.imageMean).toEqual(ip.image_mean);
      expect(cfg.imageStd).toEqual(ip.image_std);
      expect(cfg.rescaleFactor).toBe(ip.rescale_factor);
      expect([cfg.doResize, cfg.doCenterCrop, cfg.doRescale, cfg.doNormalize, cfg.doConvertRgb]).toEqual([true, true, true, true, true]);
    });

    it("has one golden per image, covering L, RGB, RGBA, upscaling and odd aspect ratios", () => {
      expect(golden.image_preprocess.length).toBe(6);
      expect(new Set(golden.image_preprocess.map((g) => g.mode))).toEqual(new Set(["L", "RGB", "RGBA"]));
    });

    for (const g of golden.image_preprocess) {
      it(`${g.file} (${g.mode} ${g.width}x${g.height}): uint8 after resize + crop is exact, pixel_values within 1e-6`, async () => {
        const cfg = await loadImageProcessorConfig(join(root, configDir));
        const img = await loadImage(join(root, g.file));
        expect([img.width, img.height, img.sourceMode]).toEqual([g.width, g.height, g.mode]);

        const { chw, height, width } = resizeAndCrop(img, cfg);
        const want = g.resized_cropped_uint8_chw.flat(2);
        expect([3, height, width]).toEqual([g.resized_cropped_uint8_chw.length, g.resized_cropped_uint8_chw[0]!.length, g.resized_cropped_uint8_chw[0]![0]!.length]);
        let mismatches = 0;
        for (let i = 0; i < want.length; i++) if (chw[i] !== want[i]) mismatches++;
        expect(mismatches).toBe(0);

        const pv = preprocessImages([img], cfg);
        expect([pv.batch, pv.channels, pv.height, pv.width]).toEqual([1, 3, height, width]);
        const wantPv = g.pixel_values_chw.flat(2);
        let maxDiff = 0;
        for (let i = 0; i < wantPv.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pv.pixelValues[i]! - wantPv[i]!));
        expect(maxDiff).toBeLessThanOrEqual(1e-6);
      });
    }

    it("a batch equals the images one by one", async () => {
      const cfg = await loadImageProcessorConfig(join(root, configDir));
      const imgs = await Promise.all(golden.image_preprocess.map((g) => loadImage(join(root, g.file))));
      const batch = preprocessImages(imgs, cfg);
      expect(batch.batch).toBe(imgs.length);
      const per = batch.channels * batch.height * batch.width;
      for (const [i, img] of imgs.entries()) {
        expect(batch.pixelValues.subarray(i * per, (i + 1) * per)).toEqual(preprocessImages([img], cfg).pixelValues);
      }
    });
  });
}
