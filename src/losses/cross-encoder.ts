import { SbertError } from "../errors.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { type ActivationName, activation, torchActivationClass } from "../tensor/ops/elementwise.js";
import { bceWithLogits, crossEntropy } from "../tensor/ops/loss.js";
import type { Tensor } from "../tensor/tensor.js";
import { type LogitsLoss, requireClassLabels, requireLabels } from "./loss.js";

export interface BinaryCrossEntropyLossOptions {
  /** Applied to the logits first (default identity). */
  activationFn?: ActivationName;
  /** Weight of the positive examples (`pos_weight`, default 1). */
  posWeight?: number;
}

export interface CrossEntropyLossOptions {
  /** Applied to the logits first (default identity). */
  activationFn?: ActivationName;
}

const BCE_KEYS = optionKeys<BinaryCrossEntropyLossOptions>({ activationFn: true, posWeight: true });
const CE_KEYS = optionKeys<CrossEntropyLossOptions>({ activationFn: true });

/**
 * BinaryCrossEntropyLoss for a 1-label cross-encoder: `nn.BCEWithLogitsLoss(pos_weight)` on the
 * logits (after `activationFn`, default identity) against 0/1 or [0, 1] labels.
 */
export class BinaryCrossEntropyLoss implements LogitsLoss {
  readonly name = "BinaryCrossEntropyLoss";
  readonly activationFn: ActivationName;
  readonly posWeight: number | undefined;

  constructor(opts: BinaryCrossEntropyLossOptions = {}) {
    checkOptions(opts, BCE_KEYS, "BinaryCrossEntropyLoss");
    this.activationFn = opts.activationFn ?? "identity";
    this.posWeight = opts.posWeight;
  }

  computeLossFromLogits(logits: Tensor, labels: Tensor): Tensor {
    if (logits.shape.length !== 2 || logits.dim(1) !== 1) {
      throw new SbertError("INVALID_INPUT", `BinaryCrossEntropyLoss expects a model with 1 output label, got logits of shape [${logits.shape.join(", ")}]`);
    }
    const y = requireLabels(this.name, labels, logits.dim(0));
    return bceWithLogits(activation(logits.reshape([logits.dim(0)]), this.activationFn), y, this.posWeight ?? 1);
  }

  configDict(): Record<string, unknown> {
    return { activation_fn: torchActivationClass(this.activationFn), pos_weight: this.posWeight ?? null };
  }
}

/** CrossEntropyLoss for a cross-encoder with numLabels > 1: `nn.CrossEntropyLoss()` on class labels. */
export class CrossEntropyLoss implements LogitsLoss {
  readonly name = "CrossEntropyLoss";
  readonly activationFn: ActivationName;

  constructor(opts: CrossEntropyLossOptions = {}) {
    checkOptions(opts, CE_KEYS, "CrossEntropyLoss");
    this.activationFn = opts.activationFn ?? "identity";
  }

  computeLossFromLogits(logits: Tensor, labels: Tensor): Tensor {
    if (logits.shape.length !== 2) throw new SbertError("INVALID_INPUT", `CrossEntropyLoss expects logits (batch, numLabels), got [${logits.shape.join(", ")}]`);
    const y = requireClassLabels(this.name, labels, logits.dim(0), logits.dim(1));
    return crossEntropy(activation(logits, this.activationFn), y);
  }

  configDict(): Record<string, unknown> {
    return { activation_fn: torchActivationClass(this.activationFn) };
  }
}

