import { join } from "node:path";
import { SbertError } from "../errors.js";
import { readJsonObject } from "../io/json-file.js";
import { l2Normalize } from "../tensor/ops/normalize.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ExportSpec, Features, PipelineModule } from "./module.js";
import { writeModuleJson } from "./module-files.js";

/**
 * Normalize: scales each sentence embedding to unit length (the differentiable float64
 * `l2Normalize`, so it trains), or each token embedding when its config.json says
 * `module_input_name: token_embeddings` (multi-vector models; sentence-transformers 6.0
 * `sentence_transformers/base/modules/normalize.py`).
 */
export class Normalize implements PipelineModule {
  readonly typeName = "Normalize";
  /** Which embeddings it scales. */
  readonly key: "sentenceEmbedding" | "tokenEmbeddings";

  constructor(key: "sentenceEmbedding" | "tokenEmbeddings" = "sentenceEmbedding") {
    this.key = key;
  }

  /** Reads the optional config.json (`module_input_name` / `module_output_name`, which must agree). */
  static async load(dir?: string): Promise<Normalize> {
    const cfg = dir === undefined ? undefined : await readJsonObject(dir, "config.json", { optional: true });
    const input = cfg?.["module_input_name"] ?? "sentence_embedding";
    const output = cfg?.["module_output_name"] ?? input;
    if ((input !== "sentence_embedding" && input !== "token_embeddings") || output !== input) {
      throw new SbertError("UNSUPPORTED_FORMAT", `${dir}/config.json: Normalize from "${String(input)}" to "${String(output)}" is not supported; it scales sentence_embedding or token_embeddings in place`);
    }
    return new Normalize(input === "token_embeddings" ? "tokenEmbeddings" : "sentenceEmbedding");
  }

  outputDimension(): undefined {
    return undefined;
  }

  /** Python writes no config for a sentence-level Normalize; a token-level one names its feature. */
  getConfigDict(): Record<string, unknown> | undefined {
    if (this.key === "sentenceEmbedding") return undefined;
    return { module_input_name: "token_embeddings", module_output_name: "token_embeddings" };
  }

  parameters(): ReadonlyMap<string, Tensor> {
    return new Map();
  }

  /** Writes config.json for a token-level Normalize; otherwise nothing (the folder alone is the module, as in Python). */
  async save(dir: string): Promise<void> {
    const cfg = this.getConfigDict();
    if (cfg) await writeModuleJson(join(dir, "config.json"), cfg);
  }

  exportSpec(): ExportSpec {
    return this.key === "tokenEmbeddings" ? { kind: "normalize", tokenLevel: true } : { kind: "normalize" };
  }

  forward(features: Features): Features {
    const x = features[this.key];
    if (!x) {
      throw new SbertError("INVALID_OPERATION", this.key === "sentenceEmbedding" ? "Normalize needs a sentence embedding; put Pooling before it" : "Normalize needs token embeddings; put it after the Transformer");
    }
    return { ...features, [this.key]: l2Normalize(x) };
  }
}
