import type { EncoderConfig } from "../architectures/config.js";
import { mpnetLayerNames, relativePositionBucket } from "../architectures/mpnet.js";
import type { ParamStore } from "../architectures/params.js";
import type { Tensor } from "../tensor/tensor.js";
import { DataType } from "./graph.js";
import type { GraphBuilder } from "./graph-builder.js";
import {
  type ArchitectureGraph,
  applyNorm,
  encoderLayerRefs,
  normRef,
  paddedPositionIds,
  robertaStyleHeadGraph,
  seqLenOf,
} from "./encoder-graph.js";

/**
 * The relative position bias as a table over offsets: row r holds, for offset j - i = r - (L - 1),
 * the bias of every head, (2L - 1, heads). Buckets use the same float32 arithmetic as torch.
 */
export function relativeBiasTable(relBias: Tensor, numBuckets: number, maxLen: number): Float32Array {
  const heads = relBias.dim(1);
  const out = new Float32Array((2 * maxLen - 1) * heads);
  for (let r = 0; r < 2 * maxLen - 1; r++) {
    const bucket = relativePositionBucket(r - (maxLen - 1), numBuckets);
    out.set(relBias.data.subarray(bucket * heads, (bucket + 1) * heads), r * heads);
  }
  return out;
}

/**
 * MPNet: RoBERTa-style embeddings without token types (no `token_type_ids` input) and a relative
 * position bias added to every layer's scores. The bias is looked up in a constant table with an
 * offset matrix computed for the batch's own length T: bias[h, i, j] = table[j - i + L - 1, h],
 * so any T up to the position table's size works.
 */
export function mpnetGraph(c: EncoderConfig, base: ParamStore, root: ParamStore): ArchitectureGraph {
  const h = c.hiddenSize;
  const key = (name: string): string => base.prefix + name;
  const word = base.get("embeddings.word_embeddings.weight", [c.vocabSize, h]);
  const pos = base.get("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, h]);
  const norm = normRef(base, "embeddings.LayerNorm", h);
  const relBias = base.get("encoder.relative_attention_bias.weight", [c.relativeAttentionNumBuckets, c.numHeads]);
  const head = robertaStyleHeadGraph(root, h, c.numLabels);
  return {
    config: c,
    usesTokenTypeIds: false,
    head,
    layers: encoderLayerRefs(base, c, mpnetLayerNames),
    embeddings(b, inputs) {
      const x = b.op("Gather", [b.param(key("embeddings.word_embeddings.weight"), word), inputs.inputIds]); // (B, T, H)
      const positions = b.op("Gather", [b.param(key("embeddings.position_embeddings.weight"), pos), paddedPositionIds(b, inputs.inputIds, c.padTokenId)]);
      return applyNorm(b, b.op("Add", [x, positions]), norm, c.layerNormEps);
    },
    attentionBias(b: GraphBuilder, inputs) {
      const maxLen = c.maxPositionEmbeddings;
      const table = b.tensor(
        `${key("encoder.relative_attention_bias.weight")}.by_offset`,
        DataType.FLOAT,
        [2 * maxLen - 1, c.numHeads],
        relativeBiasTable(relBias, c.relativeAttentionNumBuckets, maxLen),
      );
      const t = b.op("Squeeze", [seqLenOf(b, inputs.inputIds), b.constI64([0])]);
      const positions = b.op("Range", [b.constI64([0], []), t, b.constI64([1], [])]); // (T)
      const offsets = b.op("Sub", [b.op("Unsqueeze", [positions, b.constI64([0])]), b.op("Unsqueeze", [positions, b.constI64([1])])]); // (T, T): j - i
      const rows = b.op("Add", [offsets, b.constI64([maxLen - 1], [])]);
      const bias = b.op("Transpose", [b.op("Gather", [table, rows])], { perm: { ints: [2, 0, 1] } }); // (heads, T, T)
      return b.op("Unsqueeze", [bias, b.constI64([0])]); // (1, heads, T, T)
    },
  };
}
