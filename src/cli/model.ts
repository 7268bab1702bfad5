/** Loading models for the CLI, with messages that name the folder. */
import { stat } from "node:fs/promises";
import { CrossEncoder, SbertError, SentenceTransformer } from "../index.js";
import { UsageError } from "./errors.js";

/** Loads a bi-encoder folder for encode / tokenize / search / mine-paraphrases / cluster. */
export async function loadSentenceTransformer(dir: string): Promise<SentenceTransformer> {
  await requireFolder(dir);
  return SentenceTransformer.load(dir).catch((e: unknown) => rethrow(dir, e));
}

/** Loads a cross-encoder folder for predict / rank. */
export async function loadCrossEncoder(dir: string): Promise<CrossEncoder> {
  await requireFolder(dir);
  return CrossEncoder.load(dir).catch((e: unknown) => rethrow(dir, e));
}

/** Usage error unless `name` is one of the model's prompts (`--prompt-name` and friends). */
export function requirePromptName(model: SentenceTransformer, name: string | undefined, flag: string): void {
  if (name === undefined || Object.hasOwn(model.prompts, name)) return;
  const known = Object.keys(model.prompts);
  throw new UsageError(`${flag} "${name}" is not a prompt of this model; it has ${known.length ? known.map((k) => `"${k}"`).join(", ") : "no prompts"}`);
}

async function requireFolder(dir: string): Promise<void> {
  const s = await stat(dir).catch(() => undefined);
  if (!s) throw new SbertError("FILE_NOT_FOUND", `model folder "${dir}" does not exist`);
  if (!s.isDirectory()) throw new SbertError("INVALID_INPUT", `--model "${dir}" is a file; pass the folder that holds the model (modules.json or config.json, weights, tokenizer.json)`);
}

function rethrow(dir: string, e: unknown): never {
  if (e instanceof SbertError) throw new SbertError(e.code, `cannot load the model in "${dir}": ${e.message}`, { cause: e });
  throw e;
}
