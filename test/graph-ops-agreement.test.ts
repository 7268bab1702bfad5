/**
 * Single ops of the architecture interface, eager vs lowered to ONNX and run in ONNX Runtime, for
 * the settings the architecture-level conformance suite does not reach (grouped RMS norm, Gemma's
 * offset 1, a disentangled-score term alone). Tolerance 1e-5 (float32, different summation order).
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { parseEncoderConfig } from "../src/architectures/config.js";
import { EagerOps } from "../src/architectures/eager-ops.js";
import { DropoutState } from "../src/architectures/encoder.js";
import type { DisentangledOptions, Param } from "../src/architectures/ops.js";
import { DataType, IR_VERSION, OPSET } from "../src/onnx/graph.js";
import { GraphBuilder } from "../src/onnx/graph-builder.js";
import { GraphOps } from "../src/onnx/graph-ops.js";
import { encodeModel } from "../src/onnx/proto-writer.js";
import { Rng } from "../src/tensor/random.js";
import { Tensor } from "../src/tensor/tensor.js";

const [B, T, W] = [2, 5, 6];
const rng = new Rng(21);
const rand = (shape: number[]): Tensor => new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)), shape);
const batch = { batchSize: B, seqLen: T, inputIds: new Int32Array(B * T).fill(3), attentionMask: new Int32Array(B * T).fill(1), tokenTypeIds: new Int32Array(B * T) };
const eager = new EagerOps(batch, new DropoutState(parseEncoderConfig({ vocab_size: 4, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1 })));

/** Builds a graph over float inputs named x0, x1, ... (and input_ids for the sequence length), runs it, returns its output of rank `rank`. */
async function inGraph(inputs: Tensor[], rank: number, build: (o: GraphOps, xs: string[]) => string): Promise<Float32Array> {
  const b = new GraphBuilder("op");
  const inputIds = b.input("input_ids", DataType.INT64, ["batch_size", "sequence_length"]);
  const ops = new GraphOps(b, { inputIds, attentionMask: b.input("attention_mask", DataType.INT64, ["batch_size", "sequence_length"]), tokenTypeIds: undefined });
  const xs = inputs.map((t, i) => b.input(`x${i}`, DataType.FLOAT, t.shape));
  b.output(build(ops, xs), "y", DataType.FLOAT, ["d0", "d1", "d2", "d3"].slice(0, rank));
  const parts = encodeModel({ irVersion: IR_VERSION, opsets: { "": OPSET }, producerName: "test", producerVersion: "0", graph: b.build(), metadata: {} });
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
  const session = await ort.InferenceSession.create(bytes);
  const ids = new ort.Tensor("int64", new BigInt64Array(B * T).fill(3n), [B, T]);
  const feeds: Record<string, ort.Tensor> = { input_ids: ids, attention_mask: ids };
  inputs.forEach((t, i) => (feeds[`x${i}`] = new ort.Tensor("float32", t.data, t.shape)));
  return (await session.run(feeds))["y"]?.data as Float32Array;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

describe("t5deb ops: eager equals the ONNX lowering", () => {
  it.each([
    [W, 0],
    [W, 1],
    [3, 0],
    [2, 1],
  ] as const)("rmsNorm, groups of %i, offset %i", async (g, offset) => {
    const x = rand([B, T, W]);
    const w: Param = { key: "norm.weight", tensor: rand([g]) };
    const want = eager.rmsNorm(x, w, 1e-6, offset).data;
    expect(maxDiff(want, await inGraph([x], 3, (o, [xi]) => o.rmsNorm(xi as string, w, 1e-6, offset)))).toBeLessThanOrEqual(1e-5);
  });

  it("mul", async () => {
    const [x, y] = [rand([B, T, W]), rand([B, T, W])];
    expect(maxDiff(eager.mul(x, y).data, await inGraph([x, y], 3, (o, [a, b]) => o.mul(a as string, b as string)))).toBeLessThanOrEqual(1e-6);
  });

  it.each(["c2p", "p2c", "both"] as const)("disentangledScores (%s)", async (which) => {
    const [q, k, pq, pk] = [rand([B, T, W]), rand([B, T, W]), rand([7, W]), rand([7, W])];
    const opts: DisentangledOptions = { heads: 2, headDim: 3, row: (r) => Math.min(Math.max(r + 3, 0), 6), maxLen: 9, scale: 0.4 };
    const useQ = which !== "c2p";
    const useK = which !== "p2c";
    const want = eager.disentangledScores(q, k, useQ ? pq : undefined, useK ? pk : undefined, opts).data;
    const got = await inGraph([q, k, pq, pk], 4, (o, [a, b, c, d]) => o.disentangledScores(a as string, b as string, useQ ? c : undefined, useK ? d : undefined, opts));
    expect(maxDiff(want, got)).toBeLessThanOrEqual(1e-5);
  });
});
