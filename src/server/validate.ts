/**
 * The one validator every handler uses: reads fields of a parsed JSON body with TEI's types and
 * defaults, and throws ApiError with TEI's statuses (400 empty, 413 too many inputs, 422 wrong
 * type or value). A `null` field counts as missing, as serde's Option does.
 *
 * @example
 * const body = requireObject(json);
 * const normalize = optBool(body, "normalize", true);
 */
import { ApiError } from "./errors.js";

export type Body = Readonly<Record<string, unknown>>;

/** A text, or token ids (a list of non-negative integers). */
export type EmbedInput = string | number[];

export function requireObject(json: unknown, what = "the request body"): Body {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ApiError("validation", `${what} must be a JSON object, got ${describe(json)}`);
  }
  return json as Body;
}

function present(body: Body, field: string): unknown {
  const v = body[field];
  return v === null ? undefined : v;
}

export function optBool(body: Body, field: string, fallback: boolean): boolean {
  const v = present(body, field);
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") throw new ApiError("validation", `\`${field}\` must be true or false, got ${describe(v)}`);
  return v;
}

export function optString(body: Body, field: string): string | undefined {
  const v = present(body, field);
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new ApiError("validation", `\`${field}\` must be a string, got ${describe(v)}`);
  return v;
}

export function requireString(body: Body, field: string): string {
  const v = optString(body, field);
  if (v === undefined) throw new ApiError("validation", `missing field \`${field}\``);
  return v;
}

/** A positive integer no larger than `max`. */
export function optPositiveInt(body: Body, field: string, max: number): number | undefined {
  const v = present(body, field);
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new ApiError("validation", `\`${field}\` must be a positive integer, got ${describe(v)}`);
  if (v > max) throw new ApiError("validation", `\`${field}\` must be at most ${max}, got ${v}`);
  return v;
}

/** One of `values` (compared case-insensitively), or `fallback`. */
export function optEnum<T extends string>(body: Body, field: string, values: readonly T[], fallback: T): T {
  const v = present(body, field);
  if (v === undefined) return fallback;
  const found = typeof v === "string" ? values.find((x) => x.toLowerCase() === v.toLowerCase()) : undefined;
  if (found === undefined) throw new ApiError("validation", `\`${field}\` must be one of ${values.map((x) => `"${x}"`).join(", ")}, got ${describe(v)}`);
  return found;
}

/** Sentence-transformers truncates on the right only; "left" is refused rather than ignored. */
export function checkTruncationDirection(body: Body): void {
  const dir = optEnum(body, "truncation_direction", ["right", "left"] as const, "right");
  if (dir === "left") throw new ApiError("validation", '`truncation_direction` "left" is not supported: sentence-transformers truncates on the right');
}

/** 400 for an empty list, 413 for more than `max` inputs (TEI's order and messages). */
export function checkBatch(count: number, field: string, max: number): void {
  if (count === 0) throw new ApiError("empty", `\`${field}\` cannot be empty`);
  if (count > max) throw new ApiError("too_many_inputs", `batch size ${count} > maximum allowed batch size ${max}`);
}

/**
 * TEI's `Input`: a string, token ids, or a list of strings and token ids.
 * `single` is true when the request held one input, not a list.
 */
export function readEmbedInputs(body: Body, field: string, maxBatch: number): { inputs: EmbedInput[]; single: boolean } {
  const v = body[field];
  if (v === undefined || v === null) throw new ApiError("validation", `missing field \`${field}\``);
  if (typeof v === "string") return { inputs: [v], single: true };
  if (!Array.isArray(v)) throw new ApiError("validation", `\`${field}\` must be a string, a list of strings or token ids, got ${describe(v)}`);
  if (v.length > 0 && typeof v[0] === "number") return { inputs: [readIds(v, field)], single: true };
  checkBatch(v.length, field, maxBatch);
  const inputs = v.map((x: unknown, i): EmbedInput => {
    if (typeof x === "string") return x;
    if (Array.isArray(x)) return readIds(x, `${field}[${i}]`);
    throw new ApiError("validation", `\`${field}[${i}]\` must be a string or a list of token ids, got ${describe(x)}`);
  });
  return { inputs, single: false };
}

/** A string or a list of strings (TEI's TokenizeInput). */
export function readStrings(body: Body, field: string, maxBatch: number): { inputs: string[]; single: boolean } {
  const v = body[field];
  if (typeof v === "string") return { inputs: [v], single: true };
  if (!Array.isArray(v)) throw new ApiError("validation", `\`${field}\` must be a string or a list of strings, got ${describe(v)}`);
  checkBatch(v.length, field, maxBatch);
  v.forEach((x: unknown, i) => {
    if (typeof x !== "string") throw new ApiError("validation", `\`${field}[${i}]\` must be a string, got ${describe(x)}`);
  });
  return { inputs: v as string[], single: false };
}

/** A list of non-negative integers. */
export function readIds(v: readonly unknown[], what: string): number[] {
  v.forEach((x, i) => {
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 0xffffffff) {
      throw new ApiError("validation", `\`${what}[${i}]\` must be a non-negative integer token id, got ${describe(x)}`);
    }
  });
  return v as number[];
}

/**
 * TEI's PredictInput: `"text"`, `["text"]`, `["text", "pair"]`, or a batch of such lists
 * `[["a"], ["b", "c"]]`. A single text becomes the pair `[text, ""]`, which the tokenizer encodes
 * exactly as the text alone.
 */
export function readPredictInputs(body: Body, maxBatch: number): { pairs: [string, string][]; single: boolean } {
  const v = body["inputs"];
  if (typeof v === "string") return { pairs: [[v, ""]], single: true };
  if (!Array.isArray(v)) throw new ApiError("validation", `\`inputs\` must be a string, a pair of strings or a list of them, got ${describe(v)}`);
  if (v.length === 0) throw new ApiError("empty", "`inputs` cannot be empty");
  if (typeof v[0] === "string") return { pairs: [toPair(v, "inputs")], single: true };
  checkBatch(v.length, "inputs", maxBatch);
  return { pairs: v.map((x: unknown, i) => toPair(x, `inputs[${i}]`)), single: false };
}

function toPair(x: unknown, what: string): [string, string] {
  if (!Array.isArray(x) || x.length < 1 || x.length > 2 || !x.every((s) => typeof s === "string")) {
    throw new ApiError("validation", `\`${what}\` must be a list of one or two strings, got ${describe(x)}`);
  }
  return [x[0] as string, (x[1] as string | undefined) ?? ""];
}

/** A short description of a JSON value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return `a list of length ${v.length}`;
  if (typeof v === "string") return `the string "${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}
