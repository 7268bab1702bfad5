/**
 * HTTP errors of the server: one table maps each kind to its status and TEI `error_type`, and one
 * function turns any thrown value into that shape.
 *
 * TEI body: `{"error": "...", "error_type": "validation"}`; the OpenAI route answers
 * `{"message": "...", "code": 422, "type": "validation"}` as TEI's OpenAI-compatible route does.
 *
 * @example
 * throw new ApiError("too_many_inputs", "batch size 40 > maximum allowed batch size 32"); // 413
 */
import { SbertError } from "../errors.js";

export type ApiErrorKind =
  /** An empty `inputs` / `texts` / `ids` list, or an empty text. */
  | "empty"
  /** A body that is not JSON, or not UTF-8. */
  | "bad_json"
  /** Well-formed JSON with a wrong field: wrong type, out of range, too long without truncation. */
  | "validation"
  /** More inputs than `--max-client-batch-size`. */
  | "too_many_inputs"
  /** A body over `--payload-limit`. */
  | "payload_too_large"
  | "unauthorized"
  /** More requests in flight than `--max-concurrent-requests`. */
  | "overloaded"
  /** Model still loading, a worker down, or shutting down. */
  | "unhealthy"
  /** The route needs another model type, or inference failed. */
  | "backend"
  /** The body did not arrive within `--request-timeout`. */
  | "timeout"
  | "not_found"
  | "method_not_allowed"
  | "internal";

/** Status and TEI `error_type` of every kind: the one place that decides HTTP statuses. */
export const ERROR_TABLE: Readonly<Record<ApiErrorKind, { status: number; errorType: string }>> = {
  empty: { status: 400, errorType: "empty" },
  bad_json: { status: 400, errorType: "validation" },
  validation: { status: 422, errorType: "validation" },
  too_many_inputs: { status: 413, errorType: "validation" },
  payload_too_large: { status: 413, errorType: "validation" },
  unauthorized: { status: 401, errorType: "unauthorized" },
  overloaded: { status: 429, errorType: "overloaded" },
  unhealthy: { status: 503, errorType: "unhealthy" },
  backend: { status: 424, errorType: "backend" },
  timeout: { status: 408, errorType: "timeout" },
  not_found: { status: 404, errorType: "not_found" },
  method_not_allowed: { status: 405, errorType: "validation" },
  internal: { status: 500, errorType: "backend" },
};

export class ApiError extends Error {
  readonly kind: ApiErrorKind;

  constructor(kind: ApiErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ApiError";
    this.kind = kind;
  }

  get status(): number {
    return ERROR_TABLE[this.kind].status;
  }
}

/** The client went away before its request was answered; nothing is sent. */
export class ClientGoneError extends Error {
  constructor() {
    super("the client closed the connection");
    this.name = "ClientGoneError";
  }
}

/** Library error codes that are not 424 (backend): input errors are 422, a non-finite result 500. */
const SBERT_CODE_KIND: Partial<Record<SbertError["code"], ApiErrorKind>> = {
  INVALID_INPUT: "validation",
  NON_FINITE_OUTPUT: "internal",
};

/** Any thrown value as an ApiError: library errors by SBERT_CODE_KIND (else 424), everything else 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof SbertError) return new ApiError(SBERT_CODE_KIND[err.code] ?? "backend", err.message, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError("internal", `internal error: ${message}`, { cause: err });
}

/** The JSON body for an error, in TEI's shape or (for /v1/embeddings) TEI's OpenAI shape. */
export function errorBody(err: ApiError, openai: boolean): Record<string, unknown> {
  const { status, errorType } = ERROR_TABLE[err.kind];
  return openai ? { message: err.message, code: status, type: errorType } : { error: err.message, error_type: errorType };
}
