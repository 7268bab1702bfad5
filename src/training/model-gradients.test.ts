import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MultipleNegativesRankingLoss } from "../losses/multiple-negatives-ranking.js";
import { Dense } from "../modules/dense.js";
import type { Features } from "../modules/module.js";
import { Normalize } from "../modules/normalize.js";
import { Pooling } from "../modules/pooling.js";
import { noGrad } from "../tensor/autograd.js";
import { gradCheck } from "../tensor/gradcheck.js";
import { Rng } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { TextTokenizer, type TokenBatch } from "../tokenizers/text-tokenizer.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { setRequiresGrad } from "./parameters.js";
import { TrainableSentenceTransformer } from "./trainer-model.js";
import { jsGemmKernel, setGemmKernel } from "../tensor/kernels.js";

/**
 * End-to-end backward through real (tiny) fixture models of every architecture, with Dense and
 * Normalize: the analytic gradient of a MultipleNegativesRankingLoss (scale 5) against finite
 * differences on sampled weights: for each parameter tensor, its largest-gradient element and a
 * random one. The loss passes through ~40 float32 ops, so plain central differences hit a noise
 * floor of ~3e-5 (rounding ~1e-7 / h against truncation ~h^2 f'''); Richardson extrapolation of
 * h = 4e-2 and 2e-2 is used instead (truncation O(h^4), rounding ~4e-6). TOL = 2e-3 of the
 * tensor's largest gradient (floor 1e-2), while a wrong or missing backward is off by the size of
 * the gradient itself. Max pooling is left to the op-level checks: its kinks make whole-model
 * differences unreliable.
 */
const TOL = 2e-3;
const FIXTURES = join(import.meta.dirname, "../../test/fixtures");
const TEXTS_A = ["A man is playing a guitar.", "Stocks fell sharply today in early trading."];
const TEXTS_B = ["A kitten is napping", "Markets dropped."];

/** The fixture loaded as users load it, in the trainer's view (its forward is `SentenceTransformer.forward`). */
async function load(name: string): Promise<{ model: TrainableSentenceTransformer; tokenizer: TextTokenizer }> {
  const model = new TrainableSentenceTransformer(await SentenceTransformer.load(join(FIXTURES, name), { backend: "native" }));
  setRequiresGrad(model.params);
  return { model, tokenizer: model.model.transformer.tokenizer };
}

/** (L(w + h) − L(w − h)) / (actual step), nudging element e of t (float32, so the step is rounded). */
async function centralDifference(t: Tensor, e: number, h: number, loss: () => Promise<number>): Promise<number> {
  const w = t.data;
  const v = w[e] as number;
  w[e] = v + h;
  const up = (w[e] as number) - v;
  const fPlus = await loss();
  w[e] = v - h;
  const down = v - (w[e] as number);
  const fMinus = await loss();
  w[e] = v;
  return (fPlus - fMinus) / (up + down);
}

describe.each([
  ["st-bert-mean"],
  ["st-bert-cls-dense-normalize"],
  ["st-distilbert-cased-mean"],
  ["st-roberta-bpe-mean-normalize"],
  ["st-xlmr-spm-mean-dense"],
  ["st-mpnet-mean-normalize"],
])("backward through %s", (name) => {
  it("matches finite differences on sampled weights of every parameter tensor", async () => {
    const m = await load(name);
    const [a, b] = [m.tokenizer.encodeBatch(TEXTS_A, { maxLength: 16 }), m.tokenizer.encodeBatch(TEXTS_B, { maxLength: 16 })];
    const loss = new MultipleNegativesRankingLoss({ scale: 5 });
    // the finite differences run on the float64-accumulating JS kernel: a float32 GEMM's rounding of
    // the loss (~1e-7), divided by h, is above TOL's floor; the analytic backward runs on any kernel
    const embed = (batch: TokenBatch): Promise<Tensor> => m.model.embedBatch(batch);
    const lossValue = async (): Promise<number> => {
      const previous = setGemmKernel(jsGemmKernel);
      try {
        return await noGrad(async () => loss.computeLossFromEmbeddings([await embed(a), await embed(b)]).data[0] as number);
      } finally {
        setGemmKernel(previous);
      }
    };
    loss.computeLossFromEmbeddings([await embed(a), await embed(b)]).backward();
    const rng = new Rng(3);
    const h = 4e-2;
    let checked = 0;
    const withoutGrad: string[] = [];
    for (const p of m.model.params) {
      const g = p.tensor.grad;
      if (!g) {
        withoutGrad.push(p.name);
        continue;
      }
      let maxGrad = 0;
      let argmax = 0;
      g.forEach((v, i) => {
        if (Math.abs(v) > maxGrad) [maxGrad, argmax] = [Math.abs(v), i];
      });
      for (const e of [argmax, rng.nextInt(g.length)]) {
        // Richardson: (4·D(h/2) − D(h)) / 3 cancels the h² truncation term of central differences
        const numeric = (4 * (await centralDifference(p.tensor, e, h / 2, lossValue)) - (await centralDifference(p.tensor, e, h, lossValue))) / 3;
        const err = Math.abs(numeric - (g[e] as number));
        expect(err, `${p.name}[${e}]`).toBeLessThanOrEqual(TOL * Math.max(1e-2, maxGrad));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
    // parameters no sentence-embedding path uses: the pooler, and MPNet's relative attention bias,
    // which mpnet.ts gathers with a plain loop (see the report); nothing else may lack a gradient
    expect(withoutGrad.filter((n) => !/pooler/.test(n))).toEqual([]);
  });
});

describe("module plumbing", () => {
  it("Pooling (cls + mean + max, prompt excluded) → Dense (tanh) → Normalize is differentiable end to end", () => {
    const rng = new Rng(9);
    const rand = (shape: number[], spread = 1): Tensor => {
      const t = new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-spread, spread)), shape);
      t.requiresGrad = true;
      return t;
    };
    // (2 rows × 4 tokens, 3 features); one padded token; a column offset per token keeps max away from ties
    const tokens = rand([8, 3]);
    tokens.data.forEach((v, i) => (tokens.data[i] = v * 0.1 + 0.3 * Math.floor(i / 3)));
    const batch: TokenBatch = {
      batchSize: 2,
      seqLen: 4,
      inputIds: new Int32Array(8),
      tokenTypeIds: new Int32Array(8),
      attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0]),
      lengths: Int32Array.from([4, 3]),
    };
    const pooling = new Pooling({ embeddingDimension: 3, modes: ["cls", "mean", "max"], includePrompt: false });
    const dense = new Dense(rand([2, 9], 0.5), rand([2]), "tanh");
    const normalize = new Normalize();
    const run = (xs: readonly Tensor[]): Tensor => {
      let f: Features = { batch, tokenEmbeddings: xs[0] as Tensor, promptLength: 1 };
      for (const m of [pooling, dense, normalize]) f = m.forward(f);
      return f.sentenceEmbedding as Tensor;
    };
    const r = gradCheck(run, [tokens, dense.weight, dense.bias as Tensor], 3e-3);
    expect(r.maxAbsError).toBeLessThanOrEqual(1e-3 * Math.max(1, r.maxAbsGrad));
  });
});
