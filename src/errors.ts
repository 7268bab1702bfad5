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
  | "INVALID_OPERATION";

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
