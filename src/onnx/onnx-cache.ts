/**
 * The ONNX cache: graphs exported on first load of a model folder that has no `onnx/` folder.
 *
 * Where: the `onnxCache` load option, else `$SBERT_ONNX_CACHE`, else
 * `$XDG_CACHE_HOME/sbert-ts/onnx` (`~/.cache/sbert-ts/onnx`); `false`, or the variable set to
 * `0` / `off`, turns it off (nothing is written; the graph is exported to a temp folder that is
 * deleted once ONNX Runtime has loaded it).
 *
 * Layout: `<root>/<key>/<model.onnx>` (+ `<model.onnx>_data` for models over ~2 GiB) and
 * `<root>/<key>/manifest.json`, written last, holding each file's size and sha256. The key is a
 * sha256 of the content that decides the graph (config / modules JSON, the safetensors weights),
 * the export options and `EXPORTER_VERSION`, never of a path: the same model in two folders shares
 * one entry. An entry is built in `<root>/.tmp-*` and renamed into place, so concurrent processes
 * never see (or make) a half-written entry; one that does not verify is rebuilt.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { SbertError } from "../errors.js";
import { sha256OfFile } from "../io/file-sha256.js";
import { type WrittenFile, writeFileAtomic } from "../io/write-file-atomic.js";
import { TOKENIZER_FILES } from "../modules/transformer-files.js";

/** Bumped whenever the exporter writes a different graph for the same folder (invalidates caches). */
export const EXPORTER_VERSION = "3";

/** The file in every entry that lists its files (written last: an entry without it is incomplete). */
export const MANIFEST = "manifest.json";

/** Files that never change the graph (the tokenizer files a Transformer saves) and so stay out of the key. */
const NOT_GRAPH = new Set(TOKENIZER_FILES);

/**
 * The cache root: `option` (a folder, or false = off), else `env.SBERT_ONNX_CACHE` (a folder, or
 * `0` / `off` / `false` = off), else `$XDG_CACHE_HOME/sbert-ts/onnx`, else `~/.cache/sbert-ts/onnx`.
 */
export function onnxCacheRoot(option?: string | false, env: NodeJS.ProcessEnv = process.env): string | false {
  if (option === false) return false;
  if (option !== undefined) {
    if (typeof option !== "string" || option === "") throw new SbertError("INVALID_INPUT", `onnxCache must be a folder path or false, got ${JSON.stringify(option)}`);
    return resolve(option);
  }
  const raw = env["SBERT_ONNX_CACHE"]?.trim();
  if (raw && /^(0|off|false|no)$/i.test(raw)) return false;
  if (raw) return resolve(raw);
  return join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "sbert-ts", "onnx");
}

const digests = new Map<string, string>();

/** What changes whenever a file's bytes may have: size, mtime, ctime, inode, device. */
function stampOf(s: { size: number; mtimeMs: number; ctimeMs: number; ino: number; dev: number }): string {
  return `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}:${s.dev}`;
}

/** Files above this size have their digest remembered in `<root>/.digests` across processes. */
const REMEMBER_ABOVE = 1 << 20;

/**
 * sha256 (hex) of a file's bytes; memoized per process by path and stamp (`stampOf`). A
 * Hub snapshot's LFS file links to `blobs/<sha256>`, whose name is already the digest.
 */
export async function fileSha256(path: string): Promise<string> {
  const s = await stat(path);
  const memo = `${resolve(path)}:${stampOf(s)}`;
  const known = digests.get(memo);
  if (known) return known;
  const hex = await sha256OfFile(path);
  digests.set(memo, hex);
  return hex;
}

/**
 * sha256 of a weights or config file. Hub blob names are the sha256 of LFS files; a large file's
 * digest is kept in `<root>/.digests/` by path with its stamp (size, mtime, ctime, inode), so a
 * warm load reads no weights; any change to the file changes the stamp and it is hashed again.
 */
async function contentDigest(path: string, root: string | false): Promise<string> {
  const real = await realpath(path);
  const name = basename(real);
  if (/^[0-9a-f]{64}$/.test(name) && real.split(sep).includes("blobs")) return name;
  const s = await stat(real);
  if (root === false || s.size <= REMEMBER_ABOVE) return fileSha256(real);
  const note = join(root, ".digests", `${createHash("sha256").update(real).digest("hex").slice(0, 32)}.json`);
  const stamp = stampOf(s);
  const known = await readFile(note, "utf8").then(
    (t) => JSON.parse(t) as { path?: unknown; stamp?: unknown; sha256?: unknown },
    () => undefined,
  );
  if (known?.path === real && known.stamp === stamp && typeof known.sha256 === "string") return known.sha256;
  const sha256 = await fileSha256(real);
  await mkdir(dirname(note), { recursive: true })
    .then(() => writeFileAtomic(note, `${JSON.stringify({ path: real, stamp, sha256 })}\n`))
    .catch(() => undefined); // only a speed-up: a cache that cannot be written still works
  return sha256;
}

/** Relative path → sha256 of the files that decide the graph: *.json (less tokenizer files) and *.safetensors, two folders deep. */
async function graphInputs(dir: string, root: string | false): Promise<Record<string, string>> {
  const found: string[] = [];
  const walk = async (d: string, left: number): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith(".") || e.name === "onnx") continue;
      const p = join(d, e.name);
      const s = e.isSymbolicLink() ? await stat(p).catch(() => undefined) : e;
      if (!s) continue;
      if (s.isDirectory() && left > 0) await walk(p, left - 1);
      else if (s.isFile() && /\.(json|safetensors)$/.test(e.name) && !NOT_GRAPH.has(e.name)) found.push(p);
    }
  };
  await walk(dir, 2);
  const out: Record<string, string> = {};
  for (const p of found.sort()) out[relative(dir, p).split(sep).join("/")] = await contentDigest(p, root);
  return out;
}

/** The options that change the exported graph (part of the key). */
export interface CacheKeyOptions {
  fileName: string;
  withPooling?: boolean;
  quantize?: "int8";
  quantizedFormat?: string;
  task?: string;
}

/**
 * The entry name for a model folder's content and the export options: 32 hex digits. `root` (the
 * cache folder) is where large files' digests are remembered; false = hash them every time.
 */
export async function onnxCacheKey(modelDir: string, opts: CacheKeyOptions, root: string | false = false): Promise<string> {
  const key = JSON.stringify({
    files: await graphInputs(modelDir, root),
    fileName: opts.fileName,
    withPooling: opts.withPooling === true,
    quantize: opts.quantize ?? null,
    format: opts.quantizedFormat ?? null,
    task: opts.task ?? null,
    version: EXPORTER_VERSION,
  });
  return createHash("sha256").update(key).digest("hex").slice(0, 32);
}

interface Manifest {
  exporterVersion: string;
  /** File name in the entry → its size in bytes, sha256, and stamp once written (see `stampOf`). */
  files: Record<string, { bytes: number; sha256: string; stamp?: string }>;
}

/**
 * Whether `entry` holds a complete, intact `name`: the manifest lists it, and every listed file
 * has the recorded size and sha256. The sha256 is skipped for a file whose stamp (size, mtime,
 * ctime, inode) is still the one recorded right after it was written and hashed: anything that
 * rewrites, truncates or replaces it changes the stamp. Missing or unreadable entries are "no".
 */
export async function verifyEntry(entry: string, name: string): Promise<boolean> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(entry, MANIFEST), "utf8")) as Manifest;
  } catch {
    return false;
  }
  const files = Object.entries(manifest.files ?? {});
  if (manifest.exporterVersion !== EXPORTER_VERSION || !files.some(([n]) => n === name)) return false;
  const stamps = new Map<string, string>();
  for (const [n, want] of files) {
    const s = await stat(join(entry, n)).catch(() => undefined);
    if (!s?.isFile() || s.size !== want.bytes) return false;
    stamps.set(n, stampOf(s));
  }
  for (const [n, want] of files) {
    if (want.stamp !== undefined && stamps.get(n) === want.stamp) continue;
    if ((await fileSha256(join(entry, n))) !== want.sha256) return false;
  }
  return true;
}

/**
 * Builds an entry: `fill(tmp)` writes the files into a fresh temp folder under `root` and returns
 * them, the manifest goes in last, and the folder is renamed to `<root>/<key>`. When another
 * process got there first with a good entry, that one is kept; a bad one is replaced.
 */
export async function commitEntry(root: string, key: string, name: string, fill: (tmp: string) => Promise<WrittenFile[]>): Promise<string> {
  await mkdir(root, { recursive: true });
  const entry = join(root, key);
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(root, `.tmp-${key}-${tag}`);
  await mkdir(tmp);
  try {
    const files = await fill(tmp);
    const manifest: Manifest = { exporterVersion: EXPORTER_VERSION, files: {} };
    for (const f of files) manifest.files[basename(f.path)] = { bytes: f.bytes, sha256: f.sha256, stamp: stampOf(await stat(f.path)) };
    await writeFileAtomic(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(tmp, entry);
        return entry;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== "ENOTEMPTY" && code !== "EEXIST") || attempt > 2) throw e;
      }
      if (await verifyEntry(entry, name)) return entry; // another process built it
      const trash = join(root, `.trash-${key}-${tag}`);
      await rename(entry, trash).catch(() => undefined);
      await rm(trash, { recursive: true, force: true });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
