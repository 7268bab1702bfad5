import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { type Fixture, biEncoderFixtures, crossEncoderFixtures } from "../../test/helpers/fixtures.js";
import { CrossEncoder } from "../models/cross-encoder.js";
import { buildOnnxModel } from "./export.js";
import { DataType, type ModelSpec } from "./graph.js";
import { encodeModel } from "./proto-writer.js";
import { quantizeDynamic, quantizeWeightPerColumn } from "./quantize-dynamic.js";

async function runModel(model: ModelSpec, rows: number[][], mask: number[][], types: number[][], output: string): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(Buffer.concat(encodeModel(model)), { intraOpNumThreads: 1 });
  const dims = [rows.length, rows[0]?.length ?? 0];
  const t = (a: number[][]): ort.Tensor => new ort.Tensor("int64", BigInt64Array.from(a.flat(), (v) => BigInt(v)), dims);
  const feeds: Record<string, ort.Tensor> = { input_ids: t(rows), attention_mask: t(mask) };
  if (s.inputNames.includes("token_type_ids")) feeds["token_type_ids"] = t(types);
  return (await s.run(feeds))[output]?.data as Float32Array;
}

function minRowCosine(a: Float32Array, b: Float32Array, rows: number): number {
  const d = a.length / rows;
  let min = 1;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = r * d; j < (r + 1) * d; j++) {
      dot += (a[j] as number) * (b[j] as number);
      na += (a[j] as number) ** 2;
      nb += (b[j] as number) ** 2;
    }
    min = Math.min(min, dot / Math.sqrt(na * nb));
  }
  return min;
}

describe("quantizeWeightPerColumn", () => {
  it("scales each column by its own max |w| / 127, rounding half to even", () => {
    // (K=2, N=3): columns [1, -0.5], [0, 0], [0.25, -0.125]
    const { values, scales } = quantizeWeightPerColumn(Float32Array.from([1, 0, 0.25, -0.5, 0, -0.125]), 2, 3);
    expect(Array.from(scales)).toEqual([Math.fround(1 / 127), 1, Math.fround(0.25 / 127)]);
    expect(Array.from(values)).toEqual([127, 0, 127, -64, 0, -64]); // -63.5 → -64 (half to even)
  });
});

describe("quantizeDynamic graph", () => {
  it("replaces every MatMul by a weight and leaves attention MatMuls in float", async () => {
    const fp32 = await buildOnnxModel(biEncoderFixtures()[0]?.dir as string);
    const q = quantizeDynamic(fp32);
    const count = (m: ModelSpec, op: string): number => m.graph.nodes.filter((n) => n.opType === op).length;
    expect(count(q, "MatMulInteger")).toBe(count(fp32, "MatMul") - 2 * 2); // 2 layers × (QKᵀ, PV) stay float
    expect(count(q, "DynamicQuantizeLinear")).toBe(count(q, "MatMulInteger"));
    const int8 = [...q.graph.initializers.values()].filter((t) => t.dataType === DataType.INT8 && t.dims.length === 2);
    expect(int8.length).toBe(count(q, "MatMulInteger"));
    expect(q.graph.initializers.has("encoder.layer.0.attention.self.query.weight.T")).toBe(false);
    expect(fp32.graph.initializers.has("encoder.layer.0.attention.self.query.weight.T")).toBe(true); // input left alone
    const contrib = quantizeDynamic(fp32, { format: "contrib" });
    expect(count(contrib, "DynamicQuantizeMatMul")).toBe(count(q, "MatMulInteger"));
    expect(contrib.opsets["com.microsoft"]).toBe(1);
  });
});

/** int8 vs fp32 cosines per fixture, printed once for the record (random tiny models: a loose check). */
const report: string[] = [];
afterAll(() => console.info(`int8 vs fp32:\n${report.join("\n")}`));

describe.each(biEncoderFixtures().map((f) => [f.name, f] as const))("int8 %s", (name, fx: Fixture) => {
  it("sentence embeddings keep cosine ≥ 0.99 with fp32; both int8 formats agree", async () => {
    const bt = fx.golden["batch_tokenize"] as Record<string, number[][]>;
    const rows = bt["input_ids"] as number[][];
    const args = [rows, bt["attention_mask"] as number[][], bt["token_type_ids"] ?? rows.map((r) => r.map(() => 0)), "sentence_embedding"] as const;
    const fp32 = await buildOnnxModel(fx.dir, { withPooling: true });
    const [a, b, c] = await Promise.all([
      runModel(fp32, ...args),
      runModel(quantizeDynamic(fp32), ...args),
      runModel(quantizeDynamic(fp32, { format: "contrib" }), ...args),
    ]);
    const cos = minRowCosine(a, b, rows.length);
    report.push(`${name} min cosine ${cos.toFixed(5)}`);
    expect(cos).toBeGreaterThanOrEqual(0.99);
    expect(minRowCosine(b, c, rows.length)).toBeGreaterThanOrEqual(0.9999);
  });
});

describe.each(crossEncoderFixtures().slice(0, 2).map((f) => [f.name, f] as const))("int8 %s", (name, fx: Fixture) => {
  it("logits stay close to fp32", async () => {
    const ce = await CrossEncoder.load(fx.dir, { backend: "native" });
    const tb = ce.transformer.tokenize(fx.golden["pairs"] as [string, string][]);
    const split = (x: Int32Array): number[][] => Array.from({ length: tb.batchSize }, (_, r) => Array.from(x.subarray(r * tb.seqLen, (r + 1) * tb.seqLen)));
    const args = [split(tb.inputIds), split(tb.attentionMask), split(tb.tokenTypeIds), "logits"] as const;
    const fp32 = await buildOnnxModel(fx.dir);
    const [a, b] = await Promise.all([runModel(fp32, ...args), runModel(quantizeDynamic(fp32), ...args)]);
    const diff = Math.max(...Array.from(a, (v, i) => Math.abs(v - (b[i] as number))));
    report.push(`${name} logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(0.05);
  });
});
