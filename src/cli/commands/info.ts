import { relative, isAbsolute, join } from "node:path";
import type { Command } from "commander";
import { isNativeModelType } from "../../architectures/registry.js";
import { type JsonObject, readJsonObject } from "../../io/json-file.js";
import { readModulesJson } from "../../modules/modules-json.js";
import { Transformer } from "../../modules/transformer.js";
import { type ServedModel, loadServedModel, textSide } from "../../server/model.js";
import type { CliIo } from "../io.js";
import { type CliModelOptions, resolveCliModelDir } from "../model.js";
import { withModelOptions } from "../options.js";

interface InfoCliOptions extends CliModelOptions {
  model: string;
  json?: boolean;
}

/** One pipeline module as modules.json lists it, with the config file its folder holds. */
export interface ModuleInfo {
  idx: number;
  name: string;
  path: string;
  type: string;
  /** sentence_bert_config.json (Transformer) or config.json of the module's folder; null when it has none. */
  config: JsonObject | null;
}

/** What `sbert info --json` prints (snake_case, as the model's own files spell it). */
export type ModelInfo = {
  model: string;
  folder: string;
  kind: "sentence-transformer" | "cross-encoder" | "sparse-encoder";
  /** config.json's model_type (bert, xlm-roberta, ...). */
  architecture: string | null;
  /**
   * The engines that can run it: ["native", "onnx"] for a model type defined here (the ONNX graph is
   * exported from its weights when the folder ships none), ["onnx"] for one that runs only from the
   * ONNX file its folder ships.
   */
  engines: ("native" | "onnx")[];
  modules: ModuleInfo[];
  max_seq_length: number;
  backend: string;
  /** The ONNX graph in use (relative to the folder when inside it); null on the native backend. */
  onnx_file: string | null;
  threads: number;
} & (
  | {
      kind: "sentence-transformer";
      embedding_dimension: number;
      /** Dimension before the stored truncate_dim, when there is one. */
      full_embedding_dimension: number;
      truncate_dim: number | null;
      similarity_fn_name: string;
      prompts: Readonly<Record<string, string>>;
      default_prompt_name: string | null;
    }
  | { kind: "cross-encoder"; num_labels: number; labels: readonly string[]; activation: string }
  | { kind: "sparse-encoder"; embedding_dimension: number; similarity_fn_name: string; prompts: Readonly<Record<string, string>>; default_prompt_name: string | null }
);

/** `sbert info`: what a model is made of and how this library will run it. */
export function registerInfo(program: Command, io: CliIo): void {
  withModelOptions(program.command("info"))
    .summary("describe a model: modules, dimension, max length, prompts, labels, backend")
    .description(
      "Load a bi-encoder or cross-encoder (a folder or a Hugging Face id) and print its pipeline modules with their " +
        "configs, max sequence length and the engine that runs it (backend, ONNX file, threads); for a bi-encoder its " +
        "embedding dimension, similarity function and prompts, for a cross-encoder its labels and activation.",
    )
    .option("--json", "print one JSON object instead of text")
    .action(async (opts: InfoCliOptions) => {
      const info = await modelInfo(opts, io);
      io.stdout.write(opts.json ? `${JSON.stringify(info)}\n` : formatInfo(info));
    });
}

/** Loads the model as `serve` does (same class decision) and describes it. */
export async function modelInfo(opts: InfoCliOptions, io: CliIo): Promise<ModelInfo> {
  const folder = await resolveCliModelDir(opts.model, opts, io);
  const served = await loadServedModel(folder, {
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
    ...(opts.threads !== undefined ? { onnxThreads: opts.threads } : {}),
    ...(opts.onnxFile !== undefined ? { onnxFile: opts.onnxFile } : {}),
  });
  const hf = await readJsonObject(folder, "config.json", { optional: true });
  // a pipeline whose first module is not a Transformer (StaticEmbedding, CLIP) has no backend object
  const first = served.kind === "embedding" ? served.model.inputModule : served.model.transformer;
  const backend = first instanceof Transformer ? first.backend : { name: textSide(served).backendName, threads: first.computeThreads };
  const onnxPath = "path" in backend && typeof backend.path === "string" ? backend.path : undefined;
  const where = { model: opts.model, folder };
  const common = {
    architecture: typeof hf?.["model_type"] === "string" ? hf["model_type"] : null,
    // a static model runs without any engine's graph: native only
    engines: !(first instanceof Transformer) && !("backendName" in first) ? ["native" as const] : typeof hf?.["model_type"] === "string" && !isNativeModelType(hf["model_type"]) ? ["onnx" as const] : ["native" as const, "onnx" as const],
    modules: await moduleInfos(folder, served),
    max_seq_length: textSide(served).maxSeqLength,
    backend: backend.name,
    onnx_file: onnxPath === undefined ? null : insideOf(folder, onnxPath),
    threads: backend.threads,
  };
  if (served.kind === "embedding") {
    const st = served.model;
    return {
      ...where,
      kind: "sentence-transformer",
      ...common,
      embedding_dimension: st.getSentenceEmbeddingDimension(),
      full_embedding_dimension: st.fullEmbeddingDimension(),
      truncate_dim: st.truncateDim ?? null,
      similarity_fn_name: st.similarityFnName,
      prompts: st.prompts,
      default_prompt_name: st.defaultPromptName ?? null,
    };
  }
  if (served.kind === "sparse") {
    const se = served.model;
    return { ...where, kind: "sparse-encoder", ...common, embedding_dimension: se.getEmbeddingDimension(), similarity_fn_name: se.similarityFnName, prompts: se.prompts, default_prompt_name: se.defaultPromptName ?? null };
  }
  return { ...where, kind: "cross-encoder", ...common, num_labels: served.model.numLabels, labels: served.labels, activation: served.model.defaultActivation };
}

/** modules.json's entries with their configs; a folder without one lists the loaded modules. */
async function moduleInfos(folder: string, served: ServedModel): Promise<ModuleInfo[]> {
  const listed = await readModulesJson(folder);
  if (!listed) {
    const names = served.kind === "embedding" || served.kind === "sparse" ? served.model.modules.map((m) => m.typeName) : [served.model.transformer.typeName];
    const root = await readJsonObject(folder, "sentence_bert_config.json", { optional: true });
    return names.map((type, idx) => ({ idx, name: String(idx), path: "", type, config: idx === 0 ? (root ?? null) : null }));
  }
  return Promise.all(
    listed.map(async ({ idx, name, type, path }): Promise<ModuleInfo> => {
      const dir = join(folder, path);
      // The Transformer's own config is sentence_bert_config.json; config.json beside it is Hugging Face's.
      const config = (await readJsonObject(dir, "sentence_bert_config.json", { optional: true })) ?? (path === "" ? undefined : await readJsonObject(dir, "config.json", { optional: true }));
      return { idx, name, path, type, config: config ?? null };
    }),
  );
}

function insideOf(folder: string, path: string): string {
  const rel = relative(folder, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/** The text form: one `key: value` line per fact, then the modules. */
export function formatInfo(info: ModelInfo): string {
  const rows: [string, string][] = [
    ["model", info.model],
    ["folder", info.folder],
    ["kind", info.kind === "sentence-transformer" ? "sentence-transformer (bi-encoder)" : info.kind === "sparse-encoder" ? "sparse-encoder (SPLADE)" : "cross-encoder"],
    ["architecture", info.architecture ?? "(not in config.json)"],
    ["engines", info.engines.length === 2 ? "native, onnx" : info.engines[0] === "onnx" ? "onnx only (no native implementation of this model type; runs from the folder's ONNX file)" : "native only"],
    ["backend", `${info.backend}${info.onnx_file !== null ? ` (${info.onnx_file})` : ""}, ${info.threads} thread${info.threads === 1 ? "" : "s"}`],
    ["max sequence length", `${info.max_seq_length} tokens`],
  ];
  if (info.kind === "sentence-transformer") {
    const dim = info.truncate_dim !== null && info.embedding_dimension !== info.full_embedding_dimension ? `${info.embedding_dimension} (truncate_dim; full ${info.full_embedding_dimension})` : String(info.embedding_dimension);
    rows.push(["embedding dimension", dim], ["similarity function", info.similarity_fn_name]);
    const prompts = Object.entries(info.prompts);
    rows.push(["prompts", prompts.length === 0 ? "(none)" : prompts.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")]);
    rows.push(["default prompt name", info.default_prompt_name ?? "(none)"]);
  } else if (info.kind === "sparse-encoder") {
    rows.push(["embedding dimension", `${info.embedding_dimension} (sparse, vocabulary)`], ["similarity function", info.similarity_fn_name]);
  } else {
    rows.push(["labels", `${info.num_labels}: ${info.labels.join(", ")}`], ["activation", info.activation]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`);
  lines.push("modules:");
  for (const m of info.modules) {
    lines.push(`  ${m.idx} ${m.type}${m.path !== "" ? ` (${m.path}/)` : ""}`);
    if (m.config !== null) lines.push(`      ${JSON.stringify(m.config)}`);
  }
  return `${lines.join("\n")}\n`;
}
