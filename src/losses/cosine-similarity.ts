import { checkOptions, optionKeys } from "../strict-options.js";
import { mseLoss, pairwiseRankingLoss } from "../tensor/ops/loss.js";
import { scale } from "../tensor/ops/elementwise.js";
import { Tensor } from "../tensor/tensor.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
import { type EmbeddingLoss, cosineSimilarity, expectColumns, pairwiseCosSim, requireLabels } from "./loss.js";

export interface CosineSimilarityLossOptions {
  /** Compares the cosine similarities with the labels (default MSE). */
  lossFct?: (pred: Tensor, target: Tensor) => Tensor;
}

export interface CoSENTLossOptions {
  /** Multiplies the similarities (default 20). */
  scale?: number;
}

const COSINE_KEYS = optionKeys<CosineSimilarityLossOptions>({ lossFct: true });
const COSENT_KEYS = optionKeys<CoSENTLossOptions>({ scale: true });

/**
 * CosineSimilarityLoss: mean((cos(u_i, v_i) − label_i)²) — `torch.cosine_similarity` compared with
 * a score in [0, 1] (or [−1, 1]) by `nn.MSELoss()`. `lossFct` replaces the MSE, as Python's `loss_fct`.
 */
export class CosineSimilarityLoss implements EmbeddingLoss {
  readonly name = "CosineSimilarityLoss";
  private readonly lossFct: (pred: Tensor, target: Tensor) => Tensor;

  constructor(opts: CosineSimilarityLossOptions = {}) {
    checkOptions(opts, COSINE_KEYS, "CosineSimilarityLoss");
    this.lossFct = opts.lossFct ?? mseLoss;
  }

  computeLossFromEmbeddings(embeddings: readonly Tensor[], labels?: Tensor): Tensor {
    expectColumns(this.name, embeddings, 2);
    const [u, v] = embeddings as [Tensor, Tensor];
    const y = requireLabels(this.name, labels, u.dim(0));
    return this.lossFct(cosineSimilarity(u, v), new Tensor(y, [y.length]));
  }

  parameters(): NamedParameter[] {
    return [];
  }

  configDict(): Record<string, unknown> {
    return { loss_fct: "torch.nn.modules.loss.MSELoss", cos_score_transformation: "torch.nn.modules.linear.Identity" };
  }
}

/**
 * CoSENTLoss (Su 2022): log(1 + Σ exp(s_k − s_i)) over all pairs of pairs whose label of i is above
 * the label of k, with s = scale · pairwise_cos_sim(u, v) (default scale 20).
 */
export class CoSENTLoss implements EmbeddingLoss {
  readonly name = "CoSENTLoss";
  readonly scale: number;

  constructor(opts: CoSENTLossOptions = {}) {
    checkOptions(opts, COSENT_KEYS, "CoSENTLoss");
    this.scale = opts.scale ?? 20;
  }

  computeLossFromEmbeddings(embeddings: readonly Tensor[], labels?: Tensor): Tensor {
    expectColumns(this.name, embeddings, 2);
    const [u, v] = embeddings as [Tensor, Tensor];
    const y = requireLabels(this.name, labels, u.dim(0));
    return pairwiseRankingLoss(scale(pairwiseCosSim(u, v), this.scale), y);
  }

  parameters(): NamedParameter[] {
    return [];
  }

  configDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: "pairwise_cos_sim" };
  }
}
