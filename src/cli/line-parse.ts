/**
 * One input line at a time: strict UTF-8 decoding and the JSON Lines rules for texts, shared by
 * the whole-input readers (`io.ts`) and the streamed reader (`text-input.ts`).
 */
import { SbertError } from "../errors.js";

/** How input lines are read: JSON Lines, plain text, or decided from the content. */
export type InputFormat = "auto" | "jsonl" | "txt";
export const INPUT_FORMATS: readonly InputFormat[] = ["auto", "jsonl", "txt"];

const BLANK = /^[ \t\r]*$/;
const fatalUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A line that JSON Lines skips (spaces, tabs and carriage returns only). */
export function isBlank(line: string): boolean {
  return BLANK.test(line);
}

/**
 * One line's bytes (no `\n`) as text, a trailing `\r` dropped; `lineNo` 1 also drops a leading
 * BOM. Invalid UTF-8 is `INVALID_INPUT` naming `name` and the line.
 */
export function decodeLine(bytes: Uint8Array, lineNo: number, name: string): string {
  let b = bytes;
  if (lineNo === 1 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
  let text: string;
  try {
    text = fatalUtf8.decode(b);
  } catch {
    throw invalidUtf8(name, lineNo);
  }
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}

export function invalidUtf8(name: string, lineNo: number): SbertError {
  return new SbertError("INVALID_INPUT", `${name}: line ${lineNo} is not valid UTF-8; the input must be UTF-8 text`);
}

/** Whether a non-blank line counts as JSON Lines for `auto`: a JSON string or object. */
export function isJsonTextLine(line: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return false;
  }
  return typeof value === "string" || isObject(value);
}

/** A line's JSON value; invalid JSON is `INVALID_INPUT` naming the line. */
export function parseJsonLine(line: string, lineNo: number, name: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (e) {
    throw lineError(name, lineNo, `invalid JSON (${(e as Error).message})`);
  }
}

/** The text of a non-blank JSON Lines line: a JSON string, or an object's string `text` field. */
export function jsonLineText(line: string, lineNo: number, name: string): string {
  const value = parseJsonLine(line, lineNo, name);
  if (typeof value === "string") return value;
  if (isObject(value) && typeof value["text"] === "string") return value["text"];
  throw lineError(name, lineNo, `expected a JSON string or an object with a string "text" field, got ${describeJson(value)}`);
}

export function lineError(name: string, lineNo: number, message: string): SbertError {
  return new SbertError("INVALID_INPUT", `${name}: line ${lineNo}: ${message}`);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function describeJson(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (isObject(v)) return "an object";
  return typeof v;
}
