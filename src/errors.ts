/**
 * Typed errors. Every error the library throws on purpose is an `SbertError` with a stable `code`
 * and a message that says what to do next.
 *
 * @example
 * try { await SentenceTransformer.load(dir) } catch (e) { if (e instanceof SbertError && e.code === "FILE_NOT_FOUND") ... }
 */
export type ErrorCode =
  /** A caller passed a value the API cannot accept (empty list, wrong type, out of range). */
  | "INVALID_INPUT"
  /** A file the model folder needs is missing. */
  | "FILE_NOT_FOUND"
  /** A model file exists but is corrupt, lies about its contents or is malicious. */
  | "INVALID_MODEL_FILE"
  /** The file or model is valid but of a kind this library does not read (e.g. pickle weights). */
  | "UNSUPPORTED_FORMAT"
  /** `modules.json` names a module type that no registered class handles. */
  | "UNKNOWN_MODULE"
  /** A config file holds a value that contradicts the weights or another config. */
  | "CONFIG_MISMATCH"
  /** Tensor shapes do not agree. */
  | "SHAPE_MISMATCH"
  /** An operation is not allowed in the model's current state (e.g. rank with several labels). */
  | "INVALID_OPERATION"
  /** The Hugging Face hub has no such model, revision or file (or it is private and no token was sent). */
  | "NOT_FOUND_ON_HUB"
  /** The hub refused the token: a gated model whose terms are not accepted, or a token without access. */
  | "HUB_ACCESS_DENIED"
  /** The hub could not be reached, or kept failing (5xx, 429, dropped connections) after the retries. */
  | "NETWORK_ERROR"
  /** Offline mode (`HF_HUB_OFFLINE=1`) and a file the model needs is not in the cache. */
  | "OFFLINE"
  /** A vector index folder is corrupt or truncated (its files disagree with its index.json). */
  | "INVALID_INDEX_FILE"
  /** A file could not be written completely (disk or quota full, short write); no partial file is kept. */
  | "WRITE_FAILED"
  /** A model produced NaN or infinite values (e.g. NaN weights, or overflow in fp16/int8 arithmetic). */
  | "NON_FINITE_OUTPUT";

export class SbertError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SbertError";
    this.code = code;
  }
}

/** Throws `INVALID_INPUT` unless `condition` holds. */
export function requireInput(condition: boolean, message: string): asserts condition {
  if (!condition) throw new SbertError("INVALID_INPUT", message);
}
