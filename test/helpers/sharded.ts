import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { type WritableTensor, readSafetensors, serializeSafetensors } from "../../src/io/safetensors.js";

/**
 * The files of model folder `dir` with its `model.safetensors` split into two shards plus
 * `model.safetensors.index.json`, as transformers' `save_pretrained(max_shard_size=...)` writes
 * them. `edit` may change the index before it is serialized.
 */
export async function shardedFiles(dir: string, edit: (index: { metadata: object; weight_map: Record<string, string> }) => void = () => undefined): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out[relative(dir, full).split("\\").join("/")] = await readFile(full);
    }
  };
  await walk(dir);
  delete out["model.safetensors"];
  const file = await readSafetensors(join(dir, "model.safetensors"));
  const names = file.names();
  const shards: Map<string, WritableTensor>[] = [new Map(), new Map()];
  const index = { metadata: { total_size: 0 }, weight_map: {} as Record<string, string> };
  names.forEach((name, i) => {
    const t = file.get(name);
    const k = i < names.length / 2 ? 0 : 1;
    const shard = `model-0000${k + 1}-of-00002.safetensors`;
    const data = t.data instanceof Float32Array || t.data instanceof BigInt64Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
    (shards[k] as Map<string, WritableTensor>).set(name, { shape: t.shape, data });
    index.weight_map[name] = shard;
    index.metadata.total_size += data.byteLength;
  });
  shards.forEach((s, k) => (out[`model-0000${k + 1}-of-00002.safetensors`] = serializeSafetensors(s, { format: "pt" })));
  edit(index);
  out["model.safetensors.index.json"] = new TextEncoder().encode(JSON.stringify(index, null, 2));
  return out;
}
