import { checkOptions, optionKeys } from "../strict-options.js";
import { SbertError } from "../errors.js";
import { abs, mul, sub } from "../tensor/ops/elementwise.js";
import { linear } from "../tensor/ops/linear.js";
import { crossEntropy } from "../tensor/ops/loss.js";
import { concat } from "../tensor/ops/shape.js";
import { Rng } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
import { type EmbeddingLoss, expectColumns, requireClassLabels } from "./loss.js";

export interface SoftmaxLossOptions {
  /** Size of u and v. */
  embeddingDimension: number;
  numLabels: number;
  /** Concatenate u and v (default true). */
  concatenationSentRep?: boolean;
  /** Concatenate |u − v| (default true). */
  concatenationSentDifference?: boolean;
  /** Concatenate u ⊙ v (default false). */
  concatenationSentMultiplication?: boolean;
  /** Draws the classifier's initial weights (default `new Rng(0)`); see `loadClassifier` for given ones. */
  rng?: Rng;
}

const KEYS = optionKeys<SoftmaxLossOptions>({
  embeddingDimension: true,
  numLabels: true,
  concatenationSentRep: true,
  concatenationSentDifference: true,
  concatenationSentMultiplication: true,
  rng: true,
});

/**
 * SoftmaxLoss (SBERT, Reimers & Gurevych 2019): a linear classifier over (u, v, |u − v|[, u ⊙ v])
 * trained with cross-entropy on class labels (NLI: 0, 1, 2). The classifier weight is
 * (numLabels, k · dim), saved as `classifier.weight` / `classifier.bias`.
 *
 * @example
 * const loss = new SoftmaxLoss({ embeddingDimension: 384, numLabels: 3 });
 * const l = loss.computeLossFromEmbeddings([u, v], labelTensor([0, 2, 1]));
 */
export class SoftmaxLoss implements EmbeddingLoss {
  readonly name = "SoftmaxLoss";
  readonly numLabels: number;
  readonly concatenationSentRep: boolean;
  readonly concatenationSentDifference: boolean;
  readonly concatenationSentMultiplication: boolean;
  /** nn.Linear(k · dim, numLabels): weight (numLabels, k · dim), bias (numLabels). */
  readonly classifier: { readonly weight: Tensor; readonly bias: Tensor };

  constructor(opts: SoftmaxLossOptions) {
    checkOptions(opts, KEYS, "SoftmaxLoss");
    this.numLabels = opts.numLabels;
    this.concatenationSentRep = opts.concatenationSentRep ?? true;
    this.concatenationSentDifference = opts.concatenationSentDifference ?? true;
    this.concatenationSentMultiplication = opts.concatenationSentMultiplication ?? false;
    if (!Number.isInteger(opts.numLabels) || opts.numLabels < 1) throw new SbertError("INVALID_INPUT", `numLabels must be a positive integer, got ${opts.numLabels}`);
    if (!Number.isInteger(opts.embeddingDimension) || opts.embeddingDimension < 1) {
      throw new SbertError("INVALID_INPUT", `embeddingDimension must be a positive integer, got ${opts.embeddingDimension}`);
    }
    const k = (this.concatenationSentRep ? 2 : 0) + (this.concatenationSentDifference ? 1 : 0) + (this.concatenationSentMultiplication ? 1 : 0);
    if (k === 0) throw new SbertError("INVALID_INPUT", "SoftmaxLoss needs at least one concatenation option");
    const inF = k * opts.embeddingDimension;
    // nn.Linear's default initialisation: U(−1/sqrt(in), 1/sqrt(in)) for weight and bias
    const rng = opts.rng ?? new Rng(0);
    const bound = 1 / Math.sqrt(inF);
    const init = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
    this.classifier = {
      weight: new Tensor(init(opts.numLabels * inF), [opts.numLabels, inF]),
      bias: new Tensor(init(opts.numLabels), [opts.numLabels]),
    };
    this.classifier.weight.requiresGrad = true;
    this.classifier.bias.requiresGrad = true;
  }

  /** Copies given classifier weights (`classifier.weight`, `classifier.bias`, e.g. from safetensors) in place. */
  loadClassifier(tensors: ReadonlyMap<string, Tensor>): void {
    for (const [key, dst] of [["classifier.weight", this.classifier.weight], ["classifier.bias", this.classifier.bias]] as const) {
      const src = tensors.get(key);
      if (!src) throw new SbertError("INVALID_INPUT", `SoftmaxLoss: "${key}" is missing from the given weights`);
      if (src.size !== dst.size || src.shape.length !== dst.shape.length) {
        throw new SbertError("SHAPE_MISMATCH", `SoftmaxLoss: "${key}" has shape [${src.shape.join(", ")}], the classifier needs [${dst.shape.join(", ")}]`);
      }
      dst.data.set(src.data);
    }
  }

  /** The classifier's logits (batch, numLabels) for u, v. */
  logits(u: Tensor, v: Tensor): Tensor {
    const parts: Tensor[] = [];
    if (this.concatenationSentRep) parts.push(u, v);
    if (this.concatenationSentDifference) parts.push(abs(sub(u, v)));
    if (this.concatenationSentMultiplication) parts.push(mul(u, v));
    const features = concat(parts, 1);
    if (features.dim(1) !== this.classifier.weight.dim(1)) {
      throw new SbertError("SHAPE_MISMATCH", `SoftmaxLoss was built for ${this.classifier.weight.dim(1)} features, the embeddings give ${features.dim(1)}`);
    }
    return linear(features, this.classifier.weight, this.classifier.bias);
  }

  computeLossFromEmbeddings(embeddings: readonly Tensor[], labels?: Tensor): Tensor {
    expectColumns(this.name, embeddings, 2);
    const [u, v] = embeddings as [Tensor, Tensor];
    const y = requireClassLabels(this.name, labels, u.dim(0), this.numLabels);
    return crossEntropy(this.logits(u, v), y);
  }

  parameters(): NamedParameter[] {
    return [
      { name: "classifier.weight", tensor: this.classifier.weight },
      { name: "classifier.bias", tensor: this.classifier.bias },
    ];
  }

  configDict(): Record<string, unknown> {
    return {
      num_labels: this.numLabels,
      concatenation_sent_rep: this.concatenationSentRep,
      concatenation_sent_difference: this.concatenationSentDifference,
      concatenation_sent_multiplication: this.concatenationSentMultiplication,
    };
  }
}
