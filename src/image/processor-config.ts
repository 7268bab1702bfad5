import { join } from "node:path";
import { SbertError } from "../errors.js";
import { type JsonObject, readJsonObject } from "../io/json-file.js";

/**
 * The settings of transformers' `CLIPImageProcessor`, parsed from the on-disk snake_case keys.
 * Defaults are the class's (transformers src/transformers/models/clip/image_processing_clip.py):
 * shortest edge 224, BICUBIC (3), center crop 224x224, rescale 1/255, OpenAI CLIP mean/std, convert RGB.
 */
export interface ImageProcessorConfig {
  readonly doResize: boolean;
  /** `{ shortestEdge }` keeps the aspect ratio; `{ height, width }` resizes to exactly that size. */
  readonly size: { readonly shortestEdge: number } | { readonly height: number; readonly width: number };
  /** PIL resampling code; only 3 (BICUBIC) is implemented. */
  readonly resample: 3;
  readonly doCenterCrop: boolean;
  readonly cropSize: { readonly height: number; readonly width: number };
  readonly doRescale: boolean;
  readonly rescaleFactor: number;
  readonly doNormalize: boolean;
  readonly imageMean: readonly number[];
  readonly imageStd: readonly number[];
  readonly doConvertRgb: boolean;
}

/** transformers' OPENAI_CLIP_MEAN / OPENAI_CLIP_STD (src/transformers/image_utils.py). */
export const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/** `CLIPImageProcessor()` with no arguments. */
export const DEFAULT_IMAGE_PROCESSOR_CONFIG: ImageProcessorConfig = {
  doResize: true,
  size: { shortestEdge: 224 },
  resample: 3,
  doCenterCrop: true,
  cropSize: { height: 224, width: 224 },
  doRescale: true,
  rescaleFactor: 1 / 255,
  doNormalize: true,
  imageMean: OPENAI_CLIP_MEAN,
  imageStd: OPENAI_CLIP_STD,
  doConvertRgb: true,
};

/**
 * Reads the image processor settings of a model folder as transformers 5 does
 * (`image_processing_base.py` `get_image_processor_dict`): the `image_processor` object nested in
 * `processor_config.json` when there is one (the transformers-5 layout), else `preprocessor_config.json`
 * (the transformers-4 layout of the Hub's CLIP models). Neither file: the defaults.
 *
 * @example
 * const cfg = await loadImageProcessorConfig("models/clip/0_CLIPModel"); // cfg.size = { shortestEdge: 224 }
 */
export async function loadImageProcessorConfig(dir: string): Promise<ImageProcessorConfig> {
  const processor = await readJsonObject(dir, "processor_config.json", { optional: true });
  const nested = processor?.["image_processor"];
  if (nested !== undefined) {
    if (typeof nested !== "object" || nested === null || Array.isArray(nested)) {
      throw new SbertError("INVALID_MODEL_FILE", `${join(dir, "processor_config.json")}: "image_processor" must be an object`);
    }
    return parseImageProcessorConfig(nested as JsonObject, join(dir, "processor_config.json"));
  }
  const flat = await readJsonObject(dir, "preprocessor_config.json", { optional: true });
  return flat === undefined ? DEFAULT_IMAGE_PROCESSOR_CONFIG : parseImageProcessorConfig(flat, join(dir, "preprocessor_config.json"));
}

/**
 * Parses one image processor dict (snake_case keys). An int `size` means the shortest edge and an
 * int `crop_size` a square, as transformers' `get_size_dict(size, default_to_square=False)` /
 * `get_size_dict(crop_size, default_to_square=True)` read them; a 2-list is (height, width).
 * Unknown keys (`image_processor_type`, `feature_extractor_type`, ...) are ignored.
 */
export function parseImageProcessorConfig(raw: JsonObject, file = "image processor config"): ImageProcessorConfig {
  const bad = (key: string, want: string): SbertError =>
    new SbertError("INVALID_MODEL_FILE", `${file}: "${key}" must be ${want}, got ${JSON.stringify(raw[key])}`);
  const d = DEFAULT_IMAGE_PROCESSOR_CONFIG;
  const bool = (key: string, dflt: boolean): boolean => {
    const v = raw[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "boolean") throw bad(key, "true or false");
    return v;
  };
  const posInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;
  const triple = (key: string, dflt: readonly number[]): readonly number[] => {
    const v = raw[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v === "number" && Number.isFinite(v)) return [v, v, v];
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number" && Number.isFinite(x))) return v as number[];
    throw bad(key, "a number or a list of 3 numbers (one per RGB channel)");
  };

  let size: ImageProcessorConfig["size"] = d.size;
  const s = raw["size"];
  if (posInt(s)) size = { shortestEdge: s };
  else if (Array.isArray(s) && s.length === 2 && s.every(posInt)) size = { height: s[0] as number, width: s[1] as number };
  else if (typeof s === "object" && s !== null && !Array.isArray(s)) {
    const o = s as JsonObject;
    const keys = Object.keys(o).filter((k) => o[k] !== null).sort().join(",");
    if (keys === "shortest_edge" && posInt(o["shortest_edge"])) size = { shortestEdge: o["shortest_edge"] };
    else if (keys === "height,width" && posInt(o["height"]) && posInt(o["width"])) size = { height: o["height"], width: o["width"] };
    else throw new SbertError("UNSUPPORTED_FORMAT", `${file}: "size" ${JSON.stringify(s)} is not supported; use {"shortest_edge": n} or {"height": h, "width": w}`);
  } else if (s !== undefined && s !== null) throw bad("size", 'an integer, [height, width], {"shortest_edge": n} or {"height": h, "width": w}');

  let cropSize = d.cropSize;
  const c = raw["crop_size"];
  if (posInt(c)) cropSize = { height: c, width: c };
  else if (Array.isArray(c) && c.length === 2 && c.every(posInt)) cropSize = { height: c[0] as number, width: c[1] as number };
  else if (typeof c === "object" && c !== null && !Array.isArray(c)) {
    const o = c as JsonObject;
    if (!posInt(o["height"]) || !posInt(o["width"])) throw bad("crop_size", '{"height": h, "width": w} with positive integers');
    cropSize = { height: o["height"], width: o["width"] };
  } else if (c !== undefined && c !== null) throw bad("crop_size", 'an integer, [height, width] or {"height": h, "width": w}');

  const resample = raw["resample"] ?? 3;
  if (resample !== 3) {
    throw new SbertError("UNSUPPORTED_FORMAT", `${file}: "resample" ${JSON.stringify(resample)} is not supported; only 3 (BICUBIC, what CLIP uses) is implemented`);
  }
  const rescaleFactor = raw["rescale_factor"] ?? d.rescaleFactor;
  if (typeof rescaleFactor !== "number" || !Number.isFinite(rescaleFactor) || rescaleFactor <= 0) throw bad("rescale_factor", "a positive number");
  const imageStd = triple("image_std", d.imageStd);
  if (imageStd.some((x) => x === 0)) throw bad("image_std", "non-zero");

  return {
    doResize: bool("do_resize", d.doResize),
    size,
    resample: 3,
    doCenterCrop: bool("do_center_crop", d.doCenterCrop),
    cropSize,
    doRescale: bool("do_rescale", d.doRescale),
    rescaleFactor,
    doNormalize: bool("do_normalize", d.doNormalize),
    imageMean: triple("image_mean", d.imageMean),
    imageStd,
    doConvertRgb: bool("do_convert_rgb", d.doConvertRgb),
  };
}
