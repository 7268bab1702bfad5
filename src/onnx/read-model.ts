import { join } from "node:path";
import { type EncoderConfig, parseEncoderConfig } from "../architectures/config.js";
import type { ParamStore } from "../architectures/params.js";
import { supportedModelTypes } from "../architectures/registry.js";
import { SbertError } from "../errors.js";
import { readJsonObject } from "../io/json-file.js";
import { folderModelKind } from "../modules/folder-kind.js";
import { readModulesJson } from "../modules/modules-json.js";
import { parsePoolingConfig } from "../modules/pooling.js";
import { resolveModuleType } from "../modules/registry.js";
import { type TransformerTask, storedTransformerTask } from "../modules/transformer.js";
import { loadParamStore } from "../modules/weights.js";
import { parseActivationName } from "../tensor/ops/elementwise.js";
import type { ArchitectureGraph } from "./encoder-graph.js";
import { bertFamilyGraph } from "./export-bert.js";
import { distilBertGraph } from "./export-distilbert.js";
import { mpnetGraph } from "./export-mpnet.js";
import type { PostModule } from "./export-pooling.js";

type GraphFactory = (c: EncoderConfig, base: ParamStore, root: ParamStore) => ArchitectureGraph;

/** `model_type` → graph builder and the prefix task checkpoints put before the base weights (as architectures/registry.ts). */
const EXPORTERS: Record<string, { graph: GraphFactory; basePrefix: string }> = {
  bert: { graph: (c, b, r) => bertFamilyGraph(c, b, r, false), basePrefix: "bert." },
  distilbert: { graph: distilBertGraph, basePrefix: "distilbert." },
  roberta: { graph: (c, b, r) => bertFamilyGraph(c, b, r, true), basePrefix: "roberta." },
  "xlm-roberta": { graph: (c, b, r) => bertFamilyGraph(c, b, r, true), basePrefix: "roberta." },
  camembert: { graph: (c, b, r) => bertFamilyGraph(c, b, r, true), basePrefix: "roberta." },
  mpnet: { graph: mpnetGraph, basePrefix: "mpnet." },
};

/** A model folder, read for export: the encoder's graph description, its task and the modules after it. */
export interface ExportSource {
  arch: ArchitectureGraph;
  task: TransformerTask;
  /** Pooling / Dense / Normalize from modules.json (mean Pooling for a plain Hugging Face folder). */
  postModules: PostModule[];
}

async function readDense(dir: string, key: string): Promise<PostModule> {
  const cfg = await readJsonObject(dir, "config.json");
  const [inF, outF] = [cfg["in_features"], cfg["out_features"]];
  if (typeof inF !== "number" || typeof outF !== "number" || !Number.isInteger(inF) || !Number.isInteger(outF) || inF <= 0 || outF <= 0) {
    throw new SbertError("INVALID_MODEL_FILE", `${dir}/config.json needs positive integer in_features and out_features`);
  }
  const act = cfg["activation_function"] ?? "torch.nn.modules.activation.Tanh";
  if (typeof act !== "string") throw new SbertError("INVALID_MODEL_FILE", `${dir}/config.json: activation_function must be a string`);
  const params = await loadParamStore(dir);
  const inputName = cfg["module_input_name"] ?? "sentence_embedding";
  if (inputName !== "sentence_embedding" && inputName !== "token_embeddings") {
    throw new SbertError("UNSUPPORTED_FORMAT", `Dense module input name "${String(inputName)}" is not supported`);
  }
  const outputName = cfg["module_output_name"] ?? inputName;
  if (outputName !== inputName) throw new SbertError("UNSUPPORTED_FORMAT", `${dir}: a Dense that reads ${String(inputName)} and writes ${String(outputName)} cannot be exported`);
  return {
    kind: "dense",
    key,
    weight: params.get("linear.weight", [outF, inF]),
    bias: cfg["bias"] === false ? undefined : params.get("linear.bias", [outF]),
    activation: parseActivationName(act),
    tokenLevel: inputName === "token_embeddings",
  };
}

/**
 * Reads what the exporter needs from a model folder: config.json and model.safetensors of the
 * Transformer, `transformer_task` (or, where the folder does not store it, what `folderModelKind`
 * says, when the weights have a classifier head), and the Pooling / Dense / Normalize modules.
 * Unknown model types are UNSUPPORTED_FORMAT.
 */
export async function readExportSource(dir: string, task?: TransformerTask): Promise<ExportSource> {
  const entries = await readModulesJson(dir);
  const first = entries?.[0];
  if (entries && (!first || resolveModuleType(first.type) !== "Transformer")) {
    throw new SbertError("UNSUPPORTED_FORMAT", `${dir}: the first module must be a Transformer to export an ONNX graph`);
  }
  const tdir = first?.path ? join(dir, first.path) : dir;
  const config = parseEncoderConfig(await readJsonObject(tdir, "config.json"));
  const exporter = EXPORTERS[config.modelType];
  if (!exporter) {
    throw new SbertError(
      "UNSUPPORTED_FORMAT",
      `cannot export model_type "${config.modelType}" to ONNX; supported: ${supportedModelTypes().join(", ")}`,
    );
  }
  if (config.hiddenSize % config.numHeads !== 0) {
    throw new SbertError("INVALID_MODEL_FILE", `${tdir}/config.json: hidden size ${config.hiddenSize} is not a multiple of ${config.numHeads} heads`);
  }
  const params = await loadParamStore(tdir);
  const prefixed = params.has(`${exporter.basePrefix}embeddings.word_embeddings.weight`);
  const arch = exporter.graph(config, prefixed ? params.withPrefix(exporter.basePrefix) : params, params);

  const stConfig = (await readJsonObject(tdir, "sentence_bert_config.json", { optional: true })) ?? {};
  const stored = storedTransformerTask(stConfig);
  // the loaders' rule (`folderModelKind`) decides a folder that does not store its task; weights without a head export features
  const classifier = task === undefined && stored === undefined && arch.head !== undefined && (await folderModelKind(dir))?.kind === "cross-encoder";
  const resolved: TransformerTask = task ?? stored ?? (classifier ? "sequence-classification" : "feature-extraction");
  if (resolved === "sequence-classification" && !arch.head) {
    throw new SbertError("INVALID_MODEL_FILE", `${dir}: a sequence-classification export needs a classifier head, and the weights have none`);
  }

  const postModules: PostModule[] = [];
  if (!entries) {
    postModules.push({ kind: "pooling", config: { embeddingDimension: config.hiddenSize, modes: ["mean"], includePrompt: true } });
  }
  for (const e of entries?.slice(1) ?? []) {
    const mdir = e.path ? join(dir, e.path) : dir;
    const cls = resolveModuleType(e.type);
    if (cls === "Pooling") postModules.push({ kind: "pooling", config: parsePoolingConfig(await readJsonObject(mdir, "config.json")) });
    else if (cls === "Dense") postModules.push(await readDense(mdir, `${e.path || "dense"}.linear`));
    else if (cls === "Normalize") postModules.push({ kind: "normalize" });
    else throw new SbertError("UNSUPPORTED_FORMAT", `${dir}: module ${cls} cannot follow the Transformer in an ONNX export`);
  }
  return { arch, task: resolved, postModules };
}
