import { join } from "node:path";
import type { PipelineModule } from "./module.js";
import { readModulesJson } from "./modules-json.js";
import { Pooling } from "./pooling.js";
import { loadModule } from "./registry.js";
import { Transformer, type TransformerOptions } from "./transformer.js";

/**
 * Every module of a folder, in order: the one reading of a model folder, shared by the loaders
 * (`loadPipeline` in models/pipeline.ts) and the ONNX exporter. Without modules.json (a plain
 * Hugging Face folder): Transformer + mean Pooling for bi-encoders, as Python does; the
 * Transformer alone for classification models (`defaultTask: "sequence-classification"`) and
 * masked-LM ones (a stored `transformer_task: fill-mask`).
 */
export async function loadModules(dir: string, opts: TransformerOptions = {}): Promise<PipelineModule[]> {
  const entries = await readModulesJson(dir);
  if (!entries) {
    const transformer = await Transformer.load(dir, opts);
    if (transformer.task !== "feature-extraction") return [transformer];
    return [transformer, new Pooling({ embeddingDimension: transformer.outputDimension(), modes: ["mean"], includePrompt: true })];
  }
  const modules: PipelineModule[] = [];
  for (const e of entries) modules.push(await loadModule(e.type, e.path ? join(dir, e.path) : dir, opts));
  return modules;
}
