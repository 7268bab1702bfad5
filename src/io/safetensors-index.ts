/**
 * Sharded checkpoints: `model.safetensors.index.json` (written by transformers'
 * `save_pretrained` above `max_shard_size`) maps each tensor to the shard file that holds it:
 * `{ "metadata": {...}, "weight_map": { "encoder.layer.0.attention.self.query.weight": "model-00001-of-00002.safetensors", ... } }`.
 * The index is hostile input: a shard must be a plain file name in the same folder (no `/`, `\`,
 * `..` or hidden name), ending in `.safetensors`, so neither the loader nor the hub download can
 * be sent outside the model folder.
 *
 * @example
 * const index = parseShardIndex(await readFile(join(dir, SHARD_INDEX_FILE), "utf8"), "model/model.safetensors.index.json");
 * index.shards; // ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
 */
import { SbertError } from "../errors.js";
import { jsonSyntaxDetail } from "./json-syntax.js";

/** The index file next to (instead of) `model.safetensors`. */
export const SHARD_INDEX_FILE = "model.safetensors.index.json";

/** Largest index accepted (real ones are a few hundred KiB). */
export const MAX_SHARD_INDEX_BYTES = 64 * 1024 * 1024;

export interface ShardIndex {
  /** Tensor name → shard file name. */
  readonly weightMap: ReadonlyMap<string, string>;
  /** The distinct shard file names, in first-seen order. */
  readonly shards: readonly string[];
}

/**
 * Parses and validates an index file's text. `source` names it in errors.
 * @throws SbertError INVALID_MODEL_FILE
 */
export function parseShardIndex(text: string, source: string): ShardIndex {
  const fail = (what: string): never => {
    throw new SbertError("INVALID_MODEL_FILE", `${source}: ${what}. Re-download or re-save the sharded checkpoint.`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON (${jsonSyntaxDetail(e)})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail("not a JSON object");
  const map = (raw as Record<string, unknown>)["weight_map"];
  if (typeof map !== "object" || map === null || Array.isArray(map)) return fail(`no "weight_map" object`);
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  for (const [tensor, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== "string") return fail(`weight_map entry ${JSON.stringify(tensor)} is not a file name`);
    if (!isShardName(shard)) {
      return fail(`weight_map entry ${JSON.stringify(tensor)} names ${JSON.stringify(shard)}; a shard must be a .safetensors file in the same folder (no path)`);
    }
    weightMap.set(tensor, shard);
    if (!shards.includes(shard)) shards.push(shard);
  }
  if (weightMap.size === 0) return fail("the weight_map is empty");
  return { weightMap, shards };
}

/** A plain `.safetensors` file name: no separators, not hidden, printable ASCII-ish. */
function isShardName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.+=-]*\.safetensors$/.test(name) && name.length <= 255;
}
