/**
 * Image processor settings: both on-disk layouts, transformers' defaults and `get_size_dict` readings
 * of int / list sizes, and typed errors for values the pipeline cannot honour.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_IMAGE_PROCESSOR_CONFIG, loadImageProcessorConfig, parseImageProcessorConfig } from "./processor-config.js";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function folder(files: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sbert-imgcfg-"));
  dirs.push(dir);
  for (const [name, v] of Object.entries(files)) await writeFile(join(dir, name), typeof v === "string" ? v : JSON.stringify(v));
  return dir;
}

describe("image processor config", () => {
  it("defaults are CLIPImageProcessor()'s", async () => {
    expect(parseImageProcessorConfig({})).toEqual(DEFAULT_IMAGE_PROCESSOR_CONFIG);
    expect(await loadImageProcessorConfig(await folder({}))).toEqual(DEFAULT_IMAGE_PROCESSOR_CONFIG);
    expect(DEFAULT_IMAGE_PROCESSOR_CONFIG).toMatchObject({ size: { shortestEdge: 224 }, cropSize: { height: 224, width: 224 }, rescaleFactor: 1 / 255 });
  });

  it("int size = shortest edge, int crop_size = square, lists are (height, width), a scalar mean applies to all channels", () => {
    const c = parseImageProcessorConfig({ size: 32, crop_size: 30, image_mean: 0.5, image_std: [1, 2, 3] });
    expect(c).toMatchObject({ size: { shortestEdge: 32 }, cropSize: { height: 30, width: 30 }, imageMean: [0.5, 0.5, 0.5], imageStd: [1, 2, 3] });
    expect(parseImageProcessorConfig({ size: [20, 40], crop_size: [10, 12] })).toMatchObject({ size: { height: 20, width: 40 }, cropSize: { height: 10, width: 12 } });
    expect(parseImageProcessorConfig({ size: { height: 5, width: 6 }, do_center_crop: false, do_normalize: false })).toMatchObject({ size: { height: 5, width: 6 }, doCenterCrop: false, doNormalize: false });
  });

  it("processor_config.json's nested image_processor wins over preprocessor_config.json", async () => {
    const dir = await folder({
      "processor_config.json": { image_processor: { size: { shortest_edge: 64 } }, processor_class: "CLIPProcessor" },
      "preprocessor_config.json": { size: 32 },
    });
    expect((await loadImageProcessorConfig(dir)).size).toEqual({ shortestEdge: 64 });
    const flat = await folder({ "processor_config.json": { processor_class: "CLIPProcessor" }, "preprocessor_config.json": { size: 32 } });
    expect((await loadImageProcessorConfig(flat)).size).toEqual({ shortestEdge: 32 });
  });

  it("values the pipeline cannot honour are typed errors", async () => {
    expect(() => parseImageProcessorConfig({ resample: 2 })).toThrow(expect.objectContaining({ code: "UNSUPPORTED_FORMAT" }));
    expect(() => parseImageProcessorConfig({ size: { shortest_edge: 10, longest_edge: 20 } })).toThrow(expect.objectContaining({ code: "UNSUPPORTED_FORMAT" }));
    expect(() => parseImageProcessorConfig({ size: -3 })).toThrow(expect.objectContaining({ code: "INVALID_MODEL_FILE" }));
    expect(() => parseImageProcessorConfig({ crop_size: { height: 3 } })).toThrow(expect.objectContaining({ code: "INVALID_MODEL_FILE" }));
    expect(() => parseImageProcessorConfig({ image_std: [1, 0, 1] })).toThrow(expect.objectContaining({ code: "INVALID_MODEL_FILE" }));
    expect(() => parseImageProcessorConfig({ image_mean: [1, 2] })).toThrow(expect.objectContaining({ code: "INVALID_MODEL_FILE" }));
    expect(() => parseImageProcessorConfig({ do_resize: "yes" })).toThrow(expect.objectContaining({ code: "INVALID_MODEL_FILE" }));
    expect(() => parseImageProcessorConfig({ rescale_factor: 0 })).toThrow(expect.objectContaining({ code: "INVALID_MODEL_FILE" }));
    await expect(loadImageProcessorConfig(await folder({ "processor_config.json": { image_processor: [] } }))).rejects.toMatchObject({ code: "INVALID_MODEL_FILE" });
    await expect(loadImageProcessorConfig(await folder({ "preprocessor_config.json": "{not json" }))).rejects.toMatchObject({ code: "INVALID_MODEL_FILE" });
  });
});
