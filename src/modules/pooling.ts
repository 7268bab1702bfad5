import { SbertError } from "../errors.js";
import { type JsonObject, readJsonObject } from "../io/json-file.js";
import { Tensor } from "../tensor/tensor.js";
import type { Features, PipelineModule } from "./module.js";

export const POOLING_MODES = ["cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

/** The classic boolean keys, in the concatenation order Python keeps for them. */
const LEGACY_KEYS: ReadonlyArray<readonly [string, PoolingMode]> = [
  ["pooling_mode_cls_token", "cls"],
  ["pooling_mode_max_tokens", "max"],
  ["pooling_mode_mean_tokens", "mean"],
  ["pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"],
  ["pooling_mode_weightedmean_tokens", "weightedmean"],
  ["pooling_mode_lasttoken", "lasttoken"],
];

export interface PoolingConfig {
  embeddingDimension: number;
  /** Modes in concatenation order. */
  modes: PoolingMode[];
  includePrompt: boolean;
}

/**
 * Parses `1_Pooling/config.json` in either format — 5.4+ (`embedding_dimension`, `pooling_mode`
 * string or list) or classic (`word_embedding_dimension`, six `pooling_mode_*` booleans) — into
 * one list of modes. No mode selected means mean, as in Python.
 */
export function parsePoolingConfig(raw: JsonObject): PoolingConfig {
  const dim = raw["embedding_dimension"] ?? raw["word_embedding_dimension"];
  if (typeof dim !== "number" || !Number.isInteger(dim) || dim <= 0) {
    throw new SbertError("INVALID_MODEL_FILE", "Pooling config needs a positive integer embedding_dimension");
  }
  let modes: PoolingMode[];
  const mode = raw["pooling_mode"];
  if (mode !== undefined && mode !== null) {
    const list = Array.isArray(mode) ? mode : [mode];
    modes = list.map((m) => {
      if (!POOLING_MODES.includes(m as PoolingMode)) {
        throw new SbertError("UNSUPPORTED_FORMAT", `invalid pooling mode ${JSON.stringify(m)}; valid: ${POOLING_MODES.join(", ")}`);
      }
      return m as PoolingMode;
    });
    if (modes.length === 0) throw new SbertError("INVALID_MODEL_FILE", "pooling_mode is an empty list");
  } else {
    modes = LEGACY_KEYS.filter(([key]) => raw[key] === true).map(([, m]) => m);
    if (modes.length === 0) modes = ["mean"];
  }
  const includePrompt = raw["include_prompt"];
  return { embeddingDimension: dim, modes, includePrompt: includePrompt === undefined ? true : includePrompt === true };
}

/**
 * Pooling: token embeddings (B·T, H) → sentence embedding (B, modes · H), concatenated in mode order.
 * With `includePrompt: false` the first `promptLength` tokens of every row are masked out first.
 */
export class Pooling implements PipelineModule {
  readonly typeName = "Pooling";
  readonly config: PoolingConfig;

  constructor(config: PoolingConfig) {
    this.config = config;
  }

  static async load(dir: string): Promise<Pooling> {
    return new Pooling(parsePoolingConfig(await readJsonObject(dir, "config.json")));
  }

  outputDimension(): number {
    return this.config.modes.length * this.config.embeddingDimension;
  }

  forward(features: Features): Features {
    const tokens = features.tokenEmbeddings;
    if (!tokens) throw new SbertError("INVALID_OPERATION", "Pooling needs token embeddings; put a Transformer module before it");
    const { batchSize: b, seqLen: t } = features.batch;
    const h = tokens.dim(-1);
    if (h !== this.config.embeddingDimension) {
      throw new SbertError("CONFIG_MISMATCH", `Pooling expects ${this.config.embeddingDimension}-dim token embeddings, got ${h}`);
    }
    const mask = Float64Array.from(features.batch.attentionMask);
    if (!this.config.includePrompt && features.promptLength) {
      for (let r = 0; r < b; r++) mask.fill(0, r * t, r * t + Math.min(features.promptLength, t));
    }
    const width = this.outputDimension();
    const out = new Float32Array(b * width);
    this.config.modes.forEach((mode, k) => {
      for (let r = 0; r < b; r++) {
        const dst = out.subarray(r * width + k * h, r * width + (k + 1) * h);
        poolRow(mode, tokens.data.subarray(r * t * h, (r + 1) * t * h), mask.subarray(r * t, (r + 1) * t), h, dst);
      }
    });
    return { ...features, sentenceEmbedding: new Tensor(out, [b, width]) };
  }
}

/** Pools one row: x (T, H), mask (T) → dst (H). Float64 accumulation, float32 result. */
function poolRow(mode: PoolingMode, x: Float32Array, mask: Float64Array, h: number, dst: Float32Array): void {
  const t = mask.length;
  switch (mode) {
    case "cls": {
      // the first attended token (index 0 with right padding), as Python's argmax over the mask
      let first = mask.findIndex((m) => m !== 0);
      if (first < 0) first = 0;
      dst.set(x.subarray(first * h, (first + 1) * h));
      return;
    }
    case "max": {
      dst.fill(-Infinity);
      for (let i = 0; i < t; i++) {
        if (mask[i] === 0) continue;
        for (let j = 0; j < h; j++) if ((x[i * h + j] as number) > (dst[j] as number)) dst[j] = x[i * h + j] as number;
      }
      return;
    }
    case "mean":
    case "mean_sqrt_len_tokens":
    case "weightedmean": {
      const acc = new Float64Array(h);
      let weightSum = 0;
      for (let i = 0; i < t; i++) {
        const w = (mask[i] as number) * (mode === "weightedmean" ? i + 1 : 1);
        if (w === 0) continue;
        weightSum += w;
        for (let j = 0; j < h; j++) acc[j] = (acc[j] as number) + w * (x[i * h + j] as number);
      }
      const denom = mode === "mean_sqrt_len_tokens" ? Math.sqrt(Math.max(weightSum, 1e-9)) : Math.max(weightSum, 1e-9);
      for (let j = 0; j < h; j++) dst[j] = Math.fround(acc[j] as number) / denom;
      return;
    }
    case "lasttoken": {
      // the last attended position; with no attended token Python takes the last position × mask 0
      let last = -1;
      for (let i = t - 1; i >= 0; i--) if (mask[i] !== 0) { last = i; break; }
      if (last < 0) dst.fill(0);
      else dst.set(x.subarray(last * h, (last + 1) * h));
      return;
    }
  }
}
