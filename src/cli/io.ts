/**
 * Input and output of the CLI: UTF-8 text files or stdin in, JSON Lines out (stdout, or a file
 * written to a temporary name and renamed, so an error never leaves a half-written file).
 * Whole-input readers live here; `text-input.ts` streams texts and `output.ts` streams output.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { SbertError } from "../errors.js";
import { type InputFormat, decodeLine, describeJson, invalidUtf8, isBlank, isJsonTextLine, jsonLineText, lineError, parseJsonLine } from "./line-parse.js";
import { type CliIo, STDIO } from "./streams.js";

export { INPUT_FORMATS, type InputFormat } from "./line-parse.js";
export { checkOutputPath, openOutput, writeOutputLines, type LineSink } from "./output.js";
export { STDIO, type CliIo, type FileHandleLike, type OutputStream } from "./streams.js";

/** A decoded input: its name for messages and its lines (no line terminators). */
export interface InputLines {
  name: string;
  lines: string[];
}

/** Reads a file (or stdin for "-") as strict UTF-8 and splits it into lines (`\n` or `\r\n`). */
export async function readInputLines(path: string, io: CliIo): Promise<InputLines> {
  const name = inputName(path);
  const bytes = path === STDIO ? await readStdin(io) : await readInputFile(path);
  const text = decodeUtf8(bytes, name);
  if (text === "") return { name, lines: [] };
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return { name, lines: lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)) };
}

/** The name of an input in messages: the path, or `<stdin>`. */
export function inputName(path: string): string {
  return path === STDIO ? "<stdin>" : path;
}

/**
 * Texts of an input. `jsonl`: every non-blank line is a JSON string or an object with a string
 * `text` field; blank lines are skipped. `txt`: every line is one text (an empty line is the empty
 * text). `auto` (stdin, and files that are neither .jsonl/.ndjson nor .txt): JSON Lines when every
 * non-blank line parses as a JSON string or object, plain text otherwise.
 */
export function parseTexts(input: InputLines, format: InputFormat): string[] {
  if (format === "txt") return input.lines;
  if (format === "auto" && !looksLikeJsonLines(input.lines)) return input.lines;
  const texts: string[] = [];
  input.lines.forEach((line, i) => {
    if (!isBlank(line)) texts.push(jsonLineText(line, i + 1, input.name));
  });
  return texts;
}

/** `[text_a, text_b]` pairs, one JSON array per non-blank line. */
export function parsePairs(input: InputLines): [string, string][] {
  const pairs: [string, string][] = [];
  input.lines.forEach((line, i) => {
    if (isBlank(line)) return;
    const value = parseJsonLine(line, i + 1, input.name);
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") {
      pairs.push([value[0], value[1]]);
    } else {
      throw lineError(input.name, i + 1, `expected a JSON array of two strings [text_a, text_b], got ${describeJson(value)}`);
    }
  });
  return pairs;
}

/** The texts of an input file (or stdin for "-"), read as `format`, else as its extension says. */
export async function readTexts(path: string, format: InputFormat | undefined, io: CliIo): Promise<string[]> {
  return parseTexts(await readInputLines(path, io), format ?? formatForPath(path));
}

/** The format an input path implies: `.jsonl` / `.ndjson` → jsonl, `.txt` → txt, else auto. */
export function formatForPath(path: string): InputFormat {
  if (path === STDIO) return "auto";
  const ext = extname(path).toLowerCase();
  return ext === ".jsonl" || ext === ".ndjson" ? "jsonl" : ext === ".txt" ? "txt" : "auto";
}

async function readStdin(io: CliIo): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of stdinBytes(io)) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Standard input as bytes (a hint on stderr when it is a terminal). */
export async function* stdinBytes(io: CliIo): AsyncGenerator<Uint8Array> {
  if (io.stdin.isTTY) io.stderr.write("sbert: reading standard input (end it with Ctrl-D, or pass --input FILE)\n");
  for await (const c of io.stdin) yield typeof c === "string" ? Buffer.from(c, "utf8") : c;
}

async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw inputFileError(path, e);
  }
}

/** The error for an input file that cannot be opened or read. */
export function inputFileError(path: string, e: unknown): SbertError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new SbertError("FILE_NOT_FOUND", `input file "${path}" does not exist`);
  if (code === "EISDIR") return new SbertError("INVALID_INPUT", `input "${path}" is a folder; pass a .jsonl or .txt file`);
  return new SbertError("INVALID_INPUT", `cannot read input file "${path}": ${(e as Error).message}`, { cause: e });
}

/** Strict UTF-8 decoding (a leading BOM is dropped); invalid bytes name the first bad line. */
export function decodeUtf8(bytes: Uint8Array, name: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalidUtf8(name, firstInvalidUtf8Line(bytes, name));
  }
}

function firstInvalidUtf8Line(bytes: Uint8Array, name: string): number {
  let start = 0;
  for (let line = 1; ; line++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl;
    try {
      decodeLine(bytes.subarray(start, end), line, name);
    } catch {
      return line;
    }
    if (nl === -1) return line;
    start = nl + 1;
  }
}

/** Whether `auto` reads these lines as JSON Lines: every non-blank line a JSON string or object, and at least one. */
export function looksLikeJsonLines(lines: readonly string[]): boolean {
  let any = false;
  for (const line of lines) {
    if (isBlank(line)) continue;
    if (!isJsonTextLine(line)) return false;
    any = true;
  }
  return any;
}
