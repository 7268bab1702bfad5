/**
 * The Hugging Face hub cache layout, byte for byte as Python `huggingface_hub` writes it:
 *
 * ```
 * <cache>/models--org--name/
 *   refs/main                          the commit hash of branch "main" (no newline)
 *   blobs/<etag>                       file contents; etag = sha256 for LFS files, git blob sha1 otherwise
 *   snapshots/<commit>/<path>          relative symlink → ../../blobs/<etag> (one more ../ per folder level)
 *   .no_exist/<commit>/<path>          empty marker: the file does not exist at that commit
 * <cache>/.locks/models--org--name/    lock files
 * ```
 *
 * The folder name comes from `@huggingface/hub`'s `getRepoFolderName` (same rule as Python's
 * `repo_folder_name`). Its `downloadFileToCacheDir` is not used: it names the snapshot after the
 * file's last commit instead of the revision's commit, writes no `refs/`, and has no resume,
 * lock, retries or checksum (see download-file.ts).
 */
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, rename, rm, symlink } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { getRepoFolderName } from "@huggingface/hub";
import { isFile } from "../io/exists.js";
import { writeFileAtomic } from "../io/write-file-atomic.js";
import { COMMIT_HASH, validateRepoFilename } from "./names.js";

/** Paths of one model repo inside the cache. */
export class RepoCache {
  readonly storage: string;
  readonly lockDir: string;

  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
  ) {
    const folder = getRepoFolderName({ name: repoId, type: "model" });
    this.storage = join(cacheDir, folder);
    this.lockDir = join(cacheDir, ".locks", folder);
  }

  snapshotDir(commit: string): string {
    return join(this.storage, "snapshots", commit);
  }

  pointerPath(commit: string, file: string): string {
    validateRepoFilename(file);
    return join(this.snapshotDir(commit), ...file.split("/"));
  }

  blobPath(etag: string): string {
    return join(this.storage, "blobs", etag);
  }

  noExistPath(commit: string, file: string): string {
    validateRepoFilename(file);
    return join(this.storage, ".no_exist", commit, ...file.split("/"));
  }

  /** The commit a revision points to: the revision itself when it is a commit hash, else `refs/<revision>`. */
  async readRef(revision: string): Promise<string | undefined> {
    if (COMMIT_HASH.test(revision)) return revision;
    const text = await readFile(join(this.storage, "refs", ...revision.split("/")), "utf8").catch(() => undefined);
    const commit = text?.trim();
    return commit && COMMIT_HASH.test(commit) ? commit : undefined;
  }

  /** Writes `refs/<revision>` atomically (Python writes it without a newline). No-op for a commit hash. */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    await atomicWrite(join(this.storage, "refs", ...revision.split("/")), commit);
  }

  /** Whether the snapshot holds `file` (following the symlink: a dangling link is missing). */
  async hasFile(commit: string, file: string): Promise<boolean> {
    return isFile(this.pointerPath(commit, file));
  }

  async isMarkedMissing(commit: string, file: string): Promise<boolean> {
    return isFile(this.noExistPath(commit, file));
  }

  /** Records that `file` does not exist at `commit` (Python's `.no_exist` marker). */
  async markMissing(commit: string, file: string): Promise<void> {
    const path = this.noExistPath(commit, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, "");
  }

  /**
   * Points `snapshots/<commit>/<file>` at `blobs/<etag>` with a relative symlink, replacing any
   * old link atomically; copies the blob where symlinks are not allowed (Windows without
   * developer mode), as Python does.
   */
  async link(commit: string, file: string, etag: string): Promise<string> {
    const pointer = this.pointerPath(commit, file);
    const blob = this.blobPath(etag);
    await mkdir(dirname(pointer), { recursive: true });
    const tmp = `${pointer}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await symlink(relative(dirname(pointer), blob), tmp);
    } catch {
      await copyFile(blob, tmp);
    }
    try {
      await rename(tmp, pointer);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return pointer;
  }
}


/** Writes `text` to a temp file next to `path`, then renames it into place (creating the folder). */
export async function atomicWrite(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, text);
}
