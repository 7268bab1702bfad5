/**
 * SpladePooling as ONNX ops (`sbert export-onnx --with-pooling` on a masked-LM model), mirroring
 * sentence-transformers' `SpladePooling.forward` (sparse_encoder/modules/splade_pooling.py):
 * x = logits · mask, relu, log(1 + x) (twice for `log1p_relu`), then max or sum over the sequence.
 * ONNX has no Log1p; Log(1 + x) differs from it by at most ~6e-8 absolute for float32 inputs.
 */
import type { ExportSpec } from "../modules/module.js";
import { DataType } from "./graph.js";
import type { GraphBuilder } from "./graph-builder.js";

/** logits (B, T, V), int64 mask (B, T) → (B, V). */
export function spladeGraph(b: GraphBuilder, logits: string, mask: string, spec: Extract<ExportSpec, { kind: "splade" }>): string {
  return b.inScope("splade_pooling", () => {
    const maskF = b.op("Unsqueeze", [b.op("Cast", [mask], { to: { i: DataType.FLOAT } }), b.constI64([2])]); // (B, T, 1)
    const one = b.constF32([1]);
    let x = b.op("Log", [b.op("Add", [b.op("Relu", [b.op("Mul", [logits, maskF])]), one])]);
    if (spec.activation === "log1p_relu") x = b.op("Log", [b.op("Add", [x, one])]);
    if (spec.strategy === "max") return b.op("ReduceMax", [x], { axes: { ints: [1] }, keepdims: { i: 0 } });
    return b.op("ReduceSum", [x, b.constI64([1])], { keepdims: { i: 0 } });
  });
}
