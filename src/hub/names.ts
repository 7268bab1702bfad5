/**
 * Validation of everything that becomes part of a cache path: repo ids, revisions, repo file
 * names, commit hashes and ETags. A name that could leave the cache folder is refused before any
 * file is touched.
 */
import { type ErrorCode, SbertError } from "../errors.js";

/** A full commit hash: snapshots are named by it. */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

const NAME_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/**
 * Throws INVALID_INPUT unless `id` is `org/name` under the hub's rules (Python's
 * `validate_repo_id`): letters, digits, `-`, `_`, `.`; no leading or trailing `-` or `.`;
 * no `--` or `..`; not ending in `.git`; at most 96 characters per part.
 */
export function validateRepoId(id: string): void {
  const fail = (why: string): never => {
    throw new SbertError("INVALID_INPUT", `"${id}" is not a valid Hugging Face model id: ${why}`);
  };
  if (typeof id !== "string") fail("it must be a string");
  const parts = id.split("/");
  if (parts.length !== 2) fail('it must have the form "org/name", e.g. "sentence-transformers/all-MiniLM-L6-v2"');
  for (const p of parts) {
    if (!NAME_PART.test(p)) fail('each part uses letters, digits, "-", "_" or "." and cannot start or end with "-" or "."');
    if (p.length > 96) fail("each part has at most 96 characters");
  }
  if (id.includes("--") || id.includes("..")) fail('"--" and ".." are not allowed');
  if (id.endsWith(".git")) fail('it cannot end with ".git"');
}

/**
 * Whether a string that is not an existing path should be taken as a hub id rather than a
 * missing folder: exactly one `/`, and nothing that only paths have (leading `.`, `/` or `~`,
 * a backslash or a drive colon). The id itself is validated separately.
 */
export function looksLikeRepoId(s: string): boolean {
  return s.split("/").length === 2 && !/^[.~/]/.test(s) && !s.endsWith("/") && !/[\\:]/.test(s);
}

/** Throws INVALID_INPUT unless `revision` is a branch, tag, `refs/pr/N` or commit that stays inside `refs/`. */
export function validateRevision(revision: string): void {
  const ok =
    typeof revision === "string" &&
    revision.length > 0 &&
    revision.length <= 255 &&
    !/[\\\0:]/.test(revision) &&
    revision.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
  if (!ok) throw new SbertError("INVALID_INPUT", `revision "${String(revision)}" is not a valid branch, tag or commit name`);
}

/**
 * Refuses a repo file name that would escape the model folder once joined onto it: a `..`
 * segment, an absolute, drive or UNC path (under POSIX and Windows rules), empty segments or NUL.
 * A port of `validateRelativeFilename` from `@huggingface/hub` (not exported there) and
 * `_validate_relative_filename` from Python `huggingface_hub`, plus the empty-segment check.
 */
export function validateRepoFilename(name: string, what = "file name", code: ErrorCode = "INVALID_MODEL_FILE"): void {
  const segments = typeof name === "string" ? name.replace(/\\/g, "/").split("/") : [];
  const bad =
    typeof name !== "string" ||
    name.length === 0 ||
    name.includes("\0") ||
    segments.some((s) => s === "" || s === "." || s === "..") ||
    [name, ...name.split("/")].some((p) => p.startsWith("/") || p.startsWith("\\") || /^[a-zA-Z]:/.test(p));
  if (bad) {
    throw new SbertError(code, `refusing ${what} "${String(name)}": it would leave the model folder (absolute path, "..", or empty segment)`);
  }
}

/** Throws unless `commit` is a 40-hex commit hash (it names a snapshot folder). */
export function validateCommitHash(commit: unknown, source: string): string {
  if (typeof commit !== "string" || !COMMIT_HASH.test(commit)) {
    throw new SbertError("INVALID_MODEL_FILE", `${source} gave commit "${String(commit)}", which is not a 40-character hex commit hash`);
  }
  return commit;
}

/**
 * Python's `_normalize_etag` (drop `W/` and quotes), then a check that the ETag can name a blob
 * file: letters, digits, `-`, `_` only (sha256 for LFS files, the git blob sha1 otherwise).
 */
export function normalizeEtag(raw: string | null, source: string): string {
  const etag = (raw ?? "").replace(/^W\//, "").replace(/^"+|"+$/g, "");
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(etag)) {
    throw new SbertError("INVALID_MODEL_FILE", `${source} gave ETag "${raw ?? ""}", which cannot name a cache blob`);
  }
  return etag;
}
