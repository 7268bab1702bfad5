/**
 * The streamed reader gives the whole-input reader's texts and errors: for every input and
 * format, from a file (checked first) and from stdin cut into blocks of every size from 1 byte.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, type InputFormat, parseTexts, readInputLines } from "./io.js";
import { openTextInput } from "./text-input.js";

const INPUTS: [string, string | Uint8Array][] = [
  ["empty", ""],
  ["blank lines only", "\n \n\t\n"],
  ["plain text, no final newline", "one\ntwo\n\nthree"],
  ["CRLF and a BOM", "\ufeff\"a\"\r\n{\"text\": \"b\"}\r\n\r\n"],
  ["a BOM on line 2 is kept", "x\n\ufeffy\n"],
  ["JSON Lines", '"a"\n\n{"text": "b", "id": 3}\n"c"\n'],
  ["JSON-looking then plain", '"a"\n{"no": 1}\nplain\n'],
  ["JSON object without text", '"a"\n{"no": 1}\n'],
  ["invalid JSON in jsonl", '"a"\n{"text": \n'],
  ["a number line", '"a"\n42\n'],
  ["invalid UTF-8 on line 3", Buffer.concat([Buffer.from("ok\nfine\n"), Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from("\nlast\n")])],
  ["multi-byte characters", "héllo wörld\n日本語のテキスト\n🙂\n"],
];
const FORMATS: (InputFormat | undefined)[] = [undefined, "auto", "jsonl", "txt"];

const io = (stdin: AsyncIterable<Uint8Array>): CliIo => ({ stdin, stdout: { write: () => true }, stderr: { write: () => true }, env: {} });

/** `bytes` as a stream of `size`-byte blocks. */
const blocks = (bytes: Uint8Array, size: number): Readable =>
  Readable.from((function* () {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  })());

async function whole(path: string, format: InputFormat | undefined, stdin: Uint8Array): Promise<string[] | string> {
  try {
    const input = await readInputLines(path, io(blocks(stdin, 1 << 16)));
    return parseTexts(input, format ?? "auto");
  } catch (e) {
    return (e as Error).message;
  }
}

async function streamed(path: string, format: InputFormat | undefined, stdin: Uint8Array, block: number, maxTexts: number): Promise<string[] | string> {
  try {
    const input = await openTextInput(path, format, io(blocks(stdin, block)));
    const out: string[] = [];
    for await (const chunk of input.chunks({ maxTexts, maxChars: Infinity })) {
      expect(chunk.length).toBeGreaterThan(0);
      expect(chunk.length).toBeLessThanOrEqual(maxTexts);
      out.push(...chunk);
    }
    if (input.total !== undefined) expect(input.total).toBe(out.length);
    return out;
  } catch (e) {
    return (e as Error).message;
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sbert-text-input-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("openTextInput", () => {
  it.each(INPUTS)("%s: same texts or error as readInputLines + parseTexts", async (name, content) => {
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    const file = join(dir, "in.data");
    await writeFile(file, bytes);
    for (const format of FORMATS) {
      let wantStdin = await whole("-", format, bytes);
      // stdin is checked in line order: the JSON error on line 1 comes before the UTF-8 error on line 3
      if (name.startsWith("invalid UTF-8") && format === "jsonl") wantStdin = `<stdin>: line 1: invalid JSON (Unexpected token 'o', "ok" is not valid JSON)`;
      for (const block of [1, 2, 3, 7, 1 << 16]) {
        for (const maxTexts of [1, 2, 1000]) {
          expect(await streamed("-", format, bytes, block, maxTexts)).toEqual(wantStdin);
        }
      }
      // a file's messages name the file; its texts are the same
      const wantFile = await whole(file, format, bytes);
      expect(await streamed(file, format, bytes, 1, 2)).toEqual(wantFile);
    }
  });

  it("a file's errors come from the checking pass, before any chunk", async () => {
    const file = join(dir, "late-error.jsonl");
    await writeFile(file, '"a"\n'.repeat(5000) + "{oops\n");
    await expect(openTextInput(file, undefined, io(blocks(new Uint8Array(), 1)))).rejects.toThrow(`${file}: line 5001: invalid JSON`);
  });

  it("a named pipe (`-i <(cmd)`) is read once, not checked in a first pass", async () => {
    const fifo = join(dir, "pipe");
    execFileSync("mkfifo", [fifo]);
    const writing = writeFile(fifo, "one\ntwo\n");
    const input = await openTextInput(fifo, "txt", io(blocks(new Uint8Array(), 1)));
    const out: string[] = [];
    for await (const chunk of input.chunks({ maxTexts: 1, maxChars: Infinity })) out.push(...chunk);
    await writing;
    expect(input.total).toBeUndefined();
    expect(out).toEqual(["one", "two"]);
  });
});
