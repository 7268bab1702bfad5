import { SbertError } from "../errors.js";
import { type ActivationName, parseActivationName } from "../tensor/ops/elementwise.js";

/** The layer sizes both CLIP towers have (transformers `CLIPTextConfig` / `CLIPVisionConfig`). */
export interface ClipTowerConfig {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  hiddenAct: ActivationName;
  layerNormEps: number;
}

export interface ClipTextConfig extends ClipTowerConfig {
  vocabSize: number;
  maxPositionEmbeddings: number;
  /**
   * The id the text tower pools at, or undefined for the legacy `eos_token_id: 2` of the original
   * OpenAI configs, for which transformers pools at the largest id instead (`<|endoftext|>` is the
   * highest id of CLIP's vocabulary).
   */
  eosTokenId: number | undefined;
}

export interface ClipVisionConfig extends ClipTowerConfig {
  imageSize: number;
  patchSize: number;
  numChannels: number;
}

/** A CLIP `config.json` (`model_type: clip`), camelCased at this boundary. */
export interface ClipConfig {
  modelType: "clip";
  projectionDim: number;
  text: ClipTextConfig;
  vision: ClipVisionConfig;
}

type Json = Record<string, unknown>;

function int(cfg: Json, key: string, fallback: number, where: string): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new SbertError("INVALID_MODEL_FILE", `config.json: ${where}${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function tower(cfg: Json, d: { hidden: number; layers: number; heads: number; ffn: number }, where: string): ClipTowerConfig {
  const hiddenSize = int(cfg, "hidden_size", d.hidden, where);
  const numHeads = int(cfg, "num_attention_heads", d.heads, where);
  if (hiddenSize % numHeads !== 0) throw new SbertError("INVALID_MODEL_FILE", `config.json: ${where}hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`);
  const act = cfg["hidden_act"] ?? "quick_gelu";
  if (typeof act !== "string") throw new SbertError("UNSUPPORTED_FORMAT", `config.json: ${where}hidden_act must be a string`);
  const eps = cfg["layer_norm_eps"] ?? 1e-5;
  if (typeof eps !== "number" || !(eps > 0)) throw new SbertError("INVALID_MODEL_FILE", `config.json: ${where}layer_norm_eps must be a positive number`);
  return { hiddenSize, numLayers: int(cfg, "num_hidden_layers", d.layers, where), numHeads, intermediateSize: int(cfg, "intermediate_size", d.ffn, where), hiddenAct: parseActivationName(act), layerNormEps: eps };
}

function sub(cfg: Json, key: "text_config" | "vision_config"): Json {
  // transformers 4.x before 4.28 also wrote the dicts as `text_config_dict` / `vision_config_dict`
  const v = cfg[key] ?? cfg[`${key}_dict`] ?? {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SbertError("INVALID_MODEL_FILE", `config.json: ${key} must be an object`);
  return v as Json;
}

/** True for the config.json of a CLIP model (both towers). */
export function isClipConfig(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && (raw as Json)["model_type"] === "clip";
}

/**
 * Parses a CLIP `config.json`; absent keys take transformers' defaults (`CLIPTextConfig`,
 * `CLIPVisionConfig`, `CLIPConfig` in transformers `models/clip/configuration_clip.py`: ViT-B/32 sizes).
 */
export function parseClipConfig(raw: unknown): ClipConfig {
  if (!isClipConfig(raw)) throw new SbertError("UNSUPPORTED_FORMAT", 'config.json is not a CLIP model (model_type must be "clip")');
  const cfg = raw as Json;
  const t = sub(cfg, "text_config");
  const v = sub(cfg, "vision_config");
  const eos = t["eos_token_id"] ?? 49407;
  if (typeof eos !== "number" || !Number.isInteger(eos)) throw new SbertError("INVALID_MODEL_FILE", "config.json: text_config.eos_token_id must be an integer");
  const vision: ClipVisionConfig = {
    ...tower(v, { hidden: 768, layers: 12, heads: 12, ffn: 3072 }, "vision_config."),
    imageSize: int(v, "image_size", 224, "vision_config."),
    patchSize: int(v, "patch_size", 32, "vision_config."),
    numChannels: int(v, "num_channels", 3, "vision_config."),
  };
  if (vision.imageSize % vision.patchSize !== 0) throw new SbertError("INVALID_MODEL_FILE", `config.json: vision_config.image_size ${vision.imageSize} is not a multiple of patch_size ${vision.patchSize}`);
  return {
    modelType: "clip",
    projectionDim: int(cfg, "projection_dim", 512, ""),
    text: {
      ...tower(t, { hidden: 512, layers: 12, heads: 8, ffn: 2048 }, "text_config."),
      vocabSize: int(t, "vocab_size", 49408, "text_config."),
      maxPositionEmbeddings: int(t, "max_position_embeddings", 77, "text_config."),
      eosTokenId: eos === 2 ? undefined : eos,
    },
    vision,
  };
}
