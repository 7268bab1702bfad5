/**
 * Texts of an input, streamed in chunks so that memory is bounded by a chunk, not the input.
 *
 * A regular file is read twice: a first pass checks every line (UTF-8, JSON, the `auto` format
 * decision) and counts the texts, so that a bad input fails before any model work, as a
 * whole-input read does; the second pass yields the texts. Standard input, and a pipe or device
 * given as a path (`-i <(cmd)`), is read once: a chunk is handed on when it is full or when the
 * input pauses (a slow pipe gets its output line by line), and errors are found in line order (a
 * JSON error on line 1 before invalid UTF-8 on line 3, where a file reports the UTF-8 error). With
 * `auto`, stdin lines that all look like JSON are held until a line decides the format (or the
 * input ends), since a later plain-text line turns the whole input into text;
 * `--input-format jsonl` streams without holding them.
 *
 * @example
 * const input = await openTextInput("texts.jsonl", undefined, io);
 * for await (const texts of input.chunks({ maxTexts: 4096, maxChars: 1 << 23 })) ...
 */
import { open, stat } from "node:fs/promises";
import { formatForPath, inputFileError, inputName, stdinBytes } from "./io.js";
import { type InputFormat, decodeLine, isBlank, isJsonTextLine, jsonLineText } from "./line-parse.js";
import type { LineItems } from "./image-lines.js";
import { type CliIo, STDIO } from "./streams.js";

/** When a chunk is handed on: after `maxTexts` texts or `maxChars` UTF-16 units of text. */
export interface ChunkLimits {
  maxTexts: number;
  maxChars: number;
}

/** A text input's items: texts, or with `LineItems<T>` (image-lines.ts) texts and `T`s. */
export interface TextInput<T = never> {
  /** The number of texts, when known before reading (a file: from the checking pass). */
  total: number | undefined;
  /** A file's format as the checking pass decided it (`auto` resolved); undefined for streams. */
  format?: "jsonl" | "txt";
  /** The texts in input order, in chunks of at most `limits` (a single longer text is its own chunk). */
  chunks(limits: ChunkLimits): AsyncGenerator<(string | T)[]>;
}

/** JSON Lines lines as texts only. */
const TEXT_LINES: LineItems<never> = { line: jsonLineText, check: async () => undefined, size: (t) => t.length };

/** Bytes read from a file per call. */
const READ_BLOCK = 1 << 20;
/** A stdin chunk that waited this long for more input is handed on. */
const STDIN_PAUSE_MS = 20;

/**
 * Opens `path` ("-": stdin) for streamed reading as `format` (default: from the extension). A
 * file is checked completely here; errors name the file and line as `readTexts` does. `items`
 * reads JSON Lines lines (default: texts only; `imageLines` also reads `{"image": PATH}`).
 */
export async function openTextInput<T = never>(path: string, format: InputFormat | undefined, io: CliIo, items: LineItems<T> = TEXT_LINES as LineItems<T>): Promise<TextInput<T>> {
  const name = inputName(path);
  const fmt = format ?? formatForPath(path);
  if (path === STDIO) {
    return { total: undefined, chunks: (limits) => chunkTexts(lineBatches(stdinBytes(io), name), new TextParser(fmt, name, items), limits, STDIN_PAUSE_MS) };
  }
  const kind = await stat(path).catch(() => undefined);
  if (kind !== undefined && !kind.isFile() && !kind.isDirectory()) {
    // a pipe (`-i <(cmd)`, /dev/stdin) or device cannot be read twice: stream it like stdin
    return { total: undefined, chunks: (limits) => chunkTexts(lineBatches(fileBytes(path), name), new TextParser(fmt, name, items), limits, STDIN_PAUSE_MS) };
  }
  const check = new InputCheck(fmt, name, items);
  // as for a whole-input read, invalid UTF-8 anywhere wins over a JSON error on an earlier line
  let firstError: unknown = undefined;
  for await (const lines of lineBatches(fileBytes(path), name)) {
    for (const line of lines) {
      if (firstError !== undefined) break;
      try {
        check.push(line);
      } catch (e) {
        firstError = e;
      }
    }
  }
  if (firstError !== undefined) throw firstError;
  const { format: decided, total } = check.end();
  return { total, format: decided === "jsonl" ? "jsonl" : "txt", chunks: (limits) => chunkTexts(lineBatches(fileBytes(path), name), new TextParser(decided, name, items), limits, undefined) };
}

async function* fileBytes(path: string): AsyncGenerator<Uint8Array> {
  const fh = await open(path, "r").catch((e: unknown) => {
    throw inputFileError(path, e);
  });
  try {
    for (;;) {
      const buf = new Uint8Array(READ_BLOCK);
      const { bytesRead } = await fh.read(buf, 0, READ_BLOCK, null).catch((e: unknown) => {
        throw inputFileError(path, e);
      });
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Decoded lines (no terminators) of a byte stream, one batch per block read. */
async function* lineBatches(bytes: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<string[]> {
  let carry: Uint8Array = new Uint8Array(0);
  let lineNo = 0;
  for await (const block of bytes) {
    const data = carry.length === 0 ? block : Buffer.concat([carry, block]);
    const lines: string[] = [];
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
      try {
        lines.push(decodeLine(data.subarray(start, nl), ++lineNo, name));
      } catch (e) {
        // the lines before the bad one first, so that errors come in line order
        if (lines.length > 0) yield lines;
        throw e;
      }
      start = nl + 1;
    }
    carry = data.slice(start);
    yield lines;
  }
  if (carry.length > 0) yield [decodeLine(carry, ++lineNo, name)];
}

/**
 * Lines in, texts out, by the rules of `parseTexts`. `auto` holds lines until one that is not a
 * JSON string or object decides `txt`, or the end decides `jsonl` (any non-blank line) or `txt`.
 */
class TextParser<T> {
  private format: InputFormat;
  private held: string[] = [];
  private lineNo = 0;

  constructor(format: InputFormat, private readonly name: string, readonly items: LineItems<T>) {
    this.format = format;
  }

  /** The texts that `line` makes ready (none while `auto` is undecided). */
  push(line: string): (string | T)[] {
    const lineNo = ++this.lineNo;
    if (this.format === "txt") return [line];
    if (this.format === "jsonl") return isBlank(line) ? [] : [this.items.line(line, lineNo, this.name)];
    this.held.push(line);
    if (isBlank(line) || isJsonTextLine(line)) return [];
    this.format = "txt";
    return this.release();
  }

  /** The texts still held at the end of the input. */
  end(): (string | T)[] {
    if (this.format === "auto") this.format = this.held.some((l) => !isBlank(l)) ? "jsonl" : "txt";
    return this.release();
  }

  private release(): (string | T)[] {
    const held = this.held;
    this.held = [];
    if (this.format === "txt") return held;
    const texts: (string | T)[] = [];
    held.forEach((line, i) => {
      if (!isBlank(line)) texts.push(this.items.line(line, i + 1, this.name));
    });
    return texts;
  }
}

/**
 * The checking pass: `TextParser`'s rules and errors, counting texts instead of keeping them
 * (an undecided `auto` input keeps its first JSON Lines error until the end decides `jsonl`).
 */
class InputCheck<T> {
  private format: InputFormat;
  private lineNo = 0;
  private total = 0;
  private heldLines = 0;
  private heldTexts = 0;
  private heldError: unknown = undefined;

  constructor(format: InputFormat, private readonly name: string, private readonly items: LineItems<T>) {
    this.format = format;
  }

  push(line: string): void {
    const lineNo = ++this.lineNo;
    if (this.format === "txt") {
      this.total++;
    } else if (this.format === "jsonl") {
      if (isBlank(line)) return;
      this.items.line(line, lineNo, this.name);
      this.total++;
    } else if (isBlank(line)) {
      this.heldLines++;
    } else if (isJsonTextLine(line)) {
      this.heldLines++;
      this.heldTexts++;
      if (this.heldError === undefined) {
        try {
          this.items.line(line, lineNo, this.name);
        } catch (e) {
          this.heldError = e;
        }
      }
    } else {
      this.format = "txt";
      this.total += this.heldLines + 1;
    }
  }

  /** The decided format and the number of texts; throws the held error of an `auto` input that is JSON Lines. */
  end(): { format: InputFormat; total: number } {
    if (this.format === "auto") {
      this.format = this.heldTexts > 0 ? "jsonl" : "txt";
      if (this.heldError !== undefined && this.format === "jsonl") throw this.heldError;
      this.total += this.format === "jsonl" ? this.heldTexts : this.heldLines;
    }
    return { format: this.format, total: this.total };
  }
}

const PAUSED = Symbol("paused");

async function* chunkTexts<T>(lines: AsyncGenerator<string[]>, parser: TextParser<T>, limits: ChunkLimits, pauseMs: number | undefined): AsyncGenerator<(string | T)[]> {
  const items = parser.items;
  const checked = async function* (chunks: (string | T)[][]): AsyncGenerator<(string | T)[]> {
    for (const c of chunks) {
      await items.check(c);
      yield c;
    }
  };
  let chunk: (string | T)[] = [];
  let chars = 0;
  /** Adds texts; returns the full chunks to hand on. */
  const add = (texts: readonly (string | T)[]): (string | T)[][] => {
    const full: (string | T)[][] = [];
    for (const text of texts) {
      chunk.push(text);
      chars += items.size(text);
      if (chunk.length >= limits.maxTexts || chars >= limits.maxChars) {
        full.push(chunk);
        chunk = [];
        chars = 0;
      }
    }
    return full;
  };
  let pending = handled(lines.next());
  try {
    for (;;) {
      const r = pauseMs !== undefined && chunk.length > 0 ? await raceTimeout(pending, pauseMs) : await pending;
      if (r === PAUSED) {
        const ready = chunk;
        chunk = [];
        chars = 0;
        yield* checked([ready]);
        continue;
      }
      if (r.done) break;
      pending = handled(lines.next());
      for (const line of r.value) yield* checked(add(parser.push(line)));
    }
    yield* checked(add(parser.end()));
    if (chunk.length > 0) yield* checked([chunk]);
  } finally {
    void lines.return(undefined).catch(() => undefined);
  }
}

/** `p`, marked as handled: a read that fails while a chunk is being encoded rejects when awaited, not as unhandled. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | typeof PAUSED> {
  let timer: NodeJS.Timeout | undefined;
  const pause = new Promise<typeof PAUSED>((resolve) => (timer = setTimeout(() => resolve(PAUSED), ms)));
  return Promise.race([p, pause]).finally(() => clearTimeout(timer));
}
