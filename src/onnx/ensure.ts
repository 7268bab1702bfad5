import { createHash } from "node:crypto";
import { mkdir, readdir, realpath, stat } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { type ExportOnnxOptions, buildOnnxModel, defaultOnnxFileName } from "./export.js";
import { writeOnnxModel } from "./write-model.js";

/** Bumped whenever the exporter writes a different graph for the same folder (invalidates caches). */
export const EXPORTER_VERSION = "1";

export interface EnsureOnnxOptions extends Pick<ExportOnnxOptions, "withPooling" | "quantize" | "quantizedFormat" | "fileName" | "task"> {
  /**
   * Cache root for folders that cannot be written. Default: `$SBERT_ONNX_CACHE`, else
   * `$XDG_CACHE_HOME/sbert-ts/onnx` (`~/.cache/sbert-ts/onnx`), else `<os.tmpdir()>/sbert-onnx-cache`.
   */
  cacheDir?: string;
  /**
   * Where a new export goes: `model` (default) = `<modelDir>/onnx/`, falling back to the cache when
   * the folder cannot be written; `cache` = straight to the cache, leaving the model folder (and a
   * Hub snapshot) untouched — what the `auto` / `onnx` backends use on first load.
   */
  writeTo?: "model" | "cache";
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
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

/** Files that decide the graph (configs, weights), by name, size and mtime; the onnx/ folder is left out. */
async function fingerprint(dir: string, depth = 2): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, left: number): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith(".") || e.name === "onnx") continue;
      const p = join(d, e.name);
      if (e.isDirectory() && left > 0) await walk(p, left - 1);
      else if (e.isFile() && /\.(json|safetensors)$/.test(e.name)) {
        const s = await stat(p);
        out.push(`${relative(dir, p)}:${s.size}:${s.mtimeMs}`);
      }
    }
  };
  await walk(dir, depth);
  return out.sort();
}

/** The cache folder for one model folder and export options: `<root>/<sha256 prefix>`. */
export async function onnxCacheFolder(modelDir: string, opts: EnsureOnnxOptions = {}): Promise<string> {
  const env = process.env;
  const root = opts.cacheDir ?? env["SBERT_ONNX_CACHE"] ?? join(env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "sbert-ts", "onnx");
  const key = JSON.stringify({
    dir: await realpath(modelDir),
    files: await fingerprint(modelDir),
    withPooling: opts.withPooling === true,
    quantize: opts.quantize ?? null,
    format: opts.quantizedFormat ?? null,
    task: opts.task ?? null,
    version: EXPORTER_VERSION,
  });
  return join(root, createHash("sha256").update(key).digest("hex").slice(0, 16));
}

/**
 * The ONNX graph for a model folder, built on first use: returns `<modelDir>/onnx/<name>` when it
 * exists (a Hub or Optimum export is used as is); otherwise exports one there, or — when the
 * folder cannot be written (read-only, permissions, `onnx` is a file) — into a per-model cache
 * folder keyed by the folder's path, the size and mtime of its config and weight files, the
 * options and the exporter version. Writes are atomic (temp file + rename), so concurrent
 * callers never see a partial file.
 *
 * @example
 * const path = await ensureOnnxModel("models/all-MiniLM-L6-v2"); // …/onnx/model.onnx
 */
export async function ensureOnnxModel(modelDir: string, opts: EnsureOnnxOptions = {}): Promise<string> {
  const name = opts.fileName ?? defaultOnnxFileName(opts);
  const cacheDir = await onnxCacheFolder(modelDir, opts);
  const caches = [cacheDir, join(tmpdir(), "sbert-onnx-cache", basename(cacheDir))];
  const modelOnnx = join(modelDir, "onnx");
  for (const dir of [modelOnnx, ...caches]) if (await isFile(join(dir, name))) return join(dir, name);
  const candidates = opts.writeTo === "cache" ? caches : [modelOnnx, ...caches];

  const model = await buildOnnxModel(modelDir, opts);
  for (const [i, dir] of candidates.entries()) {
    try {
      await mkdir(dir, { recursive: true });
      await writeOnnxModel(model, join(dir, name));
      return join(dir, name);
    } catch (e) {
      if (!isUnwritable(e) || i === candidates.length - 1) throw e;
    }
  }
  throw new Error("ensureOnnxModel: no candidate folder"); // the loop returns or throws
}
