import { isAbsolute, join, normalize, sep } from "node:path";
import { SbertError } from "../errors.js";
import { readJsonValue } from "../io/json-file.js";

/** One `modules.json` entry after validation. */
export interface ModuleEntry {
  /** The entry's `idx` (its position when absent); entries are returned sorted by it. */
  idx: number;
  /** The entry's `name` (`String(idx)` when absent). */
  name: string;
  type: string;
  /** Folder of the module, relative to the model folder ("" for the root). */
  path: string;
}

/** Reads `modules.json`; undefined when the folder has none. Refuses paths that leave the folder. */
export async function readModulesJson(dir: string): Promise<ModuleEntry[] | undefined> {
  const raw = await readJsonValue(dir, "modules.json");
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new SbertError("INVALID_MODEL_FILE", `${join(dir, "modules.json")} must be a non-empty list of modules`);
  }
  const entries = raw.map((e: unknown, i): ModuleEntry => {
    const o = e as Record<string, unknown> | null;
    if (!o || typeof o !== "object" || typeof o["type"] !== "string") {
      throw new SbertError("INVALID_MODEL_FILE", `modules.json entry ${i} needs a string "type"`);
    }
    const path = typeof o["path"] === "string" ? o["path"] : "";
    const idx = typeof o["idx"] === "number" ? o["idx"] : i;
    return { idx, name: typeof o["name"] === "string" ? o["name"] : String(idx), type: o["type"], path: safeSubpath(path, dir) };
  });
  return entries.sort((a, b) => a.idx - b.idx);
}

/** A relative module path that stays inside the model folder, or INVALID_MODEL_FILE. */
function safeSubpath(path: string, dir: string): string {
  const norm = normalize(path);
  if (isAbsolute(path) || norm.split(/[\\/]/).includes("..") || path.includes("\0")) {
    throw new SbertError("INVALID_MODEL_FILE", `modules.json in ${dir} names path "${path}", which leaves the model folder; refusing to load it`);
  }
  return norm === "." ? "" : norm.split(sep).join("/");
}
