/**
 * The files a Transformer module copies when it saves, rather than writes from memory: config.json,
 * the tokenizer files, and — on ONNX Runtime, which holds no weights we can read back — the
 * safetensors weights and the ONNX graph it was loaded from.
 *
 * @example
 * await copyTokenizerFiles("models/base", "out/my-model"); // tokenizer.json, vocab.txt, ...
 */
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SbertError } from "../errors.js";

/** Tokenizer files copied when the source folder has them. */
export const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.txt",
  "vocab.json",
  "merges.txt",
  "sentencepiece.bpe.model",
  "spiece.model",
];

/** Copies `from/name` to `to/name` (creating sub-folders); false when the source has no such file. */
async function copyIfPresent(from: string, to: string, name: string): Promise<boolean> {
  await mkdir(dirname(join(to, name)), { recursive: true });
  return copyFile(join(from, name), join(to, name)).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return false;
      throw e;
    },
  );
}

/** Copies the tokenizer files `sourceDir` has into `dir`; FILE_NOT_FOUND without a tokenizer.json. */
export async function copyTokenizerFiles(sourceDir: string, dir: string): Promise<void> {
  let hasTokenizerJson = false;
  for (const name of TOKENIZER_FILES) {
    const ok = await copyIfPresent(sourceDir, dir, name);
    if (ok && name === "tokenizer.json") hasTokenizerJson = true;
  }
  if (!hasTokenizerJson) throw new SbertError("FILE_NOT_FOUND", `the source folder "${sourceDir}" has no tokenizer.json to copy`);
}

/** Copies each of `names` (relative paths) from `sourceDir` into `dir`; FILE_NOT_FOUND naming a missing one. */
export async function copySourceFiles(sourceDir: string, dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    if (!(await copyIfPresent(sourceDir, dir, name))) {
      throw new SbertError("FILE_NOT_FOUND", `cannot copy ${name} from the source folder "${sourceDir}": it is missing`);
    }
  }
}
