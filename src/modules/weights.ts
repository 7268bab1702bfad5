/**
 * Model weights from a folder: `model.safetensors`, or a sharded checkpoint
 * (`model.safetensors.index.json` + the shards it names). Every float tensor is checked once for
 * NaN / ±Infinity as it is decoded: such weights are refused at load (INVALID_MODEL_FILE naming the
 * tensor) instead of producing NaN embeddings later.
 *
 * @example
 * const store = await loadParamStore("model"); // store.get("embeddings.word_embeddings.weight", [vocab, hidden])
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ParamStore } from "../architectures/params.js";
import { SbertError } from "../errors.js";
import { entryExists } from "../io/exists.js";
import { pickleWeightsError, readFloatTensors } from "../io/safetensors.js";
import { MAX_SHARD_INDEX_BYTES, type ShardIndex, parseShardIndex } from "../io/safetensors-index.js";
import { Tensor } from "../tensor/tensor.js";

/**
 * Loads the floating-point tensors of `dir/<fileName>` (or of the shards its `<fileName>.index.json`
 * names) as named parameters; integer buffers such as `position_ids` are skipped. A folder with
 * only `pytorch_model.bin` is refused: unpickling runs arbitrary code.
 * @throws SbertError FILE_NOT_FOUND, INVALID_MODEL_FILE (corrupt, not a regular file, non-finite
 *   values, inconsistent index), UNSUPPORTED_FORMAT
 */
export async function loadParamStore(dir: string, fileName = "model.safetensors"): Promise<ParamStore> {
  const path = join(dir, fileName);
  const indexPath = `${path}.index.json`;
  const tensors = new Map<string, Tensor>();
  if (await entryExists(path)) {
    await readFloatTensors(path, (name, shape, data) => tensors.set(name, finiteTensor(path, name, shape, data)));
    return new ParamStore(tensors, path);
  }
  if (await entryExists(indexPath)) {
    await loadShards(dir, await readShardIndex(indexPath), indexPath, tensors);
    return new ParamStore(tensors, indexPath);
  }
  const pickle = join(dir, "pytorch_model.bin");
  if (await entryExists(pickle)) throw pickleWeightsError(pickle);
  throw new SbertError("FILE_NOT_FOUND", `${path} is missing; the model folder has no weights`);
}

/**
 * The weight files `loadParamStore(dir, fileName)` reads, relative to `dir`: `[fileName]`, or the
 * index and every shard it names; empty when the folder has neither.
 */
export async function weightFiles(dir: string, fileName = "model.safetensors"): Promise<string[]> {
  const path = join(dir, fileName);
  if (await entryExists(path)) return [fileName];
  const indexPath = `${path}.index.json`;
  if (!(await entryExists(indexPath))) return [];
  return [`${fileName}.index.json`, ...(await readShardIndex(indexPath)).shards];
}

async function readShardIndex(indexPath: string): Promise<ShardIndex> {
  const target = await stat(indexPath).catch(() => undefined);
  if (!target?.isFile()) throw new SbertError("INVALID_MODEL_FILE", `${indexPath} is not a regular file`);
  if (target.size > MAX_SHARD_INDEX_BYTES) throw new SbertError("INVALID_MODEL_FILE", `${indexPath} holds ${target.size} bytes, above the ${MAX_SHARD_INDEX_BYTES}-byte limit for a shard index`);
  return parseShardIndex(await readFile(indexPath, "utf8"), indexPath);
}

/** Reads every shard of `index`, checking that each tensor is in the shard the index names. */
async function loadShards(dir: string, index: ShardIndex, indexPath: string, tensors: Map<string, Tensor>): Promise<void> {
  const seen = new Set<string>();
  for (const shard of index.shards) {
    const path = join(dir, shard);
    if (!(await entryExists(path))) throw new SbertError("FILE_NOT_FOUND", `${path} is missing; ${indexPath} lists it as a shard`);
    const { names } = await readFloatTensors(path, (name, shape, data) => {
      if (index.weightMap.get(name) === shard) tensors.set(name, finiteTensor(path, name, shape, data));
    });
    for (const name of names) {
      const listed = index.weightMap.get(name);
      if (listed !== shard) {
        const where = listed === undefined ? "does not list it" : `says it is in ${listed}`;
        throw new SbertError("INVALID_MODEL_FILE", `${path} holds tensor "${name}" but ${indexPath} ${where}; the sharded checkpoint is inconsistent`);
      }
      seen.add(name);
    }
  }
  for (const [name, shard] of index.weightMap) {
    if (!seen.has(name)) throw new SbertError("INVALID_MODEL_FILE", `${indexPath} lists tensor "${name}" in ${shard}, which does not hold it`);
  }
}

/** The tensor, after one pass that refuses NaN / ±Infinity values. */
function finiteTensor(path: string, name: string, shape: number[], data: Float32Array): Tensor {
  let bad = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v - v !== 0) bad++; // NaN - NaN and Inf - Inf are NaN; every finite v gives 0
  }
  if (bad > 0) {
    throw new SbertError(
      "INVALID_MODEL_FILE",
      `${path}: tensor "${name}" holds ${bad} NaN or infinite value${bad === 1 ? "" : "s"} (of ${data.length}); ` +
        "the weights are damaged (a diverged training run or a bad conversion): re-download or re-export the model",
    );
  }
  return new Tensor(data, shape);
}
