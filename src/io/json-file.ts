import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { jsonSyntaxDetail } from "./json-syntax.js";

/** A decoded JSON object (string keys, unknown values). */
export type JsonObject = Record<string, unknown>;

/**
 * Reads `dir/name` as a JSON object. Missing file: `FILE_NOT_FOUND` (or `undefined` when
 * `optional`); unreadable or not an object: `INVALID_MODEL_FILE` naming the file.
 */
export async function readJsonObject(dir: string, name: string, opts: { optional: true }): Promise<JsonObject | undefined>;
export async function readJsonObject(dir: string, name: string, opts?: { optional?: false }): Promise<JsonObject>;
export async function readJsonObject(dir: string, name: string, opts: { optional?: boolean } = {}): Promise<JsonObject | undefined> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      if (opts.optional) return undefined;
      throw new SbertError("FILE_NOT_FOUND", `${path} is missing; a model folder needs it`);
    }
    throw new SbertError("INVALID_MODEL_FILE", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SbertError("INVALID_MODEL_FILE", `${path} is not valid JSON: ${jsonSyntaxDetail(e)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SbertError("INVALID_MODEL_FILE", `${path} must hold a JSON object`);
  }
  return value as JsonObject;
}

/** Like `readJsonObject` but for any JSON value (e.g. the list in `modules.json`). */
export async function readJsonValue(dir: string, name: string): Promise<unknown | undefined> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SbertError("INVALID_MODEL_FILE", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new SbertError("INVALID_MODEL_FILE", `${path} is not valid JSON: ${jsonSyntaxDetail(e)}`);
  }
}
