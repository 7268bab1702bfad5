/**
 * Input and output of the CLI: UTF-8 text files or stdin in, JSON Lines out (stdout, or a file
 * written to a temporary name and renamed, so an error never leaves a half-written file).
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { SbertError } from "../errors.js";

/** The standard streams, injectable for tests. */
export interface CliIo {
  stdin: AsyncIterable<Uint8Array | string> & { isTTY?: boolean };
  stdout: OutputStream;
  stderr: { write(chunk: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
}

/** What the CLI needs of stdout: `write`, and `once("drain")` to respect backpressure when present. */
export interface OutputStream {
  write(chunk: string): unknown;
  once?(event: "drain", listener: () => void): unknown;
}

/** How input lines are read: JSON Lines, plain text, or decided from the content. */
export type InputFormat = "auto" | "jsonl" | "txt";
export const INPUT_FORMATS: readonly InputFormat[] = ["auto", "jsonl", "txt"];

/** The path meaning standard input / standard output. */
export const STDIO = "-";

/** A decoded input: its name for messages and its lines (no line terminators). */
export interface InputLines {
  name: string;
  lines: string[];
}

/** Reads a file (or stdin for "-") as strict UTF-8 and splits it into lines (`\n` or `\r\n`). */
export async function readInputLines(path: string, io: CliIo): Promise<InputLines> {
  const name = path === STDIO ? "<stdin>" : path;
  const bytes = path === STDIO ? await readStdin(io) : await readInputFile(path);
  const text = decodeUtf8(bytes, name);
  if (text === "") return { name, lines: [] };
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return { name, lines: lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)) };
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
  forEachJsonLine(input, (value, lineNo) => {
    if (typeof value === "string") texts.push(value);
    else if (isObject(value) && typeof value["text"] === "string") texts.push(value["text"]);
    else throw lineError(input, lineNo, `expected a JSON string or an object with a string "text" field, got ${describeJson(value)}`);
  });
  return texts;
}

/** `[text_a, text_b]` pairs, one JSON array per non-blank line. */
export function parsePairs(input: InputLines): [string, string][] {
  const pairs: [string, string][] = [];
  forEachJsonLine(input, (value, lineNo) => {
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") {
      pairs.push([value[0], value[1]]);
    } else {
      throw lineError(input, lineNo, `expected a JSON array of two strings [text_a, text_b], got ${describeJson(value)}`);
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

/** Fails early (before any model work) when `path` cannot become an output file. */
export async function checkOutputPath(path: string): Promise<void> {
  if (path === STDIO) return;
  const dir = dirname(path);
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw new SbertError("FILE_NOT_FOUND", `cannot write "${path}": the folder "${dir}" does not exist`);
  const fileStat = await stat(path).catch(() => undefined);
  if (fileStat?.isDirectory()) throw new SbertError("INVALID_INPUT", `cannot write "${path}": it is a folder; pass a file name`);
}

/**
 * Writes `lines` (each followed by `\n`) to stdout for "-", else to a temporary file next to
 * `path` that is renamed to `path` once complete; on error the temporary file is removed.
 */
export async function writeOutputLines(path: string, lines: Iterable<string>, io: CliIo): Promise<void> {
  if (path === STDIO) {
    for (const chunk of chunkLines(lines)) await writeChunk(io.stdout, chunk);
    return;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx").catch((e: unknown) => {
    throw new SbertError("INVALID_INPUT", `cannot write "${path}": ${(e as Error).message}`, { cause: e });
  });
  let closed = false;
  try {
    for (const chunk of chunkLines(lines)) await handle.write(chunk);
    await handle.sync();
    await handle.close();
    closed = true;
    await rename(tmp, path);
  } catch (e) {
    if (!closed) await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e instanceof SbertError ? e : new SbertError("INVALID_INPUT", `cannot write "${path}": ${(e as Error).message}`, { cause: e });
  }
}

/** Joins lines into ~64 KiB chunks. */
function* chunkLines(lines: Iterable<string>): Generator<string> {
  let buf = "";
  for (const line of lines) {
    buf += line + "\n";
    if (buf.length >= 65536) {
      yield buf;
      buf = "";
    }
  }
  if (buf) yield buf;
}

function writeChunk(out: OutputStream, chunk: string): Promise<void> {
  const ok = out.write(chunk);
  if (ok === false && out.once) return new Promise((resolve) => out.once?.("drain", resolve));
  return Promise.resolve();
}

async function readStdin(io: CliIo): Promise<Uint8Array> {
  if (io.stdin.isTTY) io.stderr.write("sbert: reading standard input (end it with Ctrl-D, or pass --input FILE)\n");
  const chunks: Uint8Array[] = [];
  for await (const c of io.stdin) chunks.push(typeof c === "string" ? Buffer.from(c, "utf8") : c);
  return Buffer.concat(chunks);
}

async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new SbertError("FILE_NOT_FOUND", `input file "${path}" does not exist`);
    if (code === "EISDIR") throw new SbertError("INVALID_INPUT", `input "${path}" is a folder; pass a .jsonl or .txt file`);
    throw new SbertError("INVALID_INPUT", `cannot read input file "${path}": ${(e as Error).message}`, { cause: e });
  }
}

/** Strict UTF-8 decoding (a leading BOM is dropped); invalid bytes name the first bad line. */
export function decodeUtf8(bytes: Uint8Array, name: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SbertError("INVALID_INPUT", `${name}: line ${firstInvalidUtf8Line(bytes)} is not valid UTF-8; the input must be UTF-8 text`);
  }
}

function firstInvalidUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let start = 0;
  for (let line = 1; ; line++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    if (nl === -1) return line;
    start = nl + 1;
  }
}

const BLANK = /^[ \t\r]*$/;

function looksLikeJsonLines(lines: readonly string[]): boolean {
  let any = false;
  for (const line of lines) {
    if (BLANK.test(line)) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return false;
    }
    if (typeof value !== "string" && !isObject(value)) return false;
    any = true;
  }
  return any;
}

function forEachJsonLine(input: InputLines, fn: (value: unknown, lineNo: number) => void): void {
  input.lines.forEach((line, i) => {
    if (BLANK.test(line)) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw lineError(input, i + 1, `invalid JSON (${(e as Error).message})`);
    }
    fn(value, i + 1);
  });
}

function lineError(input: InputLines, lineNo: number, message: string): SbertError {
  return new SbertError("INVALID_INPUT", `${input.name}: line ${lineNo}: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describeJson(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (isObject(v)) return "an object";
  return typeof v;
}
