/**
 * The ANN engine of the vector index: usearch (https://github.com/unum-cloud/usearch), an HNSW
 * index with f32, i8 and b1 storage, loaded on first use (it is a native addon: never at import
 * time, and an optional dependency).
 *
 * Why usearch: measured against hnswlib-node with bench/index-engines.ts (20k × 384 vectors of
 * intrinsic dimension 24, one thread, this machine): recall@10 f32 0.979 (hnswlib-node 0.981),
 * i8 0.934 and with 4× candidates rescored in float32 0.973, b1 4× rescored 0.895; file size f32
 * 32.1 MiB, i8 10.2 MiB, b1 3.7 MiB (hnswlib-node: f32 only, 32.1 MiB); build 9.6 s f32 / 4.0 s i8
 * (hnswlib-node 13.5 s). usearch also memory-maps a saved index for search (`view`), ships
 * prebuilt binaries for linux/macOS/windows (no compiler at install; hnswlib-node compiles with
 * node-gyp), is the engine of Python's `semantic_search_usearch`
 * (sentence_transformers/util/quantization.py), and is released every few weeks. 2.25.3 is the
 * newest release whose `engines` allow Node 20.
 */
import { createRequire } from "node:module";
import type * as Usearch from "usearch";
import { SbertError } from "../errors.js";

export type UsearchModule = typeof Usearch;
export type UsearchIndex = Usearch.Index;

let usearchModule: Promise<UsearchModule> | undefined;

export function loadUsearch(): Promise<UsearchModule> {
  // The CommonJS entry: usearch 2.25.3's ESM entry recurses forever looking for its build folder.
  usearchModule ??= Promise.resolve()
    .then(() => createRequire(import.meta.url)("usearch") as UsearchModule)
    .catch((e: unknown) => {
      usearchModule = undefined;
      const code = (e as NodeJS.ErrnoException).code;
      const missing = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
      const why = missing ? "usearch is not installed (it is an optional dependency of sbert-ts)" : `usearch is installed but could not be loaded (${(e as Error).message})`;
      throw new SbertError("UNSUPPORTED_FORMAT", `${why}; install it with \`npm install usearch@2.25.3\` to use vector indexes`, { cause: e });
    });
  return usearchModule;
}
