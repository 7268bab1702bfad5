import { checkOptions, optionKeys } from "../strict-options.js";
import { abs, activation, add, addScalar, mul, scale, sub } from "../tensor/ops/elementwise.js";
import { mean, rowNorm, rowSum, sum } from "../tensor/ops/reduce.js";
import { Tensor } from "../tensor/tensor.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
import { type EmbeddingLoss, cosineSimilarity, expectColumns, pairwiseCosSim, requireLabels } from "./loss.js";

export type TripletDistanceMetric = "euclidean" | "cosine" | "manhattan";
export type SiameseDistanceMetric = "euclidean" | "manhattan" | "cosine_distance";

export interface TripletLossOptions {
  /** Distance between the embeddings (default euclidean). */
  distanceMetric?: TripletDistanceMetric;
  /** How much closer the positive must be than the negative (default 5). */
  tripletMargin?: number;
}

export interface ContrastiveLossOptions {
  /** Distance between the embeddings (default cosine_distance). */
  distanceMetric?: SiameseDistanceMetric;
  /** Negative pairs closer than this are penalized (default 0.5). */
  margin?: number;
  /** Mean over the batch (default true) instead of the sum. */
  sizeAverage?: boolean;
}

const TRIPLET_KEYS = optionKeys<TripletLossOptions>({ distanceMetric: true, tripletMargin: true });
const CONTRASTIVE_KEYS = optionKeys<ContrastiveLossOptions>({ distanceMetric: true, margin: true, sizeAverage: true });

/** `TripletDistanceMetric`: ‖a − b‖₂ (`-pairwise_euclidean_sim`), 1 − pairwise_cos_sim, or ‖a − b‖₁. */
function tripletDistance(metric: TripletDistanceMetric, a: Tensor, b: Tensor): Tensor {
  if (metric === "euclidean") return rowNorm(sub(a, b));
  if (metric === "manhattan") return rowSum(abs(sub(a, b)));
  return addScalar(scale(pairwiseCosSim(a, b), -1), 1);
}

/** `SiameseDistanceMetric`: F.pairwise_distance(p = 2 or 1, eps 1e-6) or 1 − F.cosine_similarity. */
function siameseDistance(metric: SiameseDistanceMetric, a: Tensor, b: Tensor): Tensor {
  if (metric === "euclidean") return rowNorm(addScalar(sub(a, b), 1e-6));
  if (metric === "manhattan") return rowSum(abs(addScalar(sub(a, b), 1e-6)));
  return addScalar(scale(cosineSimilarity(a, b), -1), 1);
}

/**
 * TripletLoss: mean(relu(d(anchor, positive) − d(anchor, negative) + margin)), euclidean distance
 * and margin 5 by default.
 */
export class TripletLoss implements EmbeddingLoss {
  readonly name = "TripletLoss";
  readonly distanceMetric: TripletDistanceMetric;
  readonly tripletMargin: number;

  constructor(opts: TripletLossOptions = {}) {
    checkOptions(opts, TRIPLET_KEYS, "TripletLoss");
    this.distanceMetric = opts.distanceMetric ?? "euclidean";
    this.tripletMargin = opts.tripletMargin ?? 5;
  }

  computeLossFromEmbeddings(embeddings: readonly Tensor[]): Tensor {
    expectColumns(this.name, embeddings, 3);
    const [a, p, n] = embeddings as [Tensor, Tensor, Tensor];
    const gap = sub(tripletDistance(this.distanceMetric, a, p), tripletDistance(this.distanceMetric, a, n));
    return mean(activation(addScalar(gap, this.tripletMargin), "relu"));
  }

  parameters(): NamedParameter[] {
    return [];
  }

  configDict(): Record<string, unknown> {
    return { distance_metric: `TripletDistanceMetric.${this.distanceMetric.toUpperCase()}`, triplet_margin: this.tripletMargin };
  }
}

/**
 * ContrastiveLoss (Hadsell et al. 2006): 0.5 · (y · d² + (1 − y) · relu(margin − d)²) per pair,
 * averaged (`sizeAverage`, default) or summed; cosine distance and margin 0.5 by default.
 */
export class ContrastiveLoss implements EmbeddingLoss {
  readonly name = "ContrastiveLoss";
  readonly distanceMetric: SiameseDistanceMetric;
  readonly margin: number;
  readonly sizeAverage: boolean;

  constructor(opts: ContrastiveLossOptions = {}) {
    checkOptions(opts, CONTRASTIVE_KEYS, "ContrastiveLoss");
    this.distanceMetric = opts.distanceMetric ?? "cosine_distance";
    this.margin = opts.margin ?? 0.5;
    this.sizeAverage = opts.sizeAverage ?? true;
  }

  computeLossFromEmbeddings(embeddings: readonly Tensor[], labels?: Tensor): Tensor {
    expectColumns(this.name, embeddings, 2);
    const [a, b] = embeddings as [Tensor, Tensor];
    const y = requireLabels(this.name, labels, a.dim(0));
    const d = siameseDistance(this.distanceMetric, a, b);
    const hinge = activation(addScalar(scale(d, -1), this.margin), "relu");
    const pos = mul(new Tensor(Float32Array.from(y), [y.length]), mul(d, d));
    const neg = mul(new Tensor(y.map((v) => 1 - v), [y.length]), mul(hinge, hinge));
    const losses = scale(add(pos, neg), 0.5);
    return this.sizeAverage ? mean(losses) : sum(losses);
  }

  parameters(): NamedParameter[] {
    return [];
  }

  configDict(): Record<string, unknown> {
    const metric = { euclidean: "EUCLIDEAN", manhattan: "MANHATTAN", cosine_distance: "COSINE_DISTANCE" }[this.distanceMetric];
    return { distance_metric: `SiameseDistanceMetric.${metric}`, margin: this.margin, size_average: this.sizeAverage };
  }
}
