import { describe, expect, it } from "vitest";
import { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { expectGradients, paramFactory } from "../../../test/helpers/gradients.js";
import { multiHeadAttention } from "./attention.js";
import { dropout } from "./dropout.js";
import { type ActivationName, abs, activation, add, addScalar, mul, scale, sub } from "./elementwise.js";
import { embedding, embeddingBagMean } from "./embedding.js";
import { layerNorm } from "./layer-norm.js";
import { linear, matmul, matmulNT } from "./linear.js";
import { bceWithLogits, crossEntropy, mseLoss, pairwiseRankingLoss } from "./loss.js";
import { l2Normalize } from "./normalize.js";
import { POOLING_MODES, poolTokens } from "./pooling.js";
import { mean, rowDot, rowNorm, rowSum, sum } from "./reduce.js";
import { concat, selectRows, sliceCols, transpose } from "./shape.js";

/**
 * Finite-difference checks of every op's backward (central differences, h = 3e-3, on float32
 * tensors with O(1) values). Error budget: each output is float32 (relative rounding <= 6e-8), so
 * the projected loss carries noise <~ 3e-7 for these sizes, <~ 5e-5 after dividing by 2h; the
 * truncation error h^2 f'''/6 is <~ 2e-5 for the smooth ops here. Observed: <= 5e-5 (mean_sqrt_len
 * pooling). TOL = 1e-3 * max(1, |grad|) keeps a >= 20x margin, while a wrong backward (missing
 * term, wrong index, wrong sign) is off by O(|grad|). Inputs of kinked ops (abs, relu, max) stay
 * >= 0.05 away from their kinks, well beyond h.
 */

const param = paramFactory(7);

/** Values away from 0 by at least `gap` (for abs / relu). */
function awayFromZero(shape: number[], gap = 0.05): Tensor {
  const t = param(shape);
  t.data.forEach((v, i) => (t.data[i] = v >= 0 ? v + gap : v - gap));
  return t;
}

const check = expectGradients;

const t = (xs: readonly Tensor[], i: number): Tensor => xs[i] as Tensor;

describe("elementwise backward", () => {
  it("add, sub, mul (also x·x), scale, addScalar", () => {
    check((x) => add(t(x, 0), t(x, 1)), [param([3, 4]), param([3, 4])]);
    check((x) => sub(t(x, 0), t(x, 1)), [param([3, 4]), param([3, 4])]);
    check((x) => mul(t(x, 0), t(x, 1)), [param([3, 4]), param([3, 4])]);
    check((x) => mul(t(x, 0), t(x, 0)), [param([5])]);
    check((x) => scale(t(x, 0), -2.5), [param([2, 3])]);
    check((x) => addScalar(t(x, 0), 0.75), [param([2, 3])]);
  });

  it("broadcast add, sub, mul: the repeated operand's gradient sums over the leading dims", () => {
    // (B, T, H) with a bias (H), a (T, H) table, a 0-d scalar; the short operand on either side
    check((x) => add(t(x, 0), t(x, 1)), [param([2, 3, 4]), param([4])]);
    check((x) => add(t(x, 0), t(x, 1)), [param([3, 4]), param([2, 3, 4])]);
    check((x) => add(t(x, 0), t(x, 1)), [param([2, 3, 4]), param([])]);
    check((x) => sub(t(x, 0), t(x, 1)), [param([2, 3, 4]), param([3, 4])]);
    check((x) => sub(t(x, 0), t(x, 1)), [param([4]), param([3, 4])]);
    check((x) => mul(t(x, 0), t(x, 1)), [param([2, 3, 4]), param([4])]);
    check((x) => mul(t(x, 0), t(x, 1)), [param([3, 4]), param([2, 3, 4])]);
    check((x) => mul(t(x, 0), t(x, 1)), [param([]), param([3, 4])]);
    // one side without requiresGrad: the other still gets the right gradient
    check((x) => mul(t(x, 0), t(x, 1)), [param([2, 3]), param([3], -1, 1, false)]);
  });

  it("abs away from 0", () => {
    check((x) => abs(t(x, 0)), [awayFromZero([4, 3])]);
  });

  it.each(["gelu", "gelu_tanh", "tanh", "sigmoid", "silu", "relu"] as ActivationName[])("activation %s", (name) => {
    check((x) => activation(t(x, 0), name), [name === "relu" ? awayFromZero([3, 5]) : param([3, 5], -3, 3)]);
  });
});

describe("linear algebra backward", () => {
  it("linear with and without bias, (B, T, in) input", () => {
    check((x) => linear(t(x, 0), t(x, 1), t(x, 2)), [param([2, 3, 5]), param([4, 5]), param([4])]);
    check((x) => linear(t(x, 0), t(x, 1)), [param([3, 5]), param([6, 5])]);
  });

  it("matmul ((M, K) and (B, T, K) left sides) and matmulNT", () => {
    check((x) => matmul(t(x, 0), t(x, 1)), [param([3, 4]), param([4, 5])]);
    check((x) => matmul(t(x, 0), t(x, 1)), [param([2, 3, 4]), param([4, 5])]);
    check((x) => matmulNT(t(x, 0), t(x, 1)), [param([3, 4]), param([5, 4])]);
  });

  it("embedding sums the gradient of repeated ids into one row", () => {
    check((x) => embedding(t(x, 0), [2, 0, 2, 3]), [param([5, 3])]);
  });

  it("embeddingBagMean: repeated ids, a padded slot (its id never read) and an empty bag", () => {
    // bags: [2, 0, 2], [4] (+2 padding), [] (all padding)
    const ids = [2, 0, 2, 4, 9, 9, 1, 1, 1];
    const mask = [1, 1, 1, 1, 0, 0, 0, 0, 0];
    check((x) => embeddingBagMean(t(x, 0), ids, mask, 3, 3), [param([5, 3])]);
  });

  it("layerNorm (x, gamma, beta)", () => {
    check((x) => layerNorm(t(x, 0), t(x, 1), t(x, 2), 1e-12), [param([4, 6], -2, 2), param([6], 0.5, 1.5), param([6])]);
    check((x) => layerNorm(t(x, 0), t(x, 1), t(x, 2), 1e-12), [param([2, 3, 6], -2, 2), param([6], 0.5, 1.5), param([6])]);
  });
});

describe("attention backward", () => {
  const mask = [1, 1, 1, 0, 1, 1, 1, 1];
  it("q, k, v with padding, 2 heads", () => {
    check(
      (x) => multiHeadAttention(t(x, 0), t(x, 1), t(x, 2), { batch: 2, seqLen: 4, heads: 2, keyMask: mask }),
      [param([8, 6]), param([8, 6]), param([8, 6])],
    );
  });

  it("q, k, v as (B, T, H)", () => {
    check(
      (x) => multiHeadAttention(t(x, 0), t(x, 1), t(x, 2), { batch: 2, seqLen: 4, heads: 2, keyMask: mask }),
      [param([2, 4, 6]), param([2, 4, 6]), param([2, 4, 6])],
    );
  });

  it("with an additive score bias (MPNet)", () => {
    check(
      (x) => multiHeadAttention(t(x, 0), t(x, 1), t(x, 2), { batch: 2, seqLen: 4, heads: 2, keyMask: mask, bias: t(x, 3) }),
      [param([8, 4]), param([8, 4]), param([8, 4]), param([2, 4, 4])],
    );
  });
});

describe("pooling and normalization backward", () => {
  const mask = [1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0];
  it.each(POOLING_MODES.map((m) => [m]))("poolTokens %s", (mode) => {
    // distinct values per column keep max pooling away from ties
    const x = param([12, 4]);
    x.data.forEach((v, i) => (x.data[i] = v + 0.3 * Math.floor(i / 4)));
    check((xs) => poolTokens(t(xs, 0), mask, mode, 3, 4), [x]);
  });

  it("l2Normalize", () => {
    check((x) => l2Normalize(t(x, 0)), [param([3, 5])]);
  });
});

describe("shape and reduction backward", () => {
  it("concat along rows and columns", () => {
    check((x) => concat([t(x, 0), t(x, 1)], 0), [param([2, 3]), param([4, 3])]);
    check((x) => concat([t(x, 0), t(x, 1), t(x, 0)], 1), [param([2, 3]), param([2, 2])]);
  });

  it("sliceCols, selectRows (with repeats), transpose, reshape", () => {
    check((x) => sliceCols(t(x, 0), 1, 3), [param([3, 5])]);
    check((x) => selectRows(t(x, 0), [2, 0, 2]), [param([3, 4])]);
    check((x) => transpose(t(x, 0)), [param([3, 4])]);
    check((x) => t(x, 0).reshape([6, 2]), [param([3, 4])]);
  });

  it("sum, mean, rowSum, rowDot, rowNorm", () => {
    check((x) => sum(t(x, 0)), [param([3, 4])]);
    check((x) => mean(t(x, 0)), [param([3, 4])]);
    check((x) => rowSum(t(x, 0)), [param([3, 4])]);
    check((x) => rowDot(t(x, 0), t(x, 1)), [param([3, 4]), param([3, 4])]);
    check((x) => rowNorm(t(x, 0)), [param([3, 4])]);
  });
});

describe("loss kernels backward", () => {
  it("crossEntropy, with and without excluded logits", () => {
    check((x) => crossEntropy(t(x, 0), [2, 0, 1]), [param([3, 4], -3, 3)]);
    const excluded = [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    check((x) => crossEntropy(t(x, 0), [2, 0, 1], excluded), [param([3, 4], -3, 3)]);
  });

  it("bceWithLogits with and without pos_weight", () => {
    check((x) => bceWithLogits(t(x, 0), [1, 0, 0.3, 1]), [param([4], -4, 4)]);
    check((x) => bceWithLogits(t(x, 0), [1, 0, 0.3, 1], 2.5), [param([4], -4, 4)]);
  });

  it("mseLoss (both sides)", () => {
    check((x) => mseLoss(t(x, 0), t(x, 1)), [param([3, 4]), param([3, 4])]);
  });

  it("pairwiseRankingLoss (CoSENT core)", () => {
    check((x) => pairwiseRankingLoss(t(x, 0), [0.1, 0.9, 0.5, 0.5, 0.2]), [param([5], -3, 3)]);
  });

  it("dropout applies the same mask forward and backward", () => {
    check((x) => dropout(t(x, 0), 0.3, new Rng(11)), [param([4, 5])]);
  });
});
