/**
 * Image lines of JSON Lines input: `{"image": "PATH"}` is an image for a model that reads images
 * (CLIP), every other line a text as `jsonLineText` reads it.
 *
 * Paths: an absolute path is taken as written. A relative path is resolved against the folder of
 * the input file (standard input: the current directory) and must stay inside that folder: a
 * path whose `..` segments leave it (`../x.png`, `a/../../x.png`) is refused, so that an input
 * file handed over by someone else cannot make the CLI read files beside or above it; write such
 * paths absolute if that is meant. (Symbolic links inside the folder are followed.) URLs are not
 * fetched. The rules are checked as lines are read (a file: before the model loads); each image
 * file is then checked to exist and be a file before its chunk is encoded, and decoded by the
 * library (src/image/: an absurd size in the header, 0x0 or beyond the pixel limit, is refused
 * before any pixel is decoded; a corrupt or truncated file is INVALID_INPUT naming the path).
 *
 * @example
 * const read = imageLines(inputPath); // LineItems<ImageInput> for openTextInput / readEncodeInputs
 */
import { stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { SbertError } from "../errors.js";
import type { EncodeInput } from "../models/multimodal-encode.js";
import type { ImageInput } from "../modules/image-input.js";
import { type InputFormat, isBlank, isObject, jsonLineText, lineError, parseJsonLine } from "./line-parse.js";
import { formatForPath, looksLikeJsonLines, readInputLines } from "./io.js";
import { type CliIo, STDIO } from "./streams.js";

/** The `--help` text of `{"image": PATH}` lines (encode, search). */
export const IMAGE_INPUT_HELP = `
Image lines (models that read images, such as CLIP): a JSON Lines line {"image": "PATH"} is the PNG
or JPEG file PATH, mixed freely with text lines. A relative PATH is resolved against the folder of
the input file (standard input: the current directory) and may not leave it ("../x.png" is
refused); write the path absolute to read a file elsewhere. URLs are not fetched.`;

/** How a streamed reader turns a JSON Lines line into an item, and checks a chunk of items before it is handed on. */
export interface LineItems<T> {
  /** The item of a non-blank JSON Lines line (a text, or a `T`); errors name `name` and the line. */
  line(line: string, lineNo: number, name: string): string | T;
  /** Checks a chunk's items (e.g. that image files exist) before it is handed on. */
  check(items: readonly (string | T)[]): Promise<void>;
  /** What an item counts for in `ChunkLimits.maxChars`. */
  size(item: string | T): number;
}

/** Where each image item came from, for messages. */
const ORIGIN = new WeakMap<ImageInput, { name: string; lineNo: number; written: string }>();

/** An image counts as this many characters in a chunk's `maxChars` (bounds the image paths per chunk). */
const IMAGE_CHARS = 4096;

/** The `LineItems` of `input` ("-": stdin): `{"image": PATH}` lines are images, see the file comment. */
export function imageLines(input: string): LineItems<ImageInput> {
  const base = input === STDIO ? process.cwd() : dirname(resolve(input));
  return {
    line: (line, lineNo, name) => jsonLineItem(line, lineNo, name, base),
    check: checkImageFiles,
    size: (item) => (typeof item === "string" ? item.length : IMAGE_CHARS),
  };
}

/** A JSON Lines line as an `encode` input: a text, or `{ image: absolute path }` for `{"image": PATH}`. */
export function jsonLineItem(line: string, lineNo: number, name: string, base: string): EncodeInput {
  const value = parseJsonLine(line, lineNo, name);
  if (!isObject(value) || !("image" in value)) return jsonLineText(line, lineNo, name);
  const written = value["image"];
  if ("text" in value) throw lineError(name, lineNo, 'a line is a text or an image: give "text" or "image", not both');
  if (typeof written !== "string" || written === "") throw lineError(name, lineNo, '"image" must be a non-empty string: the path of a PNG or JPEG file');
  const image = { image: resolveImagePath(written, base, (m) => lineError(name, lineNo, m)) };
  ORIGIN.set(image, { name, lineNo, written });
  return image;
}

/** `written` as an absolute path by the rules of the file comment. */
export function resolveImagePath(written: string, base: string, fail: (message: string) => SbertError): string {
  if (written.includes("\0")) throw fail(`image path ${JSON.stringify(written)} contains a NUL character`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(written)) throw fail(`image ${JSON.stringify(written)} is a URL; URLs are not fetched: download the file and give its path`);
  if (isAbsolute(written)) return resolve(written);
  const path = resolve(base, written);
  const rel = relative(base, path);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw fail(`image path ${JSON.stringify(written)} leaves the input's folder ${base}; relative image paths must stay inside it (write the path absolute to read a file elsewhere)`);
  }
  return path;
}

/** Every image item of `items` names an existing regular file (FILE_NOT_FOUND / INVALID_INPUT naming the input line). */
export async function checkImageFiles(items: readonly unknown[]): Promise<void> {
  for (const item of items) {
    if (typeof item === "string") continue;
    const image = item as ImageInput;
    const origin = ORIGIN.get(image);
    const where = origin ? `${origin.name}: line ${origin.lineNo}: image ${JSON.stringify(origin.written)}` : `image ${String(image.image)}`;
    const path = image.image as string;
    const s = await stat(path).catch((e: unknown) => e as NodeJS.ErrnoException);
    if (s instanceof Error) {
      if (s.code === "ENOENT" || s.code === "ENOTDIR") throw new SbertError("FILE_NOT_FOUND", `${where}: file ${path} does not exist`);
      throw new SbertError("INVALID_INPUT", `${where}: cannot read ${path}: ${s.message}`, { cause: s });
    }
    if (!s.isFile()) throw new SbertError("INVALID_INPUT", `${where}: ${path} is not a file`);
  }
}

/**
 * The `encode` inputs of a whole input (`readTexts` with image lines): JSON Lines lines may be
 * `{"image": PATH}`; plain-text inputs are texts only. Image files are checked to exist.
 */
export async function readEncodeInputs(path: string, format: InputFormat | undefined, io: CliIo): Promise<EncodeInput[]> {
  const input = await readInputLines(path, io);
  const fmt = format ?? formatForPath(path);
  const items = imageLines(path);
  const jsonl = fmt === "jsonl" || (fmt === "auto" && looksLikeJsonLines(input.lines));
  if (!jsonl) return input.lines;
  const out: EncodeInput[] = [];
  input.lines.forEach((line, i) => {
    if (!isBlank(line)) out.push(items.line(line, i + 1, input.name));
  });
  await items.check(out);
  return out;
}
