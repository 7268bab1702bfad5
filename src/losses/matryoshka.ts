import { checkOptions, optionKeys } from "../strict-options.js";
import { SbertError } from "../errors.js";
import { add, scale } from "../tensor/ops/elementwise.js";
import { l2Normalize } from "../tensor/ops/normalize.js";
import { sliceCols } from "../tensor/ops/shape.js";
import { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
import type { EmbeddingLoss } from "./loss.js";

export interface MatryoshkaLossOptions {
  /** Embedding sizes to train, e.g. [768, 512, 256, 128, 64]. */
  matryoshkaDims: readonly number[];
  /** One weight per dimension, default all 1. */
  matryoshkaWeights?: readonly number[];
  /** Dimensions sampled per step; −1 (default) uses all. */
  nDimsPerStep?: number;
  /** Draws the sampled dimensions (default `new Rng(0)`). */
  rng?: Rng;
}

const KEYS = optionKeys<MatryoshkaLossOptions>({ matryoshkaDims: true, matryoshkaWeights: true, nDimsPerStep: true, rng: true });

/**
 * MatryoshkaLoss (Kusupati et al. 2022): the wrapped loss applied to the first d dimensions of
 * every embedding (re-normalized, as Python's `shrink`) for each d, weighted and summed. Labels
 * shaped like the embeddings (distillation targets) are truncated the same way.
 */
export class MatryoshkaLoss implements EmbeddingLoss {
  readonly name = "MatryoshkaLoss";
  readonly loss: EmbeddingLoss;
  /** Sorted descending, with the weights in the same order. */
  readonly matryoshkaDims: readonly number[];
  readonly matryoshkaWeights: readonly number[];
  readonly nDimsPerStep: number;
  private readonly rng: Rng;

  constructor(loss: EmbeddingLoss, opts: MatryoshkaLossOptions) {
    checkOptions(opts, KEYS, "MatryoshkaLoss");
    const dims = opts.matryoshkaDims;
    if (dims.length === 0) throw new SbertError("INVALID_INPUT", "You must provide at least one dimension in matryoshka_dims.");
    if (dims.some((d) => !Number.isInteger(d) || d <= 0)) throw new SbertError("INVALID_INPUT", "All dimensions passed to a matryoshka loss must be > 0.");
    const weights = opts.matryoshkaWeights ?? dims.map(() => 1);
    if (weights.length !== dims.length) throw new SbertError("INVALID_INPUT", "matryoshka_weights must be the same length as matryoshka_dims.");
    const pairs = dims.map((d, i) => [d, weights[i] as number] as const).sort((a, b) => b[0] - a[0]);
    this.loss = loss;
    this.matryoshkaDims = pairs.map((p) => p[0]);
    this.matryoshkaWeights = pairs.map((p) => p[1]);
    this.nDimsPerStep = opts.nDimsPerStep ?? -1;
    this.rng = opts.rng ?? new Rng(0);
  }

  computeLossFromEmbeddings(embeddings: readonly Tensor[], labels?: Tensor): Tensor {
    const full = embeddings[0]?.dim(-1);
    if (full === undefined) throw new SbertError("INVALID_INPUT", "MatryoshkaLoss got no embeddings");
    let indices = this.matryoshkaDims.map((_, i) => i);
    if (this.nDimsPerStep > 0 && this.nDimsPerStep < indices.length) {
      indices = this.rng.shuffle(indices).slice(0, this.nDimsPerStep).sort((a, b) => a - b);
    }
    let total: Tensor | undefined;
    for (const i of indices) {
      const dim = this.matryoshkaDims[i] as number;
      if (dim > full) throw new SbertError("INVALID_INPUT", `Dimension ${dim} in matryoshka_dims cannot be greater than the model's embedding dimension: ${full}`);
      const shrunk = embeddings.map((e) => l2Normalize(sliceCols(e, 0, dim)));
      const dimLabels = labels && labels.shape.length === 2 && labels.dim(1) === full ? sliceCols(labels, 0, dim) : labels;
      const term = scale(this.loss.computeLossFromEmbeddings(shrunk, dimLabels), this.matryoshkaWeights[i] as number);
      total = total ? add(total, term) : term;
    }
    return total as Tensor;
  }

  parameters(): NamedParameter[] {
    return this.loss.parameters();
  }

  configDict(): Record<string, unknown> {
    return {
      loss: this.loss.name,
      matryoshka_dims: [...this.matryoshkaDims],
      matryoshka_weights: [...this.matryoshkaWeights],
      n_dims_per_step: this.nDimsPerStep,
    };
  }
}
