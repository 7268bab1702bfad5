import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { CosineSimilarityLoss } from "../losses/cosine-similarity.js";
import { CrossEncoder } from "../models/cross-encoder.js";
import { parseSentenceTransformerConfig } from "../models/model-config.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import type { Features, PipelineModule } from "../modules/module.js";
import type { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { datasetFromColumns, datasetFromRecords } from "./data.js";
import { CrossEncoderTrainer } from "./trainer-cross-encoder.js";
import { SentenceTransformerTrainer } from "./trainer.js";

/**
 * Training runs the model's own inference forward (`SentenceTransformer.forward` /
 * `CrossEncoder.forward` → `runPipeline` → every module's `forward`), with the training mode
 * reaching every module: whatever a module's forward does reaches the optimizer step.
 */
const MODEL = join(FIXTURES, "st-bert-mean");
const CE1 = join(FIXTURES, "ce-bert-1label");
const PAIRS = datasetFromColumns({ s1: ["a cat", "a dog", "a bird", "a fish"], s2: ["the sun", "the moon", "the sea", "a tree"], score: [0, 0.25, 0.5, 1] });
const ARGS = { batchSize: 2, lr: 1e-3, maxSteps: 2, seed: 1 };

/** A pass-through module that notes, on every forward, its mode and whether the graph is recorded. */
class SpyModule implements PipelineModule {
  readonly typeName = "Spy";
  rng: Rng | undefined;
  readonly seen: { training: boolean; recorded: boolean }[] = [];
  setTrainingMode(rng: Rng | undefined): void {
    this.rng = rng;
  }
  forward(f: Features): Features {
    this.seen.push({ training: this.rng !== undefined, recorded: f.sentenceEmbedding?.requiresGrad === true });
    return f;
  }
  outputDimension(): undefined {
    return undefined;
  }
  getConfigDict(): undefined {
    return undefined;
  }
  parameters(): ReadonlyMap<string, Tensor> {
    return new Map();
  }
  async save(): Promise<void> {}
}

describe("training runs the inference forward", () => {
  it("bi-encoder: the Transformer's forward and an added module's forward run in each step, in training mode, recording the graph", async () => {
    const loaded = await SentenceTransformer.load(MODEL, { backend: "native" });
    const spy = new SpyModule();
    const model = new SentenceTransformer([...loaded.modules, spy], parseSentenceTransformerConfig(undefined), MODEL);
    const transformerForward = vi.spyOn(model.transformer, "forward");
    await new SentenceTransformerTrainer({ model, sourceDir: MODEL, loss: new CosineSimilarityLoss(), trainDataset: PAIRS, args: ARGS }).train();
    expect(transformerForward).toHaveBeenCalledTimes(4); // 2 steps × 2 columns
    expect(spy.seen).toEqual(Array(4).fill({ training: true, recorded: true }));
    expect(spy.rng).toBeUndefined(); // inference mode again after training
    await model.encode(["after training"]);
    expect(spy.seen.at(-1)).toEqual({ training: false, recorded: false });
  });

  it("bi-encoder: a change to the Transformer's forward reaches the training step", async () => {
    const model = await SentenceTransformer.load(MODEL, { backend: "native" });
    vi.spyOn(model.transformer, "forward").mockRejectedValueOnce(new Error("changed forward"));
    await expect(new SentenceTransformerTrainer({ model, sourceDir: MODEL, loss: new CosineSimilarityLoss(), trainDataset: PAIRS, args: ARGS }).train()).rejects.toThrow("changed forward");
  });

  it("cross-encoder: the Transformer's forward runs in each step, in training mode, recording the graph", async () => {
    const ce = await CrossEncoder.load(CE1, { backend: "native" });
    const t = ce.transformer;
    const [forward, setMode] = [t.forward.bind(t), t.setTrainingMode.bind(t)];
    let rng: Rng | undefined;
    const seen: { training: boolean; recorded: boolean }[] = [];
    t.setTrainingMode = (r) => setMode((rng = r));
    t.forward = async (f) => {
      const out = await forward(f);
      seen.push({ training: rng !== undefined, recorded: out.scores?.requiresGrad === true });
      return out;
    };
    const ds = datasetFromRecords([{ q: "a", d: "b", label: 1 }, { q: "c", d: "d", label: 0 }, { q: "e", d: "f", label: 1 }, { q: "g", d: "h", label: 0 }]);
    await new CrossEncoderTrainer({ model: ce, sourceDir: CE1, trainDataset: ds, args: ARGS }).train();
    expect(seen).toEqual(Array(2).fill({ training: true, recorded: true })); // 2 steps
    expect(rng).toBeUndefined(); // inference mode again after training
  });

  it("cross-encoder: a change to the Transformer's forward reaches the training step", async () => {
    const ce = await CrossEncoder.load(CE1, { backend: "native" });
    vi.spyOn(ce.transformer, "forward").mockRejectedValueOnce(new Error("changed forward"));
    const ds = datasetFromRecords([{ q: "a", d: "b", label: 1 }, { q: "c", d: "d", label: 0 }]);
    await expect(new CrossEncoderTrainer({ model: ce, sourceDir: CE1, trainDataset: ds, args: ARGS }).train()).rejects.toThrow("changed forward");
  });
});
