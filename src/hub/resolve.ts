/**
 * Model ids → folders in the Hugging Face cache. A revision already complete in the cache is used
 * without any request; otherwise the hub is asked once for the revision's commit and file list
 * (`@huggingface/hub`'s `modelInfo`), `modules.json` is fetched first and then only the files its
 * modules need. With `HF_HUB_OFFLINE=1`, or when the hub cannot be reached, the cache alone is used.
 *
 * @example
 * const { dir, commit, downloaded } = await downloadModel("sentence-transformers/all-MiniLM-L6-v2");
 * await downloadModel("org/name", { revision: "v1", onnxFile: "model_O4.onnx" });
 */
import { readFile } from "node:fs/promises";
import { HubApiError, modelInfo } from "@huggingface/hub";
import { SbertError } from "../errors.js";
import { pickleWeightsError } from "../io/safetensors.js";
import { parseShardIndex } from "../io/safetensors-index.js";
import { RepoCache } from "./cache-layout.js";
import { type DownloadProgress, downloadToCache, fileMetadata } from "./download-file.js";
import { type Env, hubEnv } from "./env.js";
import { HubClient, type RequestSubject, type RetryOptions, hubError } from "./http.js";
import { type ModuleFolder, parseModulesJson, wantedFiles } from "./model-files.js";
import { validateCommitHash, validateRepoFilename, validateRepoId, validateRevision } from "./names.js";

export interface HubOptions extends RetryOptions {
  /** Branch, tag, `refs/pr/N` or commit hash (default "main"). */
  revision?: string;
  /** Cache folder (default HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** Hub URL (default HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Bearer token (default HF_TOKEN, else the `huggingface-cli login` token file); false sends none. */
  token?: string | false;
  /** Use only the cache (default HF_HUB_OFFLINE). */
  offline?: boolean;
  /**
   * Ask the hub for the revision's current commit even when the cache already holds a complete
   * snapshot of it (Python does this on every load; by default a cached branch is used as is).
   */
  checkForUpdates?: boolean;
  /** More repo files to fetch (required), e.g. `["onnx/model_O4.onnx"]`. */
  extraFiles?: readonly string[];
  /**
   * For the ONNX backend: fetch `onnx/<onnxFile>` (and its `_data` file if any) in each Transformer
   * folder instead of `model.safetensors`, e.g. `"model.onnx"`.
   */
  onnxFile?: string;
  /** Called as bytes arrive (the CLI draws a progress bar with it). */
  onProgress?: (p: DownloadProgress) => void;
  /** Environment to read the HF_* variables from (default process.env). */
  env?: Env;
  fetch?: typeof fetch;
  /** A lock file untouched this long is taken over (default 60 s). */
  lockStaleMs?: number;
}

export interface ResolvedModel {
  repoId: string;
  revision: string;
  commit: string;
  /** The snapshot folder: load the model from here. */
  dir: string;
  /** Repo files fetched over the network by this call (empty when the cache had everything). */
  downloaded: string[];
  /** Whether the hub was not contacted at all. */
  fromCache: boolean;
}

const inflight = new Map<string, Promise<ResolvedModel>>();

/** Downloads (or finds in the cache) what model `repoId` needs; concurrent calls share one download. */
export async function downloadModel(repoId: string, opts: HubOptions = {}): Promise<ResolvedModel> {
  validateRepoId(repoId);
  const revision = opts.revision ?? "main";
  validateRevision(revision);
  const extraFiles = opts.extraFiles ?? [];
  for (const f of extraFiles) validateRepoFilename(f, "extra file", "INVALID_INPUT");
  if (opts.onnxFile !== undefined) validateRepoFilename(`onnx/${opts.onnxFile}`, "ONNX file", "INVALID_INPUT");
  const env = hubEnv(opts.env ?? process.env);
  const settings = {
    cacheDir: opts.cacheDir ?? env.cacheDir,
    endpoint: (opts.endpoint ?? env.endpoint).replace(/\/+$/, ""),
    token: opts.token === false ? undefined : (opts.token ?? env.token),
    offline: opts.offline ?? env.offline,
    etagTimeout: opts.etagTimeout ?? env.etagTimeout,
    downloadTimeout: opts.downloadTimeout ?? env.downloadTimeout,
  };
  const key = JSON.stringify([settings.cacheDir, settings.endpoint, settings.offline, repoId, revision, extraFiles, opts.onnxFile ?? null, opts.checkForUpdates ?? false]);
  let job = inflight.get(key);
  if (!job) {
    job = resolve({ ...opts, ...settings, repoId, revision, extraFiles, onnxFile: opts.onnxFile }).finally(() => inflight.delete(key));
    inflight.set(key, job);
  }
  return job;
}

interface Job extends Omit<HubOptions, "token" | "extraFiles" | "onnxFile" | "etagTimeout" | "downloadTimeout"> {
  etagTimeout: number | undefined;
  downloadTimeout: number | undefined;
  onnxFile: string | undefined;
  repoId: string;
  revision: string;
  cacheDir: string;
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  extraFiles: readonly string[];
}

async function resolve(job: Job): Promise<ResolvedModel> {
  const cache = new RepoCache(job.cacheDir, job.repoId);
  const done = (commit: string, downloaded: string[], fromCache: boolean): ResolvedModel => ({
    repoId: job.repoId,
    revision: job.revision,
    commit,
    dir: cache.snapshotDir(commit),
    downloaded,
    fromCache,
  });
  if (job.offline) {
    const found = await fromCache(cache, job, "usable");
    if ("missing" in found) throw offlineError(job, cache, found.missing, "HF_HUB_OFFLINE is set");
    return done(found.commit, [], true);
  }
  if (!job.checkForUpdates) {
    const complete = await fromCache(cache, job, "complete");
    if (!("missing" in complete)) return done(complete.commit, [], true);
  }
  try {
    const { commit, downloaded } = await fromHub(cache, job);
    return done(commit, downloaded, false);
  } catch (e) {
    // As Python does: when the hub is unreachable, a usable cached snapshot still loads.
    if (!(e instanceof SbertError && e.code === "NETWORK_ERROR")) throw e;
    const found = await fromCache(cache, job, "usable");
    if ("missing" in found) throw e;
    return done(found.commit, [], true);
  }
}

/**
 * The cached snapshot of the revision, if it has every file the model needs. "complete": every
 * wanted file is cached or marked absent in `.no_exist` (safe to skip the hub). "usable": the
 * required ones are cached (offline mode, or the hub is down).
 */
async function fromCache(cache: RepoCache, job: Job, mode: "complete" | "usable"): Promise<{ commit: string } | { missing: string }> {
  const commit = await cache.readRef(job.revision);
  if (!commit) return { missing: "modules.json" };
  let modules: ModuleFolder[] | undefined;
  if (await cache.hasFile(commit, "modules.json")) {
    modules = parseModulesJson(await readFile(cache.pointerPath(commit, "modules.json"), "utf8"), `modules.json of model "${job.repoId}"`);
  } else if (mode === "complete" && !(await cache.isMarkedMissing(commit, "modules.json"))) {
    return { missing: "modules.json" };
  }
  for (const w of wantedFiles(modules, job)) {
    if (await cache.hasFile(commit, w.path)) continue;
    const shards = await cachedShardList(cache, commit, w.path, job);
    if (shards) {
      for (const shard of shards) if (!(await cache.hasFile(commit, shard))) return { missing: shard };
      continue;
    }
    if (w.required || !(mode === "usable" || (await cache.isMarkedMissing(commit, w.path)))) return { missing: w.path };
  }
  return { commit };
}

async function fromHub(cache: RepoCache, job: Job): Promise<{ commit: string; downloaded: string[] }> {
  const client = new HubClient({ endpoint: job.endpoint, token: job.token, fetch: job.fetch, maxRetries: job.maxRetries, retryBaseMs: job.retryBaseMs, etagTimeout: job.etagTimeout, downloadTimeout: job.downloadTimeout });
  const subject: RequestSubject = { repoId: job.repoId, revision: job.revision };
  const { commit, files } = await revisionInfo(client, subject);
  const downloaded: string[] = [];
  const fetchFile = async (file: string): Promise<void> => {
    if (await cache.hasFile(commit, file)) return;
    const fileSubject = { ...subject, revision: commit, file };
    const meta = await fileMetadata(client, fileSubject);
    if (await downloadToCache(client, cache, commit, fileSubject, meta, { onProgress: job.onProgress, lockStaleMs: job.lockStaleMs })) downloaded.push(file);
  };

  let modules: ModuleFolder[] | undefined;
  if (files.has("modules.json")) {
    await fetchFile("modules.json");
    modules = parseModulesJson(await readFile(cache.pointerPath(commit, "modules.json"), "utf8"), `modules.json of model "${job.repoId}"`);
  } else {
    await cache.markMissing(commit, "modules.json");
  }
  const wanted = wantedFiles(modules, job);
  const indexOf = (path: string): string | undefined => (isWeightsFile(path) && files.has(`${path}.index.json`) ? `${path}.index.json` : undefined);
  for (const w of wanted) if (w.required && !files.has(w.path) && !indexOf(w.path)) throw missingOnHub(job, w.path, commit, files);
  for (const w of wanted) {
    const index = files.has(w.path) ? undefined : indexOf(w.path);
    if (files.has(w.path)) await fetchFile(w.path);
    else if (index) {
      // A sharded checkpoint: the index first, then the shards it names (validated names only).
      await fetchFile(index);
      for (const shard of (await cachedShardList(cache, commit, w.path, job)) ?? []) {
        if (!files.has(shard)) throw missingOnHub(job, shard, commit, files);
        await fetchFile(shard);
      }
    } else await cache.markMissing(commit, w.path);
  }
  await cache.writeRef(job.revision, commit);
  return { commit, downloaded };
}

/** The revision's commit and file list, from `/api/models/{id}/revision/{rev}`. */
async function revisionInfo(client: HubClient, subject: RequestSubject): Promise<{ commit: string; files: Set<string> }> {
  let errorCode: string | null = null;
  const fetchFn: typeof fetch = async (input, init) => {
    const res = await client.fetchFor(subject)(input, init);
    errorCode = res.headers.get("X-Error-Code");
    return res;
  };
  try {
    const info = await modelInfo({ name: subject.repoId, hubUrl: client.endpoint, revision: subject.revision, additionalFields: ["sha", "filePaths"], fetch: fetchFn });
    const files = Array.isArray(info.filePaths) ? info.filePaths.filter((f): f is string => typeof f === "string") : [];
    return { commit: validateCommitHash(info.sha, `${client.endpoint} (model "${subject.repoId}")`), files: new Set(files) };
  } catch (e) {
    if (e instanceof HubApiError) throw hubError(e.statusCode, errorCode, client.endpoint, subject, client.token !== undefined);
    if (e instanceof SbertError) throw e;
    throw new SbertError("NETWORK_ERROR", `${client.endpoint} gave an unreadable answer for model "${subject.repoId}": ${(e as Error).message}`, { cause: e });
  }
}

/** `model.safetensors` (at the root or in a module folder): the file a shard index can replace. */
function isWeightsFile(path: string): boolean {
  return path === "model.safetensors" || path.endsWith("/model.safetensors");
}

/**
 * The repo paths of the shards named by the cached `<weights>.index.json`, or undefined when the
 * snapshot has no such index. The index is validated (`parseShardIndex`): shard names are plain
 * file names in the weights' own folder.
 */
async function cachedShardList(cache: RepoCache, commit: string, weights: string, job: Job): Promise<string[] | undefined> {
  const index = `${weights}.index.json`;
  if (!isWeightsFile(weights) || !(await cache.hasFile(commit, index))) return undefined;
  const text = await readFile(cache.pointerPath(commit, index), "utf8");
  const dir = weights.slice(0, weights.length - "model.safetensors".length);
  return parseShardIndex(text, `${index} of model "${job.repoId}"`).shards.map((s) => `${dir}${s}`);
}

function missingOnHub(job: Job, file: string, commit: string, files: ReadonlySet<string>): SbertError {
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
  if (file.endsWith("model.safetensors") && files.has(`${dir}pytorch_model.bin`)) {
    return pickleWeightsError(`model "${job.repoId}" has only ${dir}pytorch_model.bin, no ${file}.`);
  }
  const ext = file.slice(file.lastIndexOf("."));
  const similar = [...files].filter((f) => f.endsWith(ext)).slice(0, 10);
  return new SbertError(
    "NOT_FOUND_ON_HUB",
    `model "${job.repoId}" (revision "${job.revision}", commit ${commit.slice(0, 10)}) has no file "${file}", which it needs` +
      (similar.length ? `; it has ${similar.map((f) => `"${f}"`).join(", ")}` : ""),
  );
}

function offlineError(job: Job, cache: RepoCache, file: string, why: string): SbertError {
  return new SbertError(
    "OFFLINE",
    `cannot load model "${job.repoId}"${job.revision === "main" ? "" : ` (revision "${job.revision}")`} offline: file "${file}" is not in the cache ` +
      `${cache.storage} and ${why}. Run once with network access (unset HF_HUB_OFFLINE), or check HF_HUB_CACHE / HF_HOME`,
  );
}
