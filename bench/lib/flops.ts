import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { openSafetensors } from "../../src/io/safetensors-file.js";

/** Tables that are looked up, not multiplied: no FLOPs per token. */
const LOOKUP = /embed|position|relative_attention_bias|token_type|shared\.weight|pooler/i;

/**
 * FLOPs per token of any architecture, from its checkpoint: 2 · (every 2-D weight that is a matmul
 * operand, i.e. not an embedding table) plus attention's 4 · T · (heads · head_dim) per layer (scores
 * and weighted sum over T keys). Works for gated MLPs and grouped-query attention, where the
 * classic 4h² + 2h·ff count is wrong. Reads only the safetensors header.
 */
export async function flopCounter(dir: string): Promise<(seqLen: number) => number> {
  const file = await openSafetensors(join(dir, "model.safetensors"));
  let matmul = 0;
  try {
    for (const [name, info] of file.header.tensors) {
      if (info.shape.length === 2 && !LOOKUP.test(name)) matmul += (info.shape[0] as number) * (info.shape[1] as number);
    }
  } finally {
    await file.close();
  }
  const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, number>;
  const hidden = cfg["hidden_size"] ?? cfg["dim"] ?? cfg["d_model"] ?? 0;
  const heads = cfg["num_attention_heads"] ?? cfg["n_heads"] ?? cfg["num_heads"] ?? 1;
  const width = cfg["head_dim"] !== undefined ? heads * cfg["head_dim"] : hidden;
  const layers = cfg["num_hidden_layers"] ?? cfg["n_layers"] ?? cfg["num_layers"] ?? 0;
  return (t) => 2 * matmul + layers * 4 * t * width;
}
