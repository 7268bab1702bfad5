import { SbertError } from "../errors.js";
import { mseLoss } from "../tensor/ops/loss.js";
import { concat } from "../tensor/ops/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
import { type EmbeddingLoss, expectColumns } from "./loss.js";

/**
 * MSELoss (distillation, Reimers & Gurevych 2020): mean squared error between the student's
 * embeddings and the teacher's (labels, (batch, dim)). Several input columns (e.g. a sentence and
 * its translation) are stacked and all compared with the same teacher vectors.
 */
export class MSELoss implements EmbeddingLoss {
  readonly name = "MSELoss";

  computeLossFromEmbeddings(embeddings: readonly Tensor[], labels?: Tensor): Tensor {
    expectColumns(this.name, embeddings, 1, Infinity);
    const first = embeddings[0] as Tensor;
    if (!labels || labels.shape.length !== 2 || labels.dim(0) !== first.dim(0) || labels.dim(1) !== first.dim(1)) {
      throw new SbertError("INVALID_INPUT", `MSELoss needs teacher embeddings of shape [${first.shape.join(", ")}] as labels, got ${labels ? `[${labels.shape.join(", ")}]` : "none"}`);
    }
    if (embeddings.length === 1) return mseLoss(first, labels);
    return mseLoss(concat(embeddings, 0), concat(embeddings.map(() => labels), 0));
  }

  parameters(): NamedParameter[] {
    return [];
  }

  configDict(): Record<string, unknown> {
    return {};
  }
}
