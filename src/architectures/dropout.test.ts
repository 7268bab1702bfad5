import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { loadParamStore } from "../modules/weights.js";
import { readJsonObject } from "../io/json-file.js";
import { gradCheck } from "../tensor/gradcheck.js";
import { multiHeadAttention } from "../tensor/ops/attention.js";
import { sum } from "../tensor/ops/reduce.js";
import { Rng } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { TextTokenizer } from "../tokenizers/text-tokenizer.js";
import { parseEncoderConfig } from "./config.js";
import { createEncoder } from "./registry.js";

function param(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const t = new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)), shape);
  t.requiresGrad = true;
  return t;
}

describe("training dropout", () => {
  it("attention-probability dropout: same mask forward and backward (finite differences)", () => {
    const [b, t, heads, width] = [2, 5, 2, 6];
    const [q, k, v] = [param([b * t, width], 1), param([b * t, width], 2), param([b * t, width], 3)];
    const keyMask = [1, 1, 1, 1, 0, 1, 1, 1, 1, 1];
    // a fresh generator per call: every evaluation of the function draws the same mask
    const r = gradCheck(([x, y, z]) => multiHeadAttention(x as Tensor, y as Tensor, z as Tensor, { batch: b, seqLen: t, heads, keyMask, dropout: { p: 0.3, rng: new Rng(5) } }), [q, k, v], 3e-3);
    expect(r.count).toBe(3 * b * t * width);
    expect(r.maxAbsError).toBeLessThanOrEqual(1e-3 * Math.max(1, r.maxAbsGrad));
    // p = 0 is the inference path, bit for bit
    const plain = multiHeadAttention(q, k, v, { batch: b, seqLen: t, heads, keyMask });
    expect(Array.from(multiHeadAttention(q, k, v, { batch: b, seqLen: t, heads, keyMask, dropout: { p: 0, rng: new Rng(1) } }).data)).toEqual(Array.from(plain.data));
  });

  it.each(["st-bert-mean", "st-distilbert-cased-mean", "st-mpnet-mean-normalize", "st-t5-mean-dense", "ce-deberta-v2-3label"])("%s: on with a generator, off (bit-identical) without, gradients flow", async (name) => {
    const dir = join(FIXTURES, name);
    const config = parseEncoderConfig(await readJsonObject(dir, "config.json"));
    const store = await loadParamStore(dir);
    const encoder = createEncoder(config, store);
    const batch = (await TextTokenizer.fromFolder(dir)).encodeBatch(["A man is eating food.", "Hi"], { maxLength: 16 });
    const inference = encoder.forward(batch).data.slice();
    encoder.setDropout(new Rng(1));
    const train1 = encoder.forward(batch).data.slice();
    encoder.setDropout(new Rng(1));
    const train2 = encoder.forward(batch).data.slice();
    encoder.setDropout(new Rng(2));
    const train3 = encoder.forward(batch).data.slice();
    encoder.setDropout(undefined);
    expect(Array.from(encoder.forward(batch).data)).toEqual(Array.from(inference));
    expect(Array.from(train2)).toEqual(Array.from(train1));
    expect(Array.from(train1)).not.toEqual(Array.from(inference));
    expect(Array.from(train3)).not.toEqual(Array.from(train1));
    // with dropout on, every weight still gets a gradient
    const w = store.tensors.get([...store.tensors.keys()].find((k) => k.includes("layer.0") && k.endsWith("weight") && !k.includes("LayerNorm") && !k.includes("layer_norm")) as string) as Tensor;
    w.requiresGrad = true;
    encoder.setDropout(new Rng(3));
    sum(encoder.forward(batch)).backward();
    encoder.setDropout(undefined);
    w.requiresGrad = false;
    expect(w.grad?.some((g) => g !== 0)).toBe(true);
  });
});
