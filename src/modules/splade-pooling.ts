/**
 * SpladePooling: masked-LM logits (B, T, V) → one sparse vocabulary-sized vector per text,
 * embedding[v] = pool over unmasked tokens t of log1p(activation(logit[t, v])), pool `max` or
 * `sum`; `relu` gives log(1 + relu(x)), `log1p_relu` (OpenSearch) log(1 + log(1 + relu(x))).
 * Ported from sentence-transformers `sentence_transformers/sparse_encoder/modules/splade_pooling.py`
 * (formerly `sparse_encoder/models/SpladePooling.py`): logits · mask, relu, log1p (twice for
 * log1p_relu), max / sum over the sequence in chunks of `chunk_size` tokens. Padding positions
 * give log1p(relu(0)) = 0 there, which never changes a max of non-negative values, so they are
 * skipped here; for max the transform is applied once to the max of the raw logits (relu and
 * log1p are non-decreasing: the same float32 values, V instead of T · V log1p calls). The logits are read once, row by row, and dropped from the features afterwards,
 * so the (B × T × V) tensor lives no longer than this call.
 *
 * @example
 * const p = new SpladePooling({ strategy: "max", activation: "relu" });
 * p.forward({ batch, tokenEmbeddings: logits }).sentenceEmbedding; // (B, V)
 */
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { readJsonObject } from "../io/json-file.js";
import { Tensor } from "../tensor/tensor.js";
import type { ExportSpec, Features, PipelineModule } from "./module.js";
import { writeModuleJson } from "./module-files.js";

export type SpladeStrategy = "max" | "sum";
export type SpladeActivation = "relu" | "log1p_relu";

export interface SpladePoolingConfig {
  strategy: SpladeStrategy;
  activation: SpladeActivation;
  /** The vocabulary size; known after the first forward when the config leaves it null. */
  embeddingDimension?: number | undefined;
  /** Tokens per chunk along the sequence (Python's `chunk_size`); undefined = the whole sequence. */
  chunkSize?: number | undefined;
}

const STRATEGIES: readonly SpladeStrategy[] = ["max", "sum"];
const ACTIVATIONS: readonly SpladeActivation[] = ["relu", "log1p_relu"];

export class SpladePooling implements PipelineModule {
  readonly typeName = "SpladePooling";
  readonly strategy: SpladeStrategy;
  readonly activation: SpladeActivation;
  readonly chunkSize: number | undefined;
  private dimension: number | undefined;

  /** INVALID_INPUT for an unknown strategy or activation, or a chunk size that is not a positive integer. */
  constructor(cfg: SpladePoolingConfig) {
    if (!STRATEGIES.includes(cfg.strategy)) {
      throw new SbertError("INVALID_INPUT", `SpladePooling pooling_strategy must be "max" or "sum", got ${JSON.stringify(cfg.strategy)}`);
    }
    if (!ACTIVATIONS.includes(cfg.activation)) {
      throw new SbertError("INVALID_INPUT", `SpladePooling activation_function must be "relu" or "log1p_relu", got ${JSON.stringify(cfg.activation)}`);
    }
    if (cfg.chunkSize !== undefined && !(Number.isInteger(cfg.chunkSize) && cfg.chunkSize > 0)) {
      throw new SbertError("INVALID_INPUT", `SpladePooling chunk_size must be a positive integer, got ${cfg.chunkSize}`);
    }
    this.strategy = cfg.strategy;
    this.activation = cfg.activation;
    this.chunkSize = cfg.chunkSize;
    this.dimension = cfg.embeddingDimension;
  }

  /**
   * Reads `config.json` (`pooling_strategy`, `activation_function`, `embedding_dimension` or its old
   * name `word_embedding_dimension`, optional `chunk_size`). An unknown strategy or activation is
   * INVALID_MODEL_FILE, naming the file.
   */
  static async load(dir: string): Promise<SpladePooling> {
    const raw = (await readJsonObject(dir, "config.json", { optional: true })) ?? {};
    const dim = raw["embedding_dimension"] ?? raw["word_embedding_dimension"];
    const chunk = raw["chunk_size"];
    try {
      return new SpladePooling({
        strategy: (raw["pooling_strategy"] ?? "max") as SpladeStrategy,
        activation: (raw["activation_function"] ?? "relu") as SpladeActivation,
        embeddingDimension: typeof dim === "number" && Number.isInteger(dim) && dim > 0 ? dim : undefined,
        chunkSize: chunk === null || chunk === undefined || (typeof chunk === "number" && chunk <= 0) ? undefined : (chunk as number),
      });
    } catch (e) {
      if (e instanceof SbertError) throw new SbertError("INVALID_MODEL_FILE", `${join(dir, "config.json")}: ${e.message}`);
      throw e;
    }
  }

  outputDimension(): number | undefined {
    return this.dimension;
  }

  /** As Python saves it: `pooling_strategy`, `activation_function`, `embedding_dimension`. */
  getConfigDict(): Record<string, unknown> {
    return { pooling_strategy: this.strategy, activation_function: this.activation, embedding_dimension: this.dimension ?? null };
  }

  parameters(): ReadonlyMap<string, Tensor> {
    return new Map();
  }

  async save(dir: string): Promise<void> {
    await writeModuleJson(join(dir, "config.json"), this.getConfigDict());
  }

  /** The pooling as plain data for the ONNX exporter (`--with-pooling`). */
  exportSpec(): ExportSpec {
    return { kind: "splade", strategy: this.strategy, activation: this.activation };
  }

  /** `sentenceEmbedding` (B, V) from `tokenEmbeddings` = MLM logits (B, T, V); the logits are not passed on. */
  forward(features: Features): Features {
    const { tokenEmbeddings: logits, ...rest } = features;
    // the Transformer ran an ONNX graph with this pooling baked in (`sbert export-onnx --with-pooling`)
    if (!logits && features.sentenceEmbedding?.shape.length === 2) return features;
    if (!logits || logits.shape.length !== 3) {
      throw new SbertError("INVALID_OPERATION", "SpladePooling needs masked-LM logits (batch, tokens, vocab); put an MLMTransformer before it");
    }
    const [b, t, v] = logits.shape as [number, number, number];
    const mask = features.batch.attentionMask;
    const src = logits.data;
    const out = new Float32Array(b * v);
    const twice = this.activation === "log1p_relu";
    const chunk = this.chunkSize ?? t;
    const part = this.strategy === "sum" ? new Float32Array(v) : undefined;
    const f = (x: number): number => {
      const y = Math.fround(Math.log1p(x));
      return twice ? Math.fround(Math.log1p(y)) : y;
    };
    for (let r = 0; r < b; r++) {
      const row = out.subarray(r * v, (r + 1) * v);
      if (!part) {
        // max: relu and log1p are non-decreasing, so transform the max of the raw logits (same values)
        for (let ti = 0; ti < t; ti++) {
          if (!mask[r * t + ti]) continue;
          const base = (r * t + ti) * v;
          for (let j = 0; j < v; j++) {
            const x = src[base + j] as number;
            if (x > (row[j] as number) || Number.isNaN(x)) row[j] = x;
          }
        }
        for (let j = 0; j < v; j++) if ((row[j] as number) > 0 || Number.isNaN(row[j])) row[j] = f(row[j] as number);
        continue;
      }
      for (let c0 = 0; c0 < t; c0 += chunk) {
        part.fill(0);
        for (let ti = c0; ti < Math.min(t, c0 + chunk); ti++) {
          if (!mask[r * t + ti]) continue;
          const base = (r * t + ti) * v;
          for (let j = 0; j < v; j++) {
            const x = src[base + j] as number;
            if (x <= 0) continue; // relu → 0 → log1p(0) = 0 (NaN passes on, as in torch)
            part[j] = (part[j] as number) + f(x);
          }
        }
        for (let j = 0; j < v; j++) row[j] = (row[j] as number) + (part[j] as number);
      }
    }
    this.dimension ??= v;
    return { ...rest, sentenceEmbedding: new Tensor(out, [b, v]) };
  }
}
