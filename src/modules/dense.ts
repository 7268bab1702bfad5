import { join } from "node:path";
import { SbertError } from "../errors.js";
import { readJsonObject } from "../io/json-file.js";
import { type ActivationName, activation, parseActivationName, torchActivationClass } from "../tensor/ops/elementwise.js";
import { linear } from "../tensor/ops/linear.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ExportSpec, Features, PipelineModule } from "./module.js";
import { writeModuleJson, writeModuleWeights } from "./module-files.js";
import { loadParamStore } from "./weights.js";

type FeatureKey = "sentenceEmbedding" | "tokenEmbeddings";

function featureKey(raw: unknown, fallback: FeatureKey): FeatureKey {
  if (raw === undefined || raw === null) return fallback;
  if (raw === "sentence_embedding") return "sentenceEmbedding";
  if (raw === "token_embeddings") return "tokenEmbeddings";
  throw new SbertError("UNSUPPORTED_FORMAT", `Dense module input/output name "${String(raw)}" is not supported`);
}

function featureName(key: FeatureKey): string {
  return key === "sentenceEmbedding" ? "sentence_embedding" : "token_embeddings";
}

/**
 * Dense: y = activation(x · Wᵀ + b) on the sentence embedding (or on the token embeddings when
 * `module_input_name` says so). Weights `linear.weight` (out, in) and `linear.bias` (out).
 */
export class Dense implements PipelineModule {
  readonly typeName = "Dense";
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;
  readonly activationName: ActivationName;
  private readonly inputKey: FeatureKey;
  private readonly outputKey: FeatureKey;

  constructor(weight: Tensor, bias: Tensor | undefined, activationName: ActivationName, inputKey: FeatureKey = "sentenceEmbedding", outputKey: FeatureKey = inputKey) {
    this.weight = weight;
    this.bias = bias;
    this.activationName = activationName;
    this.inputKey = inputKey;
    this.outputKey = outputKey;
  }

  static async load(dir: string): Promise<Dense> {
    const cfg = await readJsonObject(dir, "config.json");
    const inF = cfg["in_features"];
    const outF = cfg["out_features"];
    if (typeof inF !== "number" || typeof outF !== "number" || !Number.isInteger(inF) || !Number.isInteger(outF) || inF <= 0 || outF <= 0) {
      throw new SbertError("INVALID_MODEL_FILE", `${dir}/config.json needs positive integer in_features and out_features`);
    }
    const act = cfg["activation_function"] ?? "torch.nn.modules.activation.Tanh";
    if (typeof act !== "string") throw new SbertError("INVALID_MODEL_FILE", `${dir}/config.json: activation_function must be a string`);
    const params = await loadParamStore(dir);
    const useBias = cfg["bias"] !== false;
    const inputKey = featureKey(cfg["module_input_name"], "sentenceEmbedding");
    return new Dense(
      params.get("linear.weight", [outF, inF]),
      useBias ? params.get("linear.bias", [outF]) : undefined,
      parseActivationName(act),
      inputKey,
      featureKey(cfg["module_output_name"], inputKey),
    );
  }

  outputDimension(): number | undefined {
    return this.outputKey === "sentenceEmbedding" ? this.weight.dim(0) : undefined;
  }

  /**
   * `{ in_features, out_features, bias, activation_function }`, plus the feature names when the
   * module works on token embeddings. UNSUPPORTED_FORMAT for an activation torch has no class for.
   */
  getConfigDict(): Record<string, unknown> {
    const act = torchActivationClass(this.activationName);
    if (parseActivationName(act) !== this.activationName) throw new SbertError("UNSUPPORTED_FORMAT", `a Dense module with activation "${this.activationName}" has no torch class path to save`);
    const cfg: Record<string, unknown> = { in_features: this.weight.dim(1), out_features: this.weight.dim(0), bias: this.bias !== undefined, activation_function: act };
    if (this.inputKey !== "sentenceEmbedding" || this.outputKey !== "sentenceEmbedding") {
      cfg["module_input_name"] = featureName(this.inputKey);
      cfg["module_output_name"] = featureName(this.outputKey);
    }
    return cfg;
  }

  /** `linear.weight` (out, in) and, with a bias, `linear.bias` (out). */
  parameters(): ReadonlyMap<string, Tensor> {
    const params = new Map<string, Tensor>([["linear.weight", this.weight]]);
    if (this.bias) params.set("linear.bias", this.bias);
    return params;
  }

  /** Writes `config.json` and `model.safetensors`. */
  async save(dir: string): Promise<void> {
    await writeModuleJson(join(dir, "config.json"), this.getConfigDict());
    await writeModuleWeights(dir, this.parameters());
  }

  /** The linear layer and activation; UNSUPPORTED_FORMAT for a Dense from one feature to the other (token → sentence). */
  exportSpec(): ExportSpec {
    if (this.outputKey !== this.inputKey) {
      throw new SbertError("UNSUPPORTED_FORMAT", `a Dense that reads ${featureName(this.inputKey)} and writes ${featureName(this.outputKey)} cannot be exported`);
    }
    return { kind: "dense", weight: this.weight, bias: this.bias, activation: this.activationName, tokenLevel: this.inputKey === "tokenEmbeddings" };
  }

  forward(features: Features): Features {
    const x = features[this.inputKey];
    if (!x) throw new SbertError("INVALID_OPERATION", `Dense needs ${this.inputKey}; check the module order in modules.json`);
    const inF = this.weight.dim(1);
    if (x.dim(-1) !== inF) {
      throw new SbertError("CONFIG_MISMATCH", `Dense expects ${inF} input features but the previous module gives ${x.dim(-1)}`);
    }
    return { ...features, [this.outputKey]: activation(linear(x, this.weight, this.bias), this.activationName) };
  }
}
