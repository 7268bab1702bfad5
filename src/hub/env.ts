/**
 * The Hugging Face environment variables, read exactly as Python `huggingface_hub` reads them
 * (`huggingface_hub/constants.py`), so both ecosystems share one cache, endpoint and token.
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `HF_HUB_CACHE` (legacy `HUGGINGFACE_HUB_CACHE`) | the cache folder | `$HF_HOME/hub` |
 * | `HF_HOME` | root of all Hugging Face files | `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface` |
 * | `HF_ENDPOINT` | hub URL (mirrors) | `https://huggingface.co` |
 * | `HF_TOKEN` (legacy `HUGGING_FACE_HUB_TOKEN`), else the file `HF_TOKEN_PATH` (`$HF_HOME/token`) | bearer token | none |
 * | `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) = 1/ON/YES/TRUE | never use the network | off |
 * | `HF_HUB_DISABLE_IMPLICIT_TOKEN` = 1/ON/YES/TRUE | do not send the token read from the environment | off |
 * | `HF_HUB_ETAG_TIMEOUT` | seconds to wait for a metadata answer's headers | 10 |
 * | `HF_HUB_DOWNLOAD_TIMEOUT` | seconds to wait for a download's headers, and between two chunks of its body | 10 |
 *
 * `@huggingface/hub` has `getHFHubCachePath()`, but it skips Python's `~` and `$VAR` expansion and
 * knows nothing of the endpoint, token and offline variables; hence this small port.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { SbertError } from "../errors.js";

export const DEFAULT_ENDPOINT = "https://huggingface.co";

export type Env = Readonly<Record<string, string | undefined>>;

export interface HubEnv {
  /** The hub cache folder (`models--org--name/{blobs,refs,snapshots}` lives here). */
  cacheDir: string;
  /** Hub URL without a trailing slash. */
  endpoint: string;
  /** Bearer token, or undefined. */
  token: string | undefined;
  offline: boolean;
  /** HF_HUB_ETAG_TIMEOUT in seconds, when set. */
  etagTimeout: number | undefined;
  /** HF_HUB_DOWNLOAD_TIMEOUT in seconds, when set. */
  downloadTimeout: number | undefined;
}

/** A timeout variable: unset or empty is the default; else a positive number of seconds. */
function timeoutVar(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new SbertError("INVALID_INPUT", `${name} must be a positive number of seconds, got "${raw}"`);
  return value;
}

/** Python's `_is_true`: 1, ON, YES, TRUE in any case. */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "ON", "YES", "TRUE"].includes(value.toUpperCase());
}

/** Python's `os.path.expandvars(os.path.expanduser(path))` for POSIX paths. */
export function expandPath(path: string, env: Env): string {
  const user = path === "~" || path.startsWith("~/") ? homedir() + path.slice(1) : path;
  return user.replace(/\$(\w+)|\$\{(\w+)\}/g, (whole, a: string | undefined, b: string | undefined) => env[(a ?? b) as string] ?? whole);
}

/** HF_HOME with Python's default chain. */
export function hfHome(env: Env): string {
  return expandPath(env["HF_HOME"] ?? join(env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "huggingface"), env);
}

/** Python's `_clean_token`: strip line breaks and blanks; empty is no token. */
function cleanToken(token: string | undefined): string | undefined {
  const t = token?.replace(/[\r\n]/g, "").trim();
  return t ? t : undefined;
}

/** The token from HF_TOKEN / HUGGING_FACE_HUB_TOKEN, else from the token file `huggingface-cli login` writes. */
export function envToken(env: Env): string | undefined {
  if (isTrue(env["HF_HUB_DISABLE_IMPLICIT_TOKEN"])) return undefined;
  const fromEnv = cleanToken(env["HF_TOKEN"] || env["HUGGING_FACE_HUB_TOKEN"]);
  if (fromEnv) return fromEnv;
  try {
    return cleanToken(readFileSync(env["HF_TOKEN_PATH"] ?? join(hfHome(env), "token"), "utf8"));
  } catch {
    return undefined;
  }
}

/** Reads the hub settings from `env` (default `process.env`). */
export function hubEnv(env: Env = process.env): HubEnv {
  const cache = env["HF_HUB_CACHE"] ?? env["HUGGINGFACE_HUB_CACHE"] ?? join(hfHome(env), "hub");
  return {
    cacheDir: expandPath(cache, env),
    endpoint: (env["HF_ENDPOINT"] ?? "").replace(/\/+$/, "") || DEFAULT_ENDPOINT,
    token: envToken(env),
    offline: isTrue(env["HF_HUB_OFFLINE"] || env["TRANSFORMERS_OFFLINE"]),
    etagTimeout: timeoutVar(env, "HF_HUB_ETAG_TIMEOUT"),
    downloadTimeout: timeoutVar(env, "HF_HUB_DOWNLOAD_TIMEOUT"),
  };
}
