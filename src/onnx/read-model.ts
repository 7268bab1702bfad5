import type { EncoderConfig } from "../architectures/config.js";
import type { Architecture, ArchitectureWeights } from "../architectures/definition.js";
import { architectureOf, baseParams } from "../architectures/registry.js";
import { SbertError } from "../errors.js";
import { folderModelKind } from "../modules/folder-kind.js";
import { loadModules } from "../modules/load-modules.js";
import type { ExportSpec, PipelineModule } from "../modules/module.js";
import type { ParamStore } from "../architectures/params.js";
import type { TransformerTask } from "../modules/transformer.js";
import { type MlmHeadWeights, loadMlmHead } from "../architectures/mlm-head.js";
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
  /** The masked-LM head (task fill-mask). */
  mlm?: MlmHeadWeights;
  /** SpladePooling baked in after the head (fill-mask with `--with-pooling`). */
  splade?: Extract<ExportSpec, { kind: "splade" }>;
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
  if (task === "fill-mask") return { config, arch, weights, task, postModules: [], ...fillMaskParts(modules, config, params, opts.withPooling === true) };
  const postModules: PostModule[] = [];
  if (opts.withPooling && task === "feature-extraction") {
    modules.slice(1).forEach((m, i) => {
      const spec = specOf(m, `module ${i + 1}`);
      if (spec.kind === "encoder") throw new SbertError("UNSUPPORTED_FORMAT", `module ${i + 1}: a second Transformer cannot follow the first in an ONNX export`);
      if (spec.kind === "splade") throw new SbertError("UNSUPPORTED_FORMAT", `module ${i + 1}: SpladePooling needs a masked-LM (fill-mask) Transformer before it`);
      postModules.push(spec.kind === "dense" ? { ...spec, key: `${i + 1}_Dense.linear` } : spec);
    });
  }
  return { config, arch, weights, task, postModules };
}

/** The masked-LM head of a fill-mask export and, with pooling, the one SpladePooling that must follow it. */
function fillMaskParts(modules: readonly PipelineModule[], config: EncoderConfig, params: ParamStore, withPooling: boolean): Pick<ExportSource, "mlm" | "splade"> {
  const base = baseParams(config, params);
  const word = { key: `${base.prefix}embeddings.word_embeddings.weight`, tensor: base.get("embeddings.word_embeddings.weight", [config.vocabSize, config.hiddenSize]) };
  const mlm = loadMlmHead(config, params, word);
  if (!withPooling) return { mlm };
  const rest = modules.slice(1).map((m, i) => specOf(m, `module ${i + 1}`));
  const splade = rest[0];
  if (rest.length !== 1 || splade?.kind !== "splade") {
    throw new SbertError("UNSUPPORTED_FORMAT", "--with-pooling on a masked-LM model bakes in exactly one SpladePooling after the Transformer");
  }
  return { mlm, splade };
}
