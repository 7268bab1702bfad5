import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readSafetensors, toFloat32Array } from "../src/io/safetensors.js";
import { CosineSimilarityLoss } from "../src/losses/cosine-similarity.js";
import type { EmbeddingLoss } from "../src/losses/loss.js";
import { labelTensor } from "../src/losses/loss.js";
import { MultipleNegativesRankingLoss } from "../src/losses/multiple-negatives-ranking.js";
import { SoftmaxLoss } from "../src/losses/softmax.js";
import { matmulNT } from "../src/tensor/ops/linear.js";
import { l2Normalize } from "../src/tensor/ops/normalize.js";
import { Tensor } from "../src/tensor/tensor.js";
import { TextTokenizer, type TokenBatch } from "../src/tokenizers/text-tokenizer.js";
import { noGrad } from "../src/tensor/autograd.js";
import { AdamW } from "../src/training/optim/adamw.js";
import { setRequiresGrad, weightDecayGroups } from "../src/training/parameters.js";
import { TrainableSentenceTransformer } from "../src/training/trainer-model.js";
import { SentenceTransformer } from "../src/models/sentence-transformer.js";
import { FIXTURES, maxAbsDiff, readGolden } from "./helpers/fixtures.js";

/**
 * The training fixtures made by Python sentence-transformers 5.7 + torch 2.14 (float32, CPU):
 * from `initial_model/` (dropout 0) and a fixed batch, the step-0 loss, embeddings, logits /
 * similarities and per-parameter gradient norms and sums, then 3 AdamW steps (all parameters
 * decayed, constant lr) at lr 2e-5 and 1e-3: each step's loss, the loss and embeddings after
 * training, and the largest change of every parameter.
 *
 * Tolerances (float32 forward; we accumulate in float64, torch in float32 BLAS):
 * - losses, u, v, logits, similarities, embeddings: 1e-5 absolute (stated by the fixtures).
 * - gradient L2 norms: 1e-4 relative.
 * - gradient sums: |ours − theirs| ≤ 1e-4 · ‖grad‖₂ · sqrt(n) (n = element count). Sums whose
 *   entries cancel (LayerNorm makes Σ_features dL/dx = 0, so embedding and dense-weight sums are
 *   ~1e-8 of the norm) are rounding noise in both programs, so they are read on the scale of the
 *   gradient itself, not their own tiny value.
 * - key biases: softmax is invariant to them, so their gradient is 0 up to rounding (~1e-10 in
 *   both programs, different noise); checked as ‖grad‖ ≤ 1e-6.
 * - max |Δparam| after 3 steps: 1e-6 absolute and 0.5 % relative (the change is a difference of
 *   float32 weights ~0.05, so at lr 2e-5 (Δ ≈ 6e-5) one ulp is already 6e-5 of it; observed ≤ 1.2e-7
 *   and ≤ 0.15 %). Parameters Python leaves unchanged (the unused pooler) must not move at all.
 *   Key biases are the exception: their gradient is pure rounding noise (~1e-10 against eps 1e-8),
 *   so Adam moves them by noise-dependent amounts that cannot affect any output; only an upper
 *   bound (lr · 3 · 0.2) is checked for them.
 */
const TOL = 1e-5;
const GRAD_REL = 1e-4;

type Features = { input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][] };
interface Step {
  step: number;
  loss: number;
  u?: number[][];
  v?: number[][];
  logits?: number[][];
  cos_sim_u_v_matrix?: number[][];
  grad_l2_norm_per_param?: Record<string, number>;
  grad_sum_per_param?: Record<string, number>;
}
interface Run {
  hyperparameters: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  steps: Step[];
  loss_after_3_steps: number;
  embeddings_after_training_SENTENCES: number[][];
  embeddings_after_training_batch_a_then_b?: number[][];
  embeddings_after_training_nli_a_then_b?: number[][];
  max_abs_param_change: Record<string, number>;
  classifier_weight_after?: number[][];
  classifier_bias_after?: number[];
}
interface TrainingGolden {
  batch: { features_a: Features; features_b: Features; labels: number[] | null };
  sentences_for_embeddings: string[];
  runs: Run[];
}

const PREFIX = "model.0.model.";
const report: string[] = [];

function tokenBatch(f: Features): TokenBatch {
  const batchSize = f.input_ids.length;
  const seqLen = f.input_ids[0]?.length ?? 0;
  return {
    batchSize,
    seqLen,
    inputIds: Int32Array.from(f.input_ids.flat()),
    tokenTypeIds: Int32Array.from(f.token_type_ids.flat()),
    attentionMask: Int32Array.from(f.attention_mask.flat()),
    lengths: Int32Array.from(f.attention_mask.map((r) => r.reduce((a, b) => a + b, 0))),
  };
}

/**
 * `initial_model` loaded as users load it, in the trainer's view: its forward is the model's own
 * (`SentenceTransformer.forward` → `runPipeline`: Transformer, Pooling), every tensor of the
 * checkpoint named by its key.
 */
async function loadTrainable(dir: string): Promise<TrainableSentenceTransformer> {
  const model = new TrainableSentenceTransformer(await SentenceTransformer.load(dir, { backend: "native" }));
  setRequiresGrad(model.params);
  return model;
}

function embed(m: TrainableSentenceTransformer, batch: TokenBatch): Promise<Tensor> {
  return m.embedBatch(batch);
}

function l2(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s);
}

function sumOf(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v;
  return s;
}

const FIXTURE_LOSSES: Record<string, (dir: string) => Promise<EmbeddingLoss>> = {
  "st-bert-mean-softmaxloss": async (dir) => {
    const loss = new SoftmaxLoss({ embeddingDimension: 48, numLabels: 3 });
    const file = await readSafetensors(join(dir, "classifier_init.safetensors"));
    loss.loadClassifier(new Map([...file].map(([k, r]) => [k, new Tensor(toFloat32Array(r), r.shape)])));
    return loss;
  },
  "st-bert-mean-cosinesimloss": async () => new CosineSimilarityLoss(),
  "st-bert-mean-mnrl": async () => new MultipleNegativesRankingLoss(),
};

describe.each(Object.keys(FIXTURE_LOSSES).map((n) => [n]))("training golden %s", (name) => {
  const dir = join(FIXTURES, name);
  const g = readGolden(dir) as unknown as TrainingGolden;
  const initial = join(dir, "initial_model");
  const batchA = tokenBatch(g.batch.features_a);
  const batchB = tokenBatch(g.batch.features_b);
  const labels = g.batch.labels ? labelTensor(g.batch.labels) : undefined;
  let tokenizer: TextTokenizer;
  beforeAll(async () => {
    tokenizer = await TextTokenizer.fromFolder(initial);
  });

  it.each(g.runs.map((r) => [r.hyperparameters.lr, r] as const))("lr %s: step-0 values and gradients, 3 AdamW steps", async (lr, run) => {
    const model = await loadTrainable(initial);
    const loss = await (FIXTURE_LOSSES[name] as (d: string) => Promise<EmbeddingLoss>)(dir);
    const all = [...model.params, ...loss.parameters()];
    const before = new Map(all.map((p) => [p.name, Float32Array.from(p.tensor.data)]));
    const hp = run.hyperparameters;
    const opt = new AdamW(weightDecayGroups(all, hp.weight_decay, { decayAll: true }), { lr: hp.lr, betas: hp.betas, eps: hp.eps });
    const diffs: Record<string, number> = {};
    const note = (key: string, d: number): void => void (diffs[key] = Math.max(diffs[key] ?? 0, d));

    for (const step of run.steps) {
      const u = await embed(model, batchA);
      const v = await embed(model, batchB);
      const l = loss.computeLossFromEmbeddings([u, v], labels);
      note("loss", Math.abs((l.data[0] as number) - step.loss));
      if (step.step === 0) {
        note("u, v", Math.max(maxAbsDiff(u.toNested(), step.u), maxAbsDiff(v.toNested(), step.v)));
        if (step.logits && loss instanceof SoftmaxLoss) note("logits", maxAbsDiff(noGrad(() => loss.logits(u, v)).toNested(), step.logits));
        if (step.cos_sim_u_v_matrix) note("cos_sim", maxAbsDiff(noGrad(() => matmulNT(l2Normalize(u), l2Normalize(v))).toNested(), step.cos_sim_u_v_matrix));
      }
      l.backward();
      if (step.step === 0) {
        const norms = step.grad_l2_norm_per_param ?? {};
        const sums = step.grad_sum_per_param ?? {};
        for (const [pyName, want] of Object.entries(norms)) {
          const p = all.find((q) => q.name === pyName.replace(PREFIX, ""));
          expect(p, pyName).toBeDefined();
          const grad = p?.tensor.grad ?? new Float32Array(0);
          const norm = l2(grad);
          if (want < 1e-6) {
            // a key bias: mathematically zero (softmax ignores it), rounding noise in both programs
            note("zero gradients (max norm)", norm);
            continue;
          }
          note("grad L2 norm (relative)", Math.abs(norm - want) / want);
          note("grad sum (/ ‖g‖·sqrt(n))", Math.abs(sumOf(grad) - (sums[pyName] as number)) / (want * Math.sqrt(grad.length)));
        }
        expect(Object.keys(norms).length).toBeGreaterThan(30);
      }
      opt.step();
      opt.zeroGrad();
    }

    const after = await noGrad(async () => loss.computeLossFromEmbeddings([await embed(model, batchA), await embed(model, batchB)], labels));
    note("loss after 3 steps", Math.abs((after.data[0] as number) - run.loss_after_3_steps));
    const sentences = await noGrad(() => embed(model, tokenizer.encodeBatch(g.sentences_for_embeddings, { maxLength: 24 })));
    note("embeddings after training", maxAbsDiff(sentences.toNested(), run.embeddings_after_training_SENTENCES));
    const aThenB = run.embeddings_after_training_batch_a_then_b ?? run.embeddings_after_training_nli_a_then_b;
    if (aThenB) note("embeddings after training", maxAbsDiff(await noGrad(async () => [...((await embed(model, batchA)).toNested() as number[][]), ...((await embed(model, batchB)).toNested() as number[][])]), aThenB));
    if (loss instanceof SoftmaxLoss && run.classifier_weight_after && run.classifier_bias_after) {
      note("classifier after", Math.max(maxAbsDiff(loss.classifier.weight.toNested(), run.classifier_weight_after), maxAbsDiff(loss.classifier.bias.toNested(), run.classifier_bias_after)));
    }
    for (const [pyName, want] of Object.entries(run.max_abs_param_change)) {
      const p = all.find((q) => q.name === pyName.replace(PREFIX, ""));
      expect(p, pyName).toBeDefined();
      const old = before.get(p?.name ?? "") as Float32Array;
      let change = 0;
      p?.tensor.data.forEach((x, i) => (change = Math.max(change, Math.abs(x - (old[i] as number)))));
      if (pyName.includes("attention.self.key.bias")) {
        expect(change, pyName).toBeLessThanOrEqual(lr * 3 * 0.2);
        continue;
      }
      note("max |Δparam| (abs diff)", Math.abs(change - want));
      if (want > 1e-5) note("max |Δparam| (relative)", Math.abs(change - want) / want);
      else expect(change, pyName).toBe(0);
    }

    report.push(`${name} lr ${lr}: ${Object.entries(diffs).map(([k, d]) => `${k} ${d.toExponential(2)}`).join(", ")}`);
    if (process.env["GOLDEN_REPORT"]) console.log(report.at(-1));
    expect(diffs["loss"]).toBeLessThanOrEqual(TOL);
    expect(diffs["u, v"]).toBeLessThanOrEqual(TOL);
    expect(diffs["logits"] ?? 0).toBeLessThanOrEqual(TOL);
    expect(diffs["cos_sim"] ?? 0).toBeLessThanOrEqual(TOL);
    expect(diffs["grad L2 norm (relative)"]).toBeLessThanOrEqual(GRAD_REL);
    expect(diffs["grad sum (/ ‖g‖·sqrt(n))"]).toBeLessThanOrEqual(GRAD_REL);
    expect(diffs["zero gradients (max norm)"] ?? 0).toBeLessThanOrEqual(1e-6);
    expect(diffs["loss after 3 steps"]).toBeLessThanOrEqual(TOL);
    expect(diffs["embeddings after training"]).toBeLessThanOrEqual(TOL);
    expect(diffs["classifier after"] ?? 0).toBeLessThanOrEqual(TOL);
    expect(diffs["max |Δparam| (abs diff)"]).toBeLessThanOrEqual(1e-6);
    expect(diffs["max |Δparam| (relative)"]).toBeLessThanOrEqual(5e-3);
  });
});
