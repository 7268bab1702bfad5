/**
 * Server settings: one table of flags, each with its environment variable, default and parser.
 * The CLI builds its options from this table, so a flag and its variable cannot drift apart.
 *
 * Precedence: command-line flag, then environment variable, then default.
 *
 * @example
 * resolveServerConfig({ model: "models/minilm", port: "9000" }, { SBERT_THREADS: "2" });
 * // { model: "models/minilm", port: 9000, threads: 2, host: "127.0.0.1", ... }
 */
import { parseThreadCount } from "../backends/thread-count.js";

export interface ServerConfig {
  /** Model folder, or a Hugging Face id `org/name` (downloaded into the hub cache first). */
  model: string;
  /** Branch, tag or commit of a hub id (default main). */
  revision: string | undefined;
  /** ONNX file in the model's onnx/ folder (default model.onnx). */
  onnxFile: string | undefined;
  port: number;
  host: string;
  /** Token budget of one batch (sum of the tokens of its inputs). */
  maxBatchTokens: number;
  /** Requests admitted at once (reading, queued or computing); more get 429 at once. */
  maxConcurrentRequests: number;
  /** Inputs per request; more get 413. */
  maxClientBatchSize: number;
  /** Longest input in tokens; undefined = the model's max_seq_length (never more). */
  maxInputLength: number | undefined;
  /** Truncate over-long inputs when a request does not say (`truncate` missing or null). */
  autoTruncate: boolean;
  /** Required as `Authorization: Bearer <key>` on every route but /health and /metrics. */
  apiKey: string | undefined;
  /** Compute engine of the library: auto (ONNX when the folder has onnx/model.onnx), native or onnx. */
  backend: "auto" | "native" | "onnx";
  /**
   * Inference threads. Native backend: that many worker threads, each with its own copy of the
   * model (default 1). ONNX: one worker thread whose ONNX Runtime session uses that many threads
   * (default: ONNX Runtime's choice). 0: compute on the HTTP thread.
   */
  threads: number | undefined;
  /** Largest request body in bytes. */
  payloadLimit: number;
  /** Milliseconds a client has to send its whole request body (408 after that). */
  requestTimeoutMs: number;
  /** Largest image (decoded from its data URL) in bytes; larger gets 413 (image-inputs.ts). */
  maxImageBytes: number;
  /** Most pixels of one image, read from its header before decoding; more gets 413. */
  maxImagePixels: number;
}

export type ServerConfigKey = keyof ServerConfig;

interface FlagSpec {
  key: ServerConfigKey;
  /** Commander flag syntax, e.g. `--port <n>`. */
  flag: string;
  env: string;
  description: string;
  /** Parses a flag or environment value; throws a message on a bad value. */
  parse: (raw: string) => string | number | boolean;
  /** Boolean switch: the flag takes no value. */
  isSwitch?: boolean;
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => (raw: string): number => {
  const n = /^\+?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`expected an integer from ${min} to ${max}, got "${raw}"`);
  return n;
};
const text = (raw: string): string => {
  if (raw.length === 0) throw new Error("expected a non-empty value");
  return raw;
};
const oneOf = (values: readonly string[]) => (raw: string): string => {
  if (!values.includes(raw)) throw new Error(`expected one of ${values.join(", ")}, got "${raw}"`);
  return raw;
};
const bool = (raw: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off", ""].includes(v)) return false;
  throw new Error(`expected true or false, got "${raw}"`);
};

/** Every `sbert serve` flag, in help order. */
export const SERVE_FLAGS: readonly FlagSpec[] = [
  { key: "model", flag: "-m, --model <dir|id>", env: "SBERT_MODEL", description: "model folder or Hugging Face id org/name (a bi-encoder serves /embed..., a cross-encoder /rerank and /predict)", parse: text },
  { key: "revision", flag: "--revision <rev>", env: "SBERT_REVISION", description: "branch, tag or commit of a Hugging Face model id (default main)", parse: text },
  { key: "port", flag: "--port <n>", env: "SBERT_PORT", description: "TCP port (0 picks a free one)", parse: int(0, 65535) },
  { key: "host", flag: "--host <addr>", env: "SBERT_HOST", description: "address to listen on", parse: text },
  { key: "maxBatchTokens", flag: "--max-batch-tokens <n>", env: "SBERT_MAX_BATCH_TOKENS", description: "token budget of one batch", parse: int(1) },
  { key: "maxConcurrentRequests", flag: "--max-concurrent-requests <n>", env: "SBERT_MAX_CONCURRENT_REQUESTS", description: "requests admitted at once; more get 429 at once", parse: int(1) },
  { key: "maxClientBatchSize", flag: "--max-client-batch-size <n>", env: "SBERT_MAX_CLIENT_BATCH_SIZE", description: "inputs per request; more get 413", parse: int(1) },
  { key: "maxInputLength", flag: "--max-input-length <n>", env: "SBERT_MAX_INPUT_LENGTH", description: "longest input in tokens (default and upper bound: the model's max_seq_length)", parse: int(1) },
  { key: "autoTruncate", flag: "--auto-truncate", env: "SBERT_AUTO_TRUNCATE", description: "truncate long inputs when a request does not set `truncate` (env: true/false)", parse: bool, isSwitch: true },
  { key: "apiKey", flag: "--api-key <key>", env: "SBERT_API_KEY", description: "require `Authorization: Bearer <key>` (all routes but /health and /metrics)", parse: text },
  { key: "backend", flag: "--backend <name>", env: "SBERT_BACKEND", description: "compute engine: auto (ONNX when the folder has onnx/model.onnx), native or onnx", parse: oneOf(["auto", "native", "onnx"]) },
  { key: "threads", flag: "--threads <n>", env: "SBERT_THREADS", description: "inference threads, 0 to 256: native = worker threads with a model copy each (default 1); onnx = ONNX Runtime threads of its one worker; 0 = compute on the HTTP thread", parse: (raw) => parseThreadCount(raw, 0) },
  { key: "onnxFile", flag: "--onnx-file <name>", env: "SBERT_ONNX_FILE", description: "ONNX file in the model's onnx/ folder, e.g. model_qint8_avx512_vnni.onnx (default model.onnx)", parse: text },
  { key: "payloadLimit", flag: "--payload-limit <bytes>", env: "SBERT_PAYLOAD_LIMIT", description: "largest request body; larger gets 413", parse: int(1) },
  { key: "requestTimeoutMs", flag: "--request-timeout <ms>", env: "SBERT_REQUEST_TIMEOUT", description: "time a client has to send its request body; slower gets 408", parse: int(1) },
  { key: "maxImageBytes", flag: "--max-image-bytes <n>", env: "SBERT_MAX_IMAGE_BYTES", description: "largest image input (a data:image/... URL, decoded) in bytes; larger gets 413", parse: int(1) },
  { key: "maxImagePixels", flag: "--max-image-pixels <n>", env: "SBERT_MAX_IMAGE_PIXELS", description: "most pixels of one image input (by its header, before decoding); more gets 413", parse: int(1) },
];

/** Defaults; TEI's where TEI has the setting (its payload limit is 2 MB too). */
export const DEFAULT_SERVER_CONFIG: Omit<ServerConfig, "model"> = {
  revision: undefined,
  onnxFile: undefined,
  port: 8080,
  host: "127.0.0.1",
  maxBatchTokens: 16384,
  maxConcurrentRequests: 512,
  maxClientBatchSize: 32,
  maxInputLength: undefined,
  autoTruncate: false,
  apiKey: undefined,
  backend: "auto",
  threads: undefined,
  payloadLimit: 2_000_000,
  requestTimeoutMs: 30_000,
  maxImageBytes: 5_000_000,
  maxImagePixels: 16_000_000,
};

/** A flag or environment value the server cannot use; the message names both spellings. */
export class ServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServerConfigError";
  }
}

/**
 * Merges flag values (raw strings, `true` for switches), environment variables and defaults.
 * @throws ServerConfigError naming the flag and its variable
 */
export function resolveServerConfig(flags: Readonly<Partial<Record<ServerConfigKey, string | boolean>>>, env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const out: Record<string, unknown> = { ...DEFAULT_SERVER_CONFIG };
  for (const spec of SERVE_FLAGS) {
    const fromFlag = flags[spec.key];
    const fromEnv = env[spec.env];
    if (fromFlag === undefined && fromEnv === undefined) continue;
    const name = fromFlag !== undefined ? spec.flag.replace(/ <.*>$/, "").replace(/^-\w, /, "") : spec.env;
    try {
      out[spec.key] = typeof fromFlag === "boolean" ? fromFlag : spec.parse(fromFlag ?? (fromEnv as string));
    } catch (e) {
      throw new ServerConfigError(`${name}: ${(e as Error).message}`);
    }
  }
  if (typeof out["model"] !== "string") throw new ServerConfigError("no model: pass --model <dir|id> or set SBERT_MODEL");
  const config = out as unknown as ServerConfig;
  if (config.maxInputLength !== undefined && config.maxInputLength > config.maxBatchTokens) {
    throw new ServerConfigError(`--max-input-length ${config.maxInputLength} is larger than --max-batch-tokens ${config.maxBatchTokens}; one input must fit in a batch`);
  }
  return config;
}

/**
 * The budget rule that needs the model: its longest input (max_seq_length, or a lower
 * --max-input-length) must fit in one batch.
 * @throws ServerConfigError naming both flags
 */
export function checkBatchBudget(longestInput: number, maxBatchTokens: number): void {
  if (longestInput === Infinity) {
    throw new ServerConfigError("this model never truncates its inputs (a static embedding model: max_seq_length is unbounded), so the server cannot bound a batch; serving static models is not supported yet — use the library or `sbert encode`");
  }
  if (longestInput > maxBatchTokens) {
    throw new ServerConfigError(`--max-batch-tokens ${maxBatchTokens} is smaller than the longest input (${longestInput} tokens, the model's max_seq_length or --max-input-length); raise it or lower --max-input-length`);
  }
}

/** Help text listing each flag's variable, for `sbert serve --help`. */
export function envHelp(): string {
  const width = Math.max(...SERVE_FLAGS.map((s) => s.env.length));
  return SERVE_FLAGS.map((s) => `  ${s.env.padEnd(width)}  ${s.flag.replace(/^-\w, /, "").replace(/ <.*>$/, "")}`).join("\n");
}
