/**
 * `index.json` of a vector index folder: what the folder holds and how much of each file is valid.
 * It is the commit point of every write (temp file + rename): the data files are append-only or
 * written under a fresh name first, so a crash leaves the previous `index.json` naming a valid
 * prefix of each file.
 *
 * Folder layout (row r = the r-th vector added):
 *   index.json       this manifest (snake_case on disk, camelCase after `parseManifest`)
 *   vectors.f32      rows × dimension float32, little-endian: the rescoring vectors
 *   ids.u64          rows × uint64, little-endian: the caller's id of each row
 *   ann-<gen>.usearch the usearch HNSW graph over rows (keys = row numbers), in `precision`
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { sha256OfFile } from "../io/file-sha256.js";

export const MANIFEST = "index.json";
export const VECTORS = "vectors.f32";
export const IDS = "ids.u64";
export const FORMAT = "sbert-ts/vector-index";
export const FORMAT_VERSION = 1;
/** index.json is a few hundred bytes; anything larger is not ours. */
const MAX_MANIFEST_BYTES = 1 << 16;

export const INDEX_PRECISIONS = ["float32", "int8", "binary"] as const;
export type IndexPrecision = (typeof INDEX_PRECISIONS)[number];

/** HNSW parameters (usearch names), fixed when the index is created. */
export interface HnswParams {
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
}

export interface IndexManifest {
  modelId: string;
  dimension: number;
  precision: IndexPrecision;
  /** Candidates per hit searched in a quantized index before float32 rescoring. */
  rescoreMultiplier: number;
  hnsw: HnswParams;
  /** Committed rows. */
  count: number;
  /** The ANN file of the committed rows (null while empty) and its exact size. */
  annFile: string | null;
  annBytes: number;
  /** sha256 of the ANN file, checked before usearch reads it (usearch trusts its file: a damaged graph would crash the process). */
  annSha256: string | null;
  /** Generation of the last commit (names the next ANN file). */
  generation: number;
}

export function manifestJson(m: IndexManifest): string {
  return `${JSON.stringify(
    {
      format: FORMAT,
      version: FORMAT_VERSION,
      model_id: m.modelId,
      dimension: m.dimension,
      precision: m.precision,
      rescore_multiplier: m.rescoreMultiplier,
      connectivity: m.hnsw.connectivity,
      expansion_add: m.hnsw.expansionAdd,
      expansion_search: m.hnsw.expansionSearch,
      count: m.count,
      ann_file: m.annFile,
      ann_bytes: m.annBytes,
      ann_sha256: m.annSha256,
      generation: m.generation,
    },
    null,
    2,
  )}\n`;
}

function bad(dir: string, what: string): SbertError {
  return new SbertError("INVALID_INDEX_FILE", `${join(dir, MANIFEST)}: ${what}; rebuild the index with \`sbert index build\``);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Reads and checks `dir/index.json` (at most 64 KiB read). */
export async function readManifest(dir: string): Promise<IndexManifest> {
  const path = join(dir, MANIFEST);
  const info = await stat(path).catch((e: unknown) => {
    throw new SbertError("FILE_NOT_FOUND", `"${dir}" is not a vector index (no ${MANIFEST}); create one with \`sbert index build\` or VectorIndex.create`, { cause: e });
  });
  if (!info.isFile() || info.size > MAX_MANIFEST_BYTES) throw bad(dir, `not an index manifest (${info.size} bytes)`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw bad(dir, `invalid JSON (${(e as Error).message})`);
  }
  return parseManifest(raw, dir);
}

export function parseManifest(raw: unknown, dir: string): IndexManifest {
  if (!isObject(raw) || raw["format"] !== FORMAT) throw bad(dir, `not a ${FORMAT} manifest`);
  if (raw["version"] !== FORMAT_VERSION) throw bad(dir, `format version ${JSON.stringify(raw["version"])} is not supported (this sbert-ts reads version ${FORMAT_VERSION})`);
  const { model_id, dimension, precision, rescore_multiplier, connectivity, expansion_add, expansion_search, count, ann_file, ann_bytes, ann_sha256, generation } = raw;
  if (typeof model_id !== "string" || model_id === "") throw bad(dir, "model_id must be a non-empty string");
  if (!isCount(dimension) || dimension === 0) throw bad(dir, "dimension must be a positive integer");
  if (!INDEX_PRECISIONS.includes(precision as IndexPrecision)) throw bad(dir, `precision must be one of ${INDEX_PRECISIONS.join(", ")}`);
  for (const [k, v] of Object.entries({ rescore_multiplier, connectivity, expansion_add, expansion_search, count, ann_bytes, generation })) {
    if (!isCount(v)) throw bad(dir, `${k} must be a non-negative integer`);
  }
  if (!(ann_file === null || (typeof ann_file === "string" && /^ann-\d+\.usearch$/.test(ann_file)))) throw bad(dir, 'ann_file must be null or "ann-<n>.usearch"');
  if ((ann_file === null) !== (count === 0)) throw bad(dir, "ann_file and count disagree");
  if (!(ann_file === null ? ann_sha256 === null : typeof ann_sha256 === "string" && /^[0-9a-f]{64}$/.test(ann_sha256))) throw bad(dir, "ann_sha256 must be the ANN file's sha256 (null while empty)");
  return {
    modelId: model_id,
    dimension,
    precision: precision as IndexPrecision,
    rescoreMultiplier: Math.max(1, rescore_multiplier as number),
    hnsw: { connectivity: connectivity as number, expansionAdd: expansion_add as number, expansionSearch: expansion_search as number },
    count: count as number,
    annFile: ann_file,
    annBytes: ann_bytes as number,
    annSha256: ann_sha256 as string | null,
    generation: generation as number,
  };
}

/**
 * Checks that the data files hold at least what the manifest commits (a truncated file, or an ANN
 * file of another size, is INVALID_INDEX_FILE); bytes past the committed rows are left over from
 * an interrupted `add` and are overwritten by the next one.
 */
export async function checkDataFiles(dir: string, m: IndexManifest): Promise<void> {
  const need: [string, number, boolean][] = [
    [VECTORS, m.count * m.dimension * 4, false],
    [IDS, m.count * 8, false],
  ];
  if (m.annFile !== null) need.push([m.annFile, m.annBytes, true]);
  for (const [name, bytes, exact] of need) {
    const size = (await stat(join(dir, name)).catch(() => undefined))?.size;
    if (size === undefined) throw new SbertError("INVALID_INDEX_FILE", `${join(dir, name)} is missing; rebuild the index with \`sbert index build\``);
    if (size < bytes || (exact && size !== bytes)) {
      throw new SbertError("INVALID_INDEX_FILE", `${join(dir, name)} is truncated or damaged: ${size} bytes where ${MANIFEST} records ${bytes}; rebuild the index with \`sbert index build\``);
    }
  }
  if (m.annFile !== null && (await sha256OfFile(join(dir, m.annFile))) !== m.annSha256) {
    throw new SbertError("INVALID_INDEX_FILE", `${join(dir, m.annFile)} is damaged: its sha256 is not the one ${MANIFEST} records; rebuild the index with \`sbert index build\``);
  }
}
