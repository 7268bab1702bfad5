/**
 * One repo file into the cache, as Python's `hf_hub_download` does it, plus what
 * `@huggingface/hub`'s `downloadFileToCacheDir` lacks (it streams straight into
 * `<blob>.incomplete` once, with no resume, lock, retry, size or hash check):
 *
 * 1. HEAD `resolve/<commit>/<file>` without following the CDN redirect: `X-Linked-Etag` / `ETag`
 *    names the blob, `X-Linked-Size` / `Content-Length` is the size, `Location` the CDN URL.
 * 2. Under a lock on the blob: skip if the blob exists; else GET into `blobs/<etag>.incomplete`
 *    (Python's name, so either tool resumes the other's partial file) with `Range` to resume,
 *    retrying dropped connections, bodies that stall (no bytes for HF_HUB_DOWNLOAD_TIMEOUT) and
 *    5xx with backoff; the retry budget restarts whenever a try brought new bytes.
 * 3. Verify the size, and the sha256 (LFS files, whose ETag is the sha256) or the git blob sha1
 *    (other files, whose ETag is the git object id); rename into place; symlink the snapshot.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat, truncate } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SbertError } from "../errors.js";
import { pathExists } from "../io/exists.js";
import { writeFully } from "../io/write-fully.js";
import type { RepoCache } from "./cache-layout.js";
import { BodyStalled, type HubClient, type RequestSubject, bodyChunks, hubError, networkError, sleep } from "./http.js";
import { withLock } from "./lock.js";
import { normalizeEtag, validateCommitHash } from "./names.js";

/** Progress of one file download, in bytes. */
export interface DownloadProgress {
  repoId: string;
  file: string;
  loaded: number;
  /** undefined when the hub did not say. */
  total: number | undefined;
  done: boolean;
}

export interface FileMetadata {
  etag: string;
  size: number | undefined;
  /** URL to GET: the CDN location when the hub redirects, else the resolve URL. */
  url: string;
  commit: string | undefined;
}

/** Python's `get_hf_file_metadata`: HEAD, following only relative (same-hub) redirects. */
export async function fileMetadata(client: HubClient, subject: Required<RequestSubject>): Promise<FileMetadata> {
  let url = client.resolveUrl(subject.repoId, subject.revision, subject.file);
  for (let hops = 0; ; hops++) {
    const res = await client.request(url, { method: "HEAD", redirect: "manual", headers: { "Accept-Encoding": "identity" } }, subject);
    const location = res.headers.get("Location");
    if (res.status >= 300 && res.status < 400 && location && !/^[a-z][a-z0-9+.-]*:/i.test(location) && hops < 5) {
      url = new URL(location, url).href; // a renamed repo: same hub, follow
      continue;
    }
    if (!(res.ok || (res.status >= 300 && res.status < 400))) {
      throw hubError(res.status, res.headers.get("X-Error-Code"), client.endpoint, subject, client.token !== undefined);
    }
    const h = (k: string): string | null => res.headers.get(k);
    const source = `${client.endpoint} for "${subject.file}"`;
    const sizeText = h("X-Linked-Size") ?? h("Content-Length");
    const size = sizeText !== null && /^\d+$/.test(sizeText) ? Number(sizeText) : undefined;
    const commit = h("X-Repo-Commit");
    return {
      etag: normalizeEtag(h("X-Linked-Etag") ?? h("ETag"), source),
      size,
      url: location ? new URL(location, url).href : url,
      commit: commit === null ? undefined : validateCommitHash(commit, source),
    };
  }
}

export interface DownloadOptions {
  onProgress?: ((p: DownloadProgress) => void) | undefined;
  lockStaleMs?: number | undefined;
}

/**
 * Makes `snapshots/<commit>/<file>` point at a verified blob, downloading it unless a blob with
 * the same ETag is already cached. Returns whether bytes were downloaded.
 */
export async function downloadToCache(client: HubClient, cache: RepoCache, commit: string, subject: Required<RequestSubject>, meta: FileMetadata, opts: DownloadOptions = {}): Promise<boolean> {
  const blob = cache.blobPath(meta.etag);
  const lockPath = join(cache.lockDir, `${meta.etag}.sbert.lock`);
  const downloaded = await withLock(
    lockPath,
    async () => {
      if (await pathExists(blob)) return false;
      await mkdir(dirname(blob), { recursive: true });
      await fetchBlob(client, subject, meta, blob, opts.onProgress);
      return true;
    },
    opts.lockStaleMs === undefined ? {} : { staleMs: opts.lockStaleMs },
  );
  await cache.link(commit, subject.file, meta.etag);
  return downloaded;
}

/** Downloads into `<blob>.incomplete` (resuming), verifies it, renames it to `blob`. */
async function fetchBlob(client: HubClient, subject: Required<RequestSubject>, meta: FileMetadata, blob: string, onProgress: DownloadOptions["onProgress"]): Promise<void> {
  const part = `${blob}.incomplete`;
  const report = (loaded: number, done: boolean): void => onProgress?.({ repoId: subject.repoId, file: subject.file, loaded, total: meta.size, done });
  let failures = 0;
  let restarts = 0;
  for (;;) {
    let offset = await stat(part).then((s) => s.size, () => 0);
    if (meta.size !== undefined && offset > meta.size) {
      await truncate(part, 0);
      offset = 0;
    }
    let received = 0;
    try {
      if (meta.size === undefined || offset < meta.size) {
        received = await fetchRange(client, subject, meta, part, offset, (n) => report(n, false));
      }
      const size = await stat(part).then((s) => s.size);
      if (meta.size !== undefined && size !== meta.size) throw new ShortRead(`got ${size} of ${meta.size} bytes`);
      const problem = await verify(part, meta.etag, size);
      if (problem) {
        // A corrupt partial file (e.g. left by a crash mid-write): start over once.
        await rm(part, { force: true });
        if (restarts++ >= 1) throw new SbertError("INVALID_MODEL_FILE", `download of "${subject.file}" from model "${subject.repoId}" is corrupt: ${problem}`);
        continue;
      }
      await rename(part, blob);
      report(size, true);
      return;
    } catch (e) {
      if (!(e instanceof ShortRead || e instanceof BodyStalled || isDroppedConnection(e))) throw e;
      const now = await stat(part).then((st) => st.size, () => 0);
      if (received > 0 || now > offset) failures = 0; // progress was made: the budget is per stall, not per file
      if (failures++ >= client.maxRetries) {
        const detail = e instanceof BodyStalled ? `${e.message} ${client.budgetText(client.downloadTimeout)} without progress` : `connection kept dropping (${(e as Error).message})`;
        throw networkError(client.endpoint, subject, detail, e);
      }
      await sleep(client.backoffMs(failures - 1));
    }
  }
}

class ShortRead extends Error {}

/** One GET from `offset` to the end, appended to `part`. Returns the bytes received. */
async function fetchRange(client: HubClient, subject: Required<RequestSubject>, meta: FileMetadata, part: string, offset: number, progress: (loaded: number) => void): Promise<number> {
  const headers: Record<string, string> = { "Accept-Encoding": "identity" };
  if (offset > 0) headers["Range"] = `bytes=${offset}-`;
  const res = await client.request(meta.url, { method: "GET", headers }, subject, client.downloadTimeout, "HF_HUB_DOWNLOAD_TIMEOUT");
  if (res.status === 416 && offset > 0) {
    await res.body?.cancel();
    await truncate(part, 0); // the partial file does not fit this blob: start over
    throw new ShortRead("range not satisfiable");
  }
  if (!res.ok) throw hubError(res.status, res.headers.get("X-Error-Code"), client.endpoint, subject, client.token !== undefined);
  let start = offset;
  if (res.status !== 206) start = 0; // the server ignored Range: rewrite from the start
  else if (!(res.headers.get("Content-Range") ?? "").startsWith(`bytes ${offset}-`)) {
    await res.body?.cancel();
    await truncate(part, 0);
    throw new ShortRead(`unexpected Content-Range "${res.headers.get("Content-Range") ?? ""}"`);
  }
  const fh = await open(part, start === 0 ? "w" : "a");
  let received = 0;
  try {
    if (!res.body) throw new ShortRead("empty response");
    for await (const chunk of bodyChunks(res, meta.url, client.downloadTimeout, "HF_HUB_DOWNLOAD_TIMEOUT")) {
      await writeFully(fh, chunk, part);
      received += chunk.length;
      progress(start + received);
    }
  } finally {
    await fh.close();
  }
  return received;
}

/** undefined when `path` matches `etag`; else what is wrong. */
async function verify(path: string, etag: string, size: number): Promise<string | undefined> {
  let hash;
  if (/^[0-9a-f]{64}$/.test(etag)) hash = createHash("sha256");
  else if (/^[0-9a-f]{40}$/.test(etag)) hash = createHash("sha1").update(`blob ${size}\0`); // git object id
  else return undefined; // a mirror's opaque ETag: the size check is all we can do
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const got = hash.digest("hex");
  return got === etag ? undefined : `content hash ${got} does not match ETag ${etag}`;
}

/** undici's error for a body cut mid-stream ("terminated") or a socket failure. */
function isDroppedConnection(e: unknown): boolean {
  const err = e as (Error & { code?: string; cause?: { code?: string } }) | undefined;
  const code = err?.code ?? err?.cause?.code ?? "";
  return (err instanceof TypeError && /terminated|fetch failed|other side closed/i.test(err.message)) || /^(ECONNRESET|EPIPE|ETIMEDOUT|UND_ERR_\w+)$/.test(code);
}
