import { SbertError } from "../errors.js";
import type { ExportSpec } from "../modules/module.js";
import type { PoolingMode } from "../modules/pooling.js";
import { DataType } from "./graph.js";
import { type GraphBuilder, activation, linear } from "./graph-builder.js";
import { seqLenOf } from "./graph-ops.js";

/**
 * The modules after the Transformer that `--with-pooling` bakes into the graph, in pipeline order:
 * what each reports (`exportSpec`), a Dense with the initializer name of its weights.
 */
export type PostModule = Exclude<ExportSpec, { kind: "encoder" | "dense" | "splade" }> | (Extract<ExportSpec, { kind: "dense" }> & { key: string });

/** Value names of the pooled graph's two results. */
export interface PooledOutputs {
  /** (B, T, H): the encoder output, or after a token-level Dense. */
  tokenEmbeddings: string;
  /** (B, D); undefined for a multi-vector pipeline (its output is the token embeddings). */
  sentenceEmbedding: string | undefined;
  sentenceDim: number;
}

/** What ST's Pooling fills padded positions with before max pooling. */
const MAX_POOL_FILL = -1e9;

/**
 * One pooling mode as ONNX ops, mirroring sentence-transformers' Pooling.forward:
 * x (B, T, H), mask (B, T) float → (B, H).
 */
function poolMode(b: GraphBuilder, mode: PoolingMode, x: string, hidden: number, maskF: string, ids: string): string {
  const expanded = b.op("Unsqueeze", [maskF, b.constI64([2])]); // (B, T, 1)
  const axis1 = b.constI64([1]);
  switch (mode) {
    case "cls":
    case "lasttoken": {
      // cls: the first attended position; lasttoken: the last one (× mask, so 0 for an empty row), as Python gathers them
      const last = mode === "lasttoken" ? 1 : 0;
      const idx = b.op("ArgMax", [maskF], { axis: { i: 1 }, keepdims: { i: 1 }, select_last_index: { i: last } }); // (B, 1)
      const src = last ? b.op("Mul", [x, expanded]) : x;
      const where = b.op("Expand", [b.op("Unsqueeze", [idx, b.constI64([2])]), b.constI64([1, 1, hidden])]); // (B, 1, H)
      return b.op("Squeeze", [b.op("GatherElements", [src, where], { axis: { i: 1 } }), axis1]);
    }
    case "max": {
      const keep = b.op("Cast", [expanded], { to: { i: DataType.BOOL } });
      return b.op("ReduceMax", [b.op("Where", [keep, x, b.constF32([MAX_POOL_FILL])])], { axes: { ints: [1] }, keepdims: { i: 0 } });
    }
    case "mean":
    case "mean_sqrt_len_tokens":
    case "weightedmean": {
      let weights = expanded;
      if (mode === "weightedmean") {
        const t = b.op("Squeeze", [seqLenOf(b, ids), b.constI64([0])]);
        const steps = b.op("Range", [b.constI64([1], []), b.op("Add", [t, b.constI64([1], [])]), b.constI64([1], [])]); // 1..T
        weights = b.op("Mul", [expanded, b.op("Reshape", [b.op("Cast", [steps], { to: { i: DataType.FLOAT } }), b.constI64([1, -1, 1])])]);
      }
      const sum = b.op("ReduceSum", [b.op("Mul", [x, weights]), axis1], { keepdims: { i: 0 } }); // (B, H)
      const count = b.op("Max", [b.op("ReduceSum", [weights, axis1], { keepdims: { i: 0 } }), b.constF32([1e-9])]); // (B, 1)
      return b.op("Div", [sum, mode === "mean_sqrt_len_tokens" ? b.op("Sqrt", [count]) : count]);
    }
  }
}

/**
 * Pooling → Dense → Normalize after the encoder: `tokens` (B, T, H) and the int64 attention mask
 * (B, T) → sentence embedding (B, D). Modes concatenate in the config's order. `include_prompt:
 * false` is not baked in (the prompt length is known only at run time): such a graph pools every
 * attended token, and callers that use prompts must pool outside the graph. A multi-vector
 * pipeline (MultiVectorMask) has no pooling: token-level Dense → Normalize, and the token
 * embeddings are the result; the scoring mask and MaxSim stay with the caller.
 */
export function poolingGraph(b: GraphBuilder, tokens: string, hidden: number, mask: string, ids: string, modules: readonly PostModule[]): PooledOutputs {
  let tok = tokens;
  let tokDim = hidden;
  let sentence: string | undefined;
  let dim = 0;
  let multiVector = false;
  modules.forEach((m, i) =>
    b.inScope(`${i + 1}_${m.kind}`, () => {
      if (m.kind === "pooling") {
        if (m.config.embeddingDimension !== tokDim) {
          throw new SbertError("CONFIG_MISMATCH", `Pooling expects ${m.config.embeddingDimension}-dim token embeddings, the model gives ${tokDim}`);
        }
        const maskF = b.op("Cast", [mask], { to: { i: DataType.FLOAT } });
        const parts = m.config.modes.map((mode) => poolMode(b, mode, tok, tokDim, maskF, ids));
        sentence = parts.length === 1 ? (parts[0] as string) : b.op("Concat", parts, { axis: { i: 1 } });
        dim = m.config.modes.length * tokDim;
      } else if (m.kind === "dense") {
        const inF = m.weight.dim(1);
        const have = m.tokenLevel ? tokDim : dim;
        if (inF !== have || (!m.tokenLevel && sentence === undefined)) {
          throw new SbertError("CONFIG_MISMATCH", `Dense expects ${inF} input features but the previous module gives ${have}`);
        }
        const y = activation(b, linear(b, m.tokenLevel ? tok : (sentence as string), m.key, m.weight, m.bias), m.activation);
        if (m.tokenLevel) [tok, tokDim] = [y, m.weight.dim(0)];
        else [sentence, dim] = [y, m.weight.dim(0)];
      } else if (m.kind === "scoring-mask") {
        multiVector = true;
      } else if (m.tokenLevel) {
        // F.normalize over each token vector, as Normalize(token_embeddings)
        const norm = b.op("Max", [b.op("ReduceL2", [tok], { axes: { ints: [2] }, keepdims: { i: 1 } }), b.constF32([1e-12])]);
        tok = b.op("Div", [tok, norm]);
      } else {
        if (sentence === undefined) throw new SbertError("INVALID_OPERATION", "Normalize needs a sentence embedding; put Pooling before it");
        const norm = b.op("Max", [b.op("ReduceL2", [sentence], { axes: { ints: [1] }, keepdims: { i: 1 } }), b.constF32([1e-12])]);
        sentence = b.op("Div", [sentence, norm]);
      }
    }),
  );
  if (sentence === undefined && !multiVector) throw new SbertError("INVALID_OPERATION", "--with-pooling needs a Pooling module in modules.json");
  return { tokenEmbeddings: tok, sentenceEmbedding: sentence, sentenceDim: dim };
}
