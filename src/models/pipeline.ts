import { SbertError } from "../errors.js";
import { loadModules } from "../modules/load-modules.js";
import type { Features, PipelineModule } from "../modules/module.js";
import { type OnnxGraphSource, Transformer, type TransformerOptions } from "../modules/transformer.js";

/** The ONNX exporter, loaded on first use only (native-only callers never load src/onnx/). */
const onnxGraph: OnnxGraphSource = async (dir, want) => (await import("../onnx/transformer-graph.js")).transformerOnnxGraph(dir, want);

/**
 * Loads every module of the folder in order (`loadModules`, modules/load-modules.ts), with the
 * ONNX exporter for a Transformer on ONNX Runtime whose folder has no graph.
 */
export async function loadPipeline(dir: string, options: TransformerOptions = {}): Promise<PipelineModule[]> {
  return loadModules(dir, { onnxGraph, ...options });
}

/** Runs the modules in order. */
export async function runPipeline(modules: readonly PipelineModule[], features: Features): Promise<Features> {
  let f = features;
  for (const m of modules) f = await m.forward(f);
  return f;
}

/** The first module, which must be a Transformer for text models. */
export function firstTransformer(modules: readonly PipelineModule[], dir: string): Transformer {
  const first = modules[0];
  if (!(first instanceof Transformer)) {
    throw new SbertError("UNSUPPORTED_FORMAT", `${dir}: the first module must be a Transformer, got ${first?.typeName ?? "nothing"}`);
  }
  return first;
}
