import { SbertError } from "../errors.js";
import { Dense } from "./dense.js";
import type { PipelineModule } from "./module.js";
import { Normalize } from "./normalize.js";
import { Pooling } from "./pooling.js";
import { Router } from "./router.js";
import { SparseStaticEmbedding } from "./sparse-static-embedding.js";
import { SpladePooling } from "./splade-pooling.js";
import { StaticEmbedding } from "./static-embedding.js";
import { Transformer, type TransformerOptions } from "./transformer.js";

type Loader = (dir: string, opts: TransformerOptions) => Promise<PipelineModule>;

const LOADERS: Record<string, Loader> = {
  Transformer: (dir, opts) => Transformer.load(dir, opts),
  Pooling: (dir) => Pooling.load(dir),
  Dense: (dir) => Dense.load(dir),
  Normalize: () => Normalize.load(),
  StaticEmbedding: (dir) => StaticEmbedding.load(dir),
  MLMTransformer: (dir, opts) => Transformer.load(dir, { ...opts, defaultTask: "fill-mask" }, "MLMTransformer"),
  SpladePooling: (dir) => SpladePooling.load(dir),
  SparseStaticEmbedding: (dir) => SparseStaticEmbedding.load(dir),
  Router: (dir, opts) => Router.load(dir, opts, loadModule),
};

/**
 * The `modules.json` type strings we accept, all spellings of the same classes:
 * classic (`sentence_transformers.models.Pooling`), 5.4+
 * (`sentence_transformers.sentence_transformer.modules.pooling.Pooling`,
 * `sentence_transformers.base.modules.transformer.Transformer`, `...dense.Dense`,
 * `...normalize.Normalize`, `...static_embedding.StaticEmbedding`) and v6
 * (`sentence_transformers.base.modules.Transformer`, ...); the sparse-encoder modules likewise
 * (`sentence_transformers.sparse_encoder.models.SpladePooling`, 5.0–5.3;
 * `sentence_transformers.sparse_encoder.modules.splade_pooling.SpladePooling`, 5.4+;
 * `sentence_transformers.base.modules.router.Router`).
 * These strings are public API: add spellings, never remove one.
 */
const KNOWN_TYPES: ReadonlyMap<string, string> = new Map(
  Object.keys(LOADERS).flatMap((cls) => {
    const file = snakeCase(cls);
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

/** Python's module file name for a class: `StaticEmbedding` → `static_embedding`, `MLMTransformer` → `mlm_transformer`. */
function snakeCase(cls: string): string {
  return cls.replace(/(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])/g, "_$1$2").toLowerCase();
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
