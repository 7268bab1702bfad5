/**
 * Writing a module's files: its config dict as Python's `json.dump(..., indent=2)` shapes it (plus
 * a final newline) and its parameters as `model.safetensors`, each atomically.
 *
 * @example
 * await writeModuleJson(join(dir, "config.json"), { in_features: 48, out_features: 24 });
 * await writeModuleWeights(dir, new Map([["linear.weight", w]]));
 */
import { join } from "node:path";
import { type WritableTensor, writeSafetensors } from "../io/safetensors.js";
import { writeFileAtomic } from "../io/write-file-atomic.js";
import type { Tensor } from "../tensor/tensor.js";

/** The float32 view `writeSafetensors` takes (no copy). */
export function writable(t: Tensor): WritableTensor {
  return { shape: [...t.shape], data: t.data };
}

/** Writes `value` as indented JSON with a final newline. */
export async function writeModuleJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes `params` (key → tensor, in order) to `dir/model.safetensors` as float32 (`format: pt`). */
export async function writeModuleWeights(dir: string, params: ReadonlyMap<string, Tensor>): Promise<void> {
  const tensors = new Map<string, WritableTensor>();
  for (const [name, t] of params) tensors.set(name, writable(t));
  await writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
}
