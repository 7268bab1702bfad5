import { join } from "node:path";
import { SbertError } from "../errors.js";
import { type JsonObject, readJsonObject } from "../io/json-file.js";
import { POOLING_MODES, type PoolingMode, poolTokens } from "../tensor/ops/pooling.js";
import { concat } from "../tensor/ops/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ExportSpec, Features, PipelineModule, PoolingSpec } from "./module.js";
import { writeModuleJson } from "./module-files.js";

export { POOLING_MODES, type PoolingMode };

/** The classic boolean keys, in the concatenation order Python keeps for them (read and written). */
export const LEGACY_POOLING_KEYS: ReadonlyArray<readonly [string, PoolingMode]> = [
  ["pooling_mode_cls_token", "cls"],
  ["pooling_mode_max_tokens", "max"],
  ["pooling_mode_mean_tokens", "mean"],
  ["pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"],
  ["pooling_mode_weightedmean_tokens", "weightedmean"],
  ["pooling_mode_lasttoken", "lasttoken"],
];

/** `embeddingDimension`, the modes in concatenation order, `includePrompt` (defined in module.ts, which the exporter reads). */
export type PoolingConfig = PoolingSpec;

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
    modes = LEGACY_POOLING_KEYS.filter(([key]) => raw[key] === true).map(([, m]) => m);
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

  get excludesPrompt(): boolean {
    return !this.config.includePrompt;
  }

  /** The modes joined by `+` (`mean`, `cls+mean+max`). */
  get poolingName(): string {
    return this.config.modes.join("+");
  }

  /**
   * The classic config (`word_embedding_dimension`, six booleans, `include_prompt`), which every
   * Python version reads. Modes the booleans cannot express — a repeated mode, or several in another
   * order than Python ≤ 5.3 concatenates them (cls, max, mean, ...) — are written as the 5.4+ list
   * (`embedding_dimension`, `pooling_mode`), which only 5.4+ reads.
   */
  getConfigDict(): Record<string, unknown> {
    const { modes, embeddingDimension, includePrompt } = this.config;
    const classicOrder = LEGACY_POOLING_KEYS.map(([, mode]) => mode).filter((mode) => modes.includes(mode));
    if (classicOrder.join() !== modes.join()) return { embedding_dimension: embeddingDimension, pooling_mode: [...modes], include_prompt: includePrompt };
    const cfg: Record<string, unknown> = { word_embedding_dimension: embeddingDimension };
    for (const [key, mode] of LEGACY_POOLING_KEYS) cfg[key] = modes.includes(mode);
    cfg["include_prompt"] = includePrompt;
    return cfg;
  }

  /** Pooling has no weights. */
  parameters(): ReadonlyMap<string, Tensor> {
    return new Map();
  }

  /** Writes `config.json`. */
  async save(dir: string): Promise<void> {
    await writeModuleJson(join(dir, "config.json"), this.getConfigDict());
  }

  exportSpec(): ExportSpec {
    return { kind: "pooling", config: this.config };
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
    // one differentiable op per mode, concatenated in mode order: (B, modes · H)
    const pooled = this.config.modes.map((mode) => poolTokens(tokens, mask, mode, b, t));
    const sentenceEmbedding = pooled.length === 1 ? (pooled[0] as Tensor) : concat(pooled, 1);
    return { ...features, sentenceEmbedding };
  }
}
