import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { isFile } from "../io/exists.js";
import { type ExportOnnxOptions, buildOnnxModel, defaultOnnxFileName } from "./export.js";
import { commitEntry, onnxCacheKey, onnxCacheRoot, verifyEntry } from "./onnx-cache.js";
import { writeOnnxModel } from "./write-model.js";

export { EXPORTER_VERSION } from "./onnx-cache.js";

export interface EnsureOnnxOptions extends Pick<ExportOnnxOptions, "withPooling" | "quantize" | "quantizedFormat" | "fileName" | "task"> {
  /**
   * The ONNX cache folder, or `false` to write no cache. Default: `$SBERT_ONNX_CACHE` (a folder, or
   * `0` / `off`), else `$XDG_CACHE_HOME/sbert-ts/onnx` (`~/.cache/sbert-ts/onnx`).
   */
  onnxCache?: string | false;
  /**
   * Where a new export goes: `model` (default) = `<modelDir>/onnx/`, falling back to the cache when
   * the folder cannot be written; `cache` = straight to the cache, leaving the model folder (and a
   * Hub snapshot) untouched — what the `auto` / `onnx` backends use on first load.
   */
  writeTo?: "model" | "cache";
}

/** An ONNX graph ready to open; `release()` deletes it when it is a temporary export (cache off). */
export interface OnnxGraphFile {
  path: string;
  /** True when `path` is a temporary export that `release()` removes. */
  temporary: boolean;
  release(): Promise<void>;
}

const UNWRITABLE = new Set(["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST", "ENOENT"]);

/** Whether an error (or its cause) says a location cannot be written, rather than that the model is bad. */
function isUnwritable(e: unknown): boolean {
  for (let err = e; err instanceof Error; err = err.cause) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code && UNWRITABLE.has(code)) return true;
  }
  return false;
}

const keep = async (): Promise<void> => undefined;

/**
 * The cache entry folder a model folder's export would use (`<root>/<content key>`), or undefined
 * when the cache is off.
 */
export async function onnxCacheFolder(modelDir: string, opts: EnsureOnnxOptions = {}): Promise<string | undefined> {
  const root = onnxCacheRoot(opts.onnxCache);
  if (root === false) return undefined;
  return join(root, await onnxCacheKey(modelDir, { ...opts, fileName: opts.fileName ?? defaultOnnxFileName(opts) }, root));
}

/**
 * The ONNX graph for a model folder, built on first use: `<modelDir>/onnx/<name>` when it exists
 * (a Hub or Optimum export is used as is); else a verified cache entry (see src/onnx/onnx-cache.ts);
 * else a new export — into `<modelDir>/onnx/` (`writeTo: "model"`, when writable), into the
 * cache, or, with the cache off or not writable, into a temp folder that `release()` deletes.
 */
export async function acquireOnnxModel(modelDir: string, opts: EnsureOnnxOptions = {}): Promise<OnnxGraphFile> {
  const name = opts.fileName ?? defaultOnnxFileName(opts);
  const own = join(modelDir, "onnx", name);
  if (await isFile(own)) return { path: own, temporary: false, release: keep };
  const root = onnxCacheRoot(opts.onnxCache);
  const key = root === false ? undefined : await onnxCacheKey(modelDir, { ...opts, fileName: name }, root);
  if (root !== false && key !== undefined && (await verifyEntry(join(root, key), name))) return { path: join(root, key, name), temporary: false, release: keep };

  const model = await buildOnnxModel(modelDir, opts);
  if (opts.writeTo !== "cache") {
    try {
      await mkdir(join(modelDir, "onnx"), { recursive: true });
      await writeOnnxModel(model, own);
      return { path: own, temporary: false, release: keep };
    } catch (e) {
      if (!isUnwritable(e)) throw e;
    }
  }
  if (root !== false && key !== undefined) {
    try {
      const entry = await commitEntry(root, key, name, async (tmp) => (await writeOnnxModel(model, join(tmp, name))).files);
      return { path: join(entry, name), temporary: false, release: keep };
    } catch (e) {
      if (!isUnwritable(e)) throw e;
    }
  }
  const tmp = await mkdtemp(join(tmpdir(), "sbert-onnx-"));
  try {
    await writeOnnxModel(model, join(tmp, name));
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return { path: join(tmp, name), temporary: true, release: () => rm(tmp, { recursive: true, force: true }) };
}

/**
 * Like `acquireOnnxModel`, for callers that keep the file: the path of `<modelDir>/onnx/<name>` or
 * of a cache entry. INVALID_INPUT when the export could only go to a temporary folder (the cache
 * is off, or its folder cannot be written, and so is the model folder).
 *
 * @example
 * const path = await ensureOnnxModel("models/all-MiniLM-L6-v2"); // …/onnx/model.onnx
 */
export async function ensureOnnxModel(modelDir: string, opts: EnsureOnnxOptions = {}): Promise<string> {
  const graph = await acquireOnnxModel(modelDir, opts);
  if (!graph.temporary) return graph.path;
  await graph.release();
  throw new SbertError("INVALID_INPUT", `no place to keep the ONNX export of ${modelDir}: the ONNX cache is off or cannot be written${opts.writeTo === "cache" ? "" : ", and so is the model folder"}; set SBERT_ONNX_CACHE (or onnxCache) to a writable folder`);
}
