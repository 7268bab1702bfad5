import type { EncoderConfig } from "../architectures/config.js";
import type { Architecture, ArchitectureWeights } from "../architectures/definition.js";
import { architectureOf, baseParams } from "../architectures/registry.js";
import { SbertError } from "../errors.js";
import { folderModelKind } from "../modules/folder-kind.js";
import { loadModules } from "../modules/load-modules.js";
import type { ExportSpec, PipelineModule } from "../modules/module.js";
import type { TransformerTask } from "../modules/transformer.js";
import type { PostModule } from "./export-pooling.js";

/** A loaded pipeline, read for export: the encoder's graph description, its task and the modules after it. */
export interface ExportSource {
  config: EncoderConfig;
  /** The architecture definition the encoder runs, and its weights (read by the definition's own `load`). */
  arch: Architecture;
  weights: ArchitectureWeights;
  task: TransformerTask;
  /** What `--with-pooling` bakes in (Pooling / Dense / Normalize), in pipeline order. */
  postModules: PostModule[];
}

/**
 * A model folder's modules on the native backend (`loadModules`, the loaders' one reading of a
 * folder), for export. A folder that does not store its task is a classifier when the loaders'
 * rule (`folderModelKind`) says cross-encoder; `task` overrides it.
 */
export async function loadForExport(dir: string, task?: TransformerTask): Promise<PipelineModule[]> {
  const defaultTask = task ?? ((await folderModelKind(dir))?.kind === "cross-encoder" ? "sequence-classification" : undefined);
  return loadModules(dir, { backend: "native", ...(defaultTask ? { defaultTask } : {}) });
}

/** What a module reports for export, or UNSUPPORTED_FORMAT for one that cannot be exported. */
function specOf(m: PipelineModule | undefined, where: string): ExportSpec {
  if (!m?.exportSpec) throw new SbertError("UNSUPPORTED_FORMAT", `${where}: module ${m?.typeName ?? "(none)"} cannot be exported to ONNX`);
  return m.exportSpec();
}

/**
 * Walks a loaded pipeline (native backend): the first module's encoder (config, weights, task;
 * `task` overrides it) and, with `withPooling`, what each later module reports (`exportSpec`).
 */
export function exportSource(modules: readonly PipelineModule[], opts: { task?: TransformerTask; withPooling?: boolean } = {}): ExportSource {
  const first = specOf(modules[0], "the first module");
  if (first.kind !== "encoder") throw new SbertError("UNSUPPORTED_FORMAT", "the first module must be a Transformer to export an ONNX graph");
  const { config, params } = first;
  if (config.hiddenSize % config.numHeads !== 0) {
    throw new SbertError("INVALID_MODEL_FILE", `${params.source}: hidden size ${config.hiddenSize} is not a multiple of ${config.numHeads} heads`);
  }
  const arch = architectureOf(config);
  const weights = arch.load(config, baseParams(config, params), params);
  const task = opts.task ?? first.task;
  if (task === "sequence-classification" && !weights.head) {
    throw new SbertError("INVALID_MODEL_FILE", `${params.source}: a sequence-classification export needs a classifier head, and the weights have none`);
  }
  const postModules: PostModule[] = [];
  if (opts.withPooling && task === "feature-extraction") {
    modules.slice(1).forEach((m, i) => {
      const spec = specOf(m, `module ${i + 1}`);
      if (spec.kind === "encoder") throw new SbertError("UNSUPPORTED_FORMAT", `module ${i + 1}: a second Transformer cannot follow the first in an ONNX export`);
      postModules.push(spec.kind === "dense" ? { ...spec, key: `${i + 1}_Dense.linear` } : spec);
    });
  }
  return { config, arch, weights, task, postModules };
}
