import type { ClipTowerLowering } from "../architectures/clip.js";
import { SbertError } from "../errors.js";
import { type InputModule, isInputModule } from "../modules/input-module.js";
import { loadModules } from "../modules/load-modules.js";
import type { Features, PipelineModule } from "../modules/module.js";
import type { Rng } from "../tensor/random.js";
import { type OnnxGraphSource, Transformer, type TransformerOptions } from "../modules/transformer.js";

/** The ONNX exporter, loaded on first use only (native-only callers never load src/onnx/). */
const onnxGraph: OnnxGraphSource = async (dir, want) => (await import("../onnx/transformer-graph.js")).transformerOnnxGraph(dir, want);

/** CLIP towers lowered to ONNX, for a CLIP model on backend "onnx" (loaded on first use only). */
const clipOnnx: ClipTowerLowering = async (c, w, tower) => (await import("../onnx/clip-graph.js")).clipTowerOnnxBytes(c, w, tower);

/**
 * Loads every module of the folder in order (`loadModules`, modules/load-modules.ts), with the
 * ONNX exporter for a Transformer on ONNX Runtime whose folder has no graph.
 */
export async function loadPipeline(dir: string, options: TransformerOptions = {}): Promise<PipelineModule[]> {
  return loadModules(dir, { onnxGraph, clipOnnx, ...options });
}

/**
 * Runs the modules in order: the one forward pass of inference (`encode`, `predict`, the server)
 * and training (`TrainableSentenceTransformer`, `TrainableCrossEncoder`). Records the autograd
 * graph when parameters require gradients (outside `noGrad`); dropout per `setTrainingMode`.
 */
export async function runPipeline(modules: readonly PipelineModule[], features: Features): Promise<Features> {
  let f = features;
  for (const m of modules) f = await m.forward(f);
  return f;
}

/** Training mode (dropout drawing from `rng`) or inference mode (`undefined`) for every module, as torch's `model.train()` / `model.eval()`. */
export function setTrainingMode(modules: readonly PipelineModule[], rng: Rng | undefined): void {
  for (const m of modules) m.setTrainingMode?.(rng);
}

/** The first module, which must turn texts into tokens (a Transformer or a StaticEmbedding). */
export function firstInputModule(modules: readonly PipelineModule[], dir: string): InputModule {
  const first = modules[0];
  if (!isInputModule(first)) {
    throw new SbertError("UNSUPPORTED_FORMAT", `${dir}: the first module must read text (Transformer or StaticEmbedding), got ${first?.typeName ?? "nothing"}`);
  }
  return first;
}

/** The first module, which must be a Transformer (cross-encoders). */
export function firstTransformer(modules: readonly PipelineModule[], dir: string): Transformer {
  const first = modules[0];
  if (!(first instanceof Transformer)) {
    throw new SbertError("UNSUPPORTED_FORMAT", `${dir}: the first module must be a Transformer, got ${first?.typeName ?? "nothing"}`);
  }
  return first;
}
