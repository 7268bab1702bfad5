/**
 * SpladePooling as ONNX ops (`sbert export-onnx --with-pooling` on a masked-LM model), mirroring
 * sentence-transformers' `SpladePooling.forward` (sparse_encoder/modules/splade_pooling.py):
 * x = logits · mask, relu, log(1 + x) (twice for `log1p_relu`), then max or sum over the sequence
 * (for max, the transform after the max: the same values, on (B, V)).
 * ONNX has no Log1p: `log1p` below is Goldberg's accurate form, log(u) · x / (u − 1) with
 * u = 1 + x (x itself where u rounds to 1), so tiny positive logits stay non-zero as in torch.
 */
import type { ExportSpec } from "../modules/module.js";
import { DataType } from "./graph.js";
import type { GraphBuilder } from "./graph-builder.js";

/** logits (B, T, V), int64 mask (B, T) → (B, V). */
export function spladeGraph(b: GraphBuilder, logits: string, mask: string, spec: Extract<ExportSpec, { kind: "splade" }>): string {
  return b.inScope("splade_pooling", () => {
    const maskF = b.op("Unsqueeze", [b.op("Cast", [mask], { to: { i: DataType.FLOAT } }), b.constI64([2])]); // (B, T, 1)
    const masked = b.op("Mul", [logits, maskF]);
    const transform = (x: string): string => {
      const y = log1p(b, b.op("Relu", [x]));
      return spec.activation === "log1p_relu" ? log1p(b, y) : y;
    };
    // relu and log1p are non-decreasing, so the max of the transformed values is the transform of
    // the max: the elementwise work runs on (B, V), not (B, T, V), with the same float32 result
    if (spec.strategy === "max") return transform(b.op("ReduceMax", [masked], { axes: { ints: [1] }, keepdims: { i: 0 } }));
    return b.op("ReduceSum", [transform(masked), b.constI64([1])], { keepdims: { i: 0 } });
  });
}

/** log1p(x) for x ≥ 0 to float32 accuracy: u = 1 + x; u == 1 ? x : log(u) · x / (u − 1). */
function log1p(b: GraphBuilder, x: string): string {
  const u = b.op("Add", [x, b.constF32([1])]);
  const d = b.op("Sub", [u, b.constF32([1])]);
  const exact = b.op("Mul", [b.op("Log", [u]), b.op("Div", [x, d])]);
  return b.op("Where", [b.op("Equal", [d, b.constF32([0])]), x, exact]);
}
