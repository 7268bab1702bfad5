import { checkOptions, optionKeys } from "../strict-options.js";
import { SbertError } from "../errors.js";
import { add, scale as scaleBy } from "../tensor/ops/elementwise.js";
import { matmulNT } from "../tensor/ops/linear.js";
import { crossEntropy } from "../tensor/ops/loss.js";
import { concat, transpose } from "../tensor/ops/shape.js";
import { Tensor } from "../tensor/tensor.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
import { type EmbeddingLoss, cosSimMatrix, expectColumns } from "./loss.js";

export type MnrlDirection = "query_to_doc" | "query_to_query" | "doc_to_query" | "doc_to_doc";
export type MnrlHardnessMode = "in_batch_negatives" | "hard_negatives" | "all_negatives";

export interface MultipleNegativesRankingLossOptions {
  /** Multiplies the similarities (inverse temperature), default 20. */
  scale?: number;
  /** `cos_sim` (default) or `dot_score`. */
  similarityFct?: "cos_sim" | "dot_score";
  /** Interaction terms, default ["query_to_doc"] (classic in-batch negatives / InfoNCE). */
  directions?: readonly MnrlDirection[];
  /** One softmax over all directions (`joint`, default) or one per direction, averaged. */
  partitionMode?: "joint" | "per_direction";
  hardnessMode?: MnrlHardnessMode;
  hardnessStrength?: number;
}

const KEYS = optionKeys<MultipleNegativesRankingLossOptions>({
  scale: true,
  similarityFct: true,
  directions: true,
  partitionMode: true,
  hardnessMode: true,
  hardnessStrength: true,
});

/** (N, D), (M, D) → (N, M) similarity matrix. */
function similarity(fct: "cos_sim" | "dot_score", a: Tensor, b: Tensor): Tensor {
  return fct === "cos_sim" ? cosSimMatrix(a, b) : matmulNT(a, b);
}

/**
 * MultipleNegativesRankingLoss: for each anchor (column 0) the matching positive (column 1) must
 * out-score every other candidate in the batch — all positives and any further columns, which act
 * as hard negatives: cross-entropy over scale · cos_sim(anchors, candidates) with labels 0..B−1.
 * Optional `directions`, `partitionMode` and hardness weighting follow sentence-transformers 5.
 */
export class MultipleNegativesRankingLoss implements EmbeddingLoss {
  readonly name = "MultipleNegativesRankingLoss";
  readonly scale: number;
  readonly similarityFct: "cos_sim" | "dot_score";
  readonly directions: readonly MnrlDirection[];
  readonly partitionMode: "joint" | "per_direction";
  readonly hardnessMode: MnrlHardnessMode | undefined;
  readonly hardnessStrength: number;

  constructor(opts: MultipleNegativesRankingLossOptions = {}) {
    checkOptions(opts, KEYS, "MultipleNegativesRankingLoss");
    this.scale = opts.scale ?? 20;
    this.similarityFct = opts.similarityFct ?? "cos_sim";
    this.directions = opts.directions ?? ["query_to_doc"];
    this.partitionMode = opts.partitionMode ?? "joint";
    this.hardnessMode = opts.hardnessMode;
    this.hardnessStrength = opts.hardnessStrength ?? 0;
    if (!(this.scale > 0)) throw new SbertError("INVALID_INPUT", "Scale must be a positive value.");
    if (!this.directions.includes("query_to_doc")) throw new SbertError("INVALID_INPUT", "'query_to_doc' direction is required (contains the positive pair).");
    if (this.partitionMode === "per_direction" && this.directions.some((d) => d === "query_to_query" || d === "doc_to_doc")) {
      throw new SbertError("INVALID_INPUT", "partition_mode 'per_direction' cannot use 'query_to_query' or 'doc_to_doc'; use 'joint'");
    }
    if (!(this.hardnessStrength >= 0)) throw new SbertError("INVALID_INPUT", "hardness_strength must be non-negative.");
  }

  computeLossFromEmbeddings(embeddings: readonly Tensor[]): Tensor {
    expectColumns(this.name, embeddings, 2, Infinity);
    const queries = embeddings[0] as Tensor;
    const docs = embeddings.slice(1);
    const b = queries.dim(0);
    const nd = docs.length;
    const docsAll = concat(docs, 0); // (B·nd, D)
    const sim = (x: Tensor, y: Tensor): Tensor => similarity(this.similarityFct, x, y);
    // each matrix (B, columns) with its excluded entries (Python fills them with −inf)
    const mats: Array<{ m: Tensor; excluded?: Uint8Array }> = [];
    const q2d = sim(queries, docsAll); // (B, B·nd)
    let q2dScaled = scaleBy(q2d, this.scale);
    if (this.hardnessMode && this.hardnessStrength > 0) q2dScaled = add(q2dScaled, this.hardnessPenalty(q2d, b, nd));
    mats.push({ m: q2dScaled });
    if (this.directions.includes("query_to_query")) {
      mats.push({ m: scaleBy(sim(queries, queries), this.scale), excluded: eyeMask(b, 1) });
    }
    if (this.directions.includes("doc_to_query")) mats.push({ m: scaleBy(transpose(sim(queries, docs[0] as Tensor)), this.scale) });
    if (this.directions.includes("doc_to_doc")) {
      mats.push({ m: scaleBy(transpose(sim(docsAll, docs[0] as Tensor)), this.scale), excluded: eyeMask(b, nd) });
    }
    const labels = Float32Array.from({ length: b }, (_, i) => i);
    if (this.partitionMode === "joint") {
      const m = mats.length === 1 ? (mats[0] as { m: Tensor }).m : concat(mats.map((x) => x.m), 1);
      const cols = m.dim(1);
      const excluded = new Uint8Array(b * cols);
      let c0 = 0;
      for (const x of mats) {
        const w = x.m.dim(1);
        if (x.excluded) for (let r = 0; r < b; r++) for (let c = 0; c < w; c++) excluded[r * cols + c0 + c] = x.excluded[r * w + c] as number;
        c0 += w;
      }
      return crossEntropy(m, labels, excluded);
    }
    // per direction: mean over directions of mean_i(logsumexp_d,i − positive_i)
    let total = crossEntropy((mats[0] as { m: Tensor }).m, labels);
    for (const x of mats.slice(1)) total = add(total, crossEntropy(x.m, labels));
    return scaleBy(total, 1 / mats.length);
  }

  /** hardness_strength · stop_grad(cos_sim) on the negatives the mode selects, 0 elsewhere: (B, B·nd). */
  private hardnessPenalty(q2d: Tensor, b: number, nd: number): Tensor {
    const cols = b * nd;
    const out = new Float32Array(b * cols);
    for (let r = 0; r < b; r++) {
      for (let c = 0; c < cols; c++) {
        const own = c % b === r;
        const hardNegative = c >= b;
        const apply =
          this.hardnessMode === "hard_negatives" ? own && hardNegative : this.hardnessMode === "in_batch_negatives" ? !own : !own || hardNegative;
        if (apply) out[r * cols + c] = this.hardnessStrength * (q2d.data[r * cols + c] as number);
      }
    }
    return new Tensor(out, [b, cols]);
  }

  parameters(): NamedParameter[] {
    return [];
  }

  configDict(): Record<string, unknown> {
    return {
      scale: this.scale,
      similarity_fct: this.similarityFct,
      gather_across_devices: false,
      directions: [...this.directions],
      partition_mode: this.partitionMode,
      hardness_mode: this.hardnessMode ?? null,
      hardness_strength: this.hardnessStrength,
    };
  }
}

/** (B, B·blocks) mask with 1 where column % B == row (an item against itself / its own documents). */
function eyeMask(b: number, blocks: number): Uint8Array {
  const cols = b * blocks;
  const m = new Uint8Array(b * cols);
  for (let r = 0; r < b; r++) for (let k = 0; k < blocks; k++) m[r * cols + k * b + r] = 1;
  return m;
}
