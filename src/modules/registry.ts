import { SbertError } from "../errors.js";
import { CLIPModel } from "./clip-model.js";
import { Dense } from "./dense.js";
import type { PipelineModule } from "./module.js";
import { MultiVectorMask } from "./multi-vector-mask.js";
import { Normalize } from "./normalize.js";
import { Pooling } from "./pooling.js";
import { Router } from "./router.js";
import { SparseStaticEmbedding } from "./sparse-static-embedding.js";
import { SpladePooling } from "./splade-pooling.js";
import { StaticEmbedding } from "./static-embedding.js";
import { Transformer, type TransformerOptions } from "./transformer.js";
import { isClipConfig } from "../architectures/clip-config.js";
import { readJsonObject } from "../io/json-file.js";

type Loader = (dir: string, opts: TransformerOptions) => Promise<PipelineModule>;

const LOADERS: Record<string, Loader> = {
  // a 5.4+ Transformer over a CLIP checkpoint (both towers) is a CLIPModel in the Transformer layout
  Transformer: async (dir, opts) => (isClipConfig(await readJsonObject(dir, "config.json", { optional: true })) ? CLIPModel.load(dir, { ...opts, layout: "transformer" }) : Transformer.load(dir, opts)),
  Pooling: (dir) => Pooling.load(dir),
  Dense: (dir) => Dense.load(dir),
  Normalize: (dir) => Normalize.load(dir),
  StaticEmbedding: (dir) => StaticEmbedding.load(dir),
  MLMTransformer: (dir, opts) => Transformer.load(dir, { ...opts, defaultTask: "fill-mask" }, "MLMTransformer"),
  SpladePooling: (dir) => SpladePooling.load(dir),
  SparseStaticEmbedding: (dir) => SparseStaticEmbedding.load(dir),
  Router: (dir, opts) => Router.load(dir, opts, loadModule),
  MultiVectorMask: (dir) => MultiVectorMask.load(dir),
  // --- clipmodel ---
  CLIPModel: (dir, opts) => CLIPModel.load(dir, opts),
};

/** Modules that live in one model-type package only (v6: `sentence_transformers.multi_vector_encoder.modules`). */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  MultiVectorMask: "sentence_transformers.multi_vector_encoder.modules",
};

/**
 * The `modules.json` type strings we accept, all spellings of the same classes:
 * classic (`sentence_transformers.models.Pooling`), 5.4+
 * (`sentence_transformers.sentence_transformer.modules.pooling.Pooling`,
 * `sentence_transformers.base.modules.transformer.Transformer`, `...dense.Dense`,
 * `...normalize.Normalize`, `...static_embedding.StaticEmbedding`) and v6
 * (`sentence_transformers.base.modules.Transformer`, ...); the v6 multi-vector
 * `sentence_transformers.multi_vector_encoder.modules.multi_vector_mask.MultiVectorMask`; the
 * sparse-encoder modules likewise (`sentence_transformers.sparse_encoder.models.SpladePooling`, 5.0–5.3;
 * `sentence_transformers.sparse_encoder.modules.splade_pooling.SpladePooling`, 5.4+;
 * `sentence_transformers.base.modules.router.Router`).
 * These strings are public API: add spellings, never remove one.
 */
const KNOWN_TYPES: ReadonlyMap<string, string> = new Map(
  Object.keys(LOADERS).flatMap((cls) => {
    const file = snakeCase(cls);
    const pkg = PACKAGE_OF[cls];
    if (pkg) return [`${pkg}.${cls}`, `${pkg}.${file}.${cls}`].map((t) => [t, cls] as const);
    return [
      `sentence_transformers.models.${cls}`,
      `sentence_transformers.models.${cls}.${cls}`,
      `sentence_transformers.base.modules.${cls}`,
      `sentence_transformers.base.modules.${file}.${cls}`,
      `sentence_transformers.base.models.${cls}`,
      `sentence_transformers.sentence_transformer.modules.${cls}`,
      `sentence_transformers.sentence_transformer.modules.${file}.${cls}`,
      `sentence_transformers.sentence_transformer.models.${cls}`,
      `sentence_transformers.sentence_transformer.models.${cls}.${cls}`,
      `sentence_transformers.cross_encoder.modules.${cls}`,
      `sentence_transformers.cross_encoder.modules.${file}.${cls}`,
      `sentence_transformers.sparse_encoder.models.${cls}`,
      `sentence_transformers.sparse_encoder.models.${cls}.${cls}`,
      `sentence_transformers.sparse_encoder.modules.${cls}`,
      `sentence_transformers.sparse_encoder.modules.${file}.${cls}`,
    ].map((t) => [t, cls] as const);
  }),
);

/** Python's module file name for a class: `StaticEmbedding` → `static_embedding`, `Dense` → `dense`, `CLIPModel` → `clip_model`. */
function snakeCase(cls: string): string {
  return cls.replace(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/g, "_").toLowerCase();
}

/** The Python class name for a `modules.json` type string, or an UNKNOWN_MODULE error naming it. */
export function resolveModuleType(type: string): string {
  const cls = KNOWN_TYPES.get(type);
  if (!cls) {
    throw new SbertError(
      "UNKNOWN_MODULE",
      `modules.json names module type "${type}", which sbert-ts does not implement; supported: ${Object.keys(LOADERS).join(", ")}`,
    );
  }
  return cls;
}

/** Loads the module of `type` from its folder. */
export function loadModule(type: string, dir: string, opts: TransformerOptions = {}): Promise<PipelineModule> {
  const loader = LOADERS[resolveModuleType(type)] as Loader;
  return loader(dir, opts);
}
