import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { readSafetensors } from "../io/safetensors.js";
import { BinaryCrossEntropyLoss, CrossEntropyLoss } from "../losses/cross-encoder.js";
import { CrossEncoder } from "../models/cross-encoder.js";
import { saveCrossEncoder } from "../models/save-cross-encoder.js";
import { datasetFromColumns, datasetFromRecords } from "./data.js";
import type { TrainingArguments } from "./trainer-args.js";
import { CrossEncoderTrainer, TrainableCrossEncoder, isCrossEncoderFolder } from "./trainer-cross-encoder.js";
import type { LogRecord } from "./trainer-log.js";

const CE1 = join(FIXTURES, "ce-bert-1label");
const CE3 = join(FIXTURES, "ce-bert-3label");
const words = ["cat", "dog", "bird", "fish", "tree", "car", "sun", "moon"];
/** Separable: the label follows the document's wording. */
const BINARY = datasetFromColumns({
  query: words.flatMap((w) => [`where is the ${w}?`, `where is the ${w}?`]),
  doc: words.flatMap((w) => [`yes, the ${w} is right here.`, `no idea at all, sorry.`]),
  label: words.flatMap(() => [1, 0]),
});
const THREE = datasetFromColumns({
  a: words.flatMap((w) => [`a ${w}`, `a ${w}`, `a ${w}`]),
  b: words.flatMap((w) => [`yes yes ${w}`, `no no no`, `maybe, perhaps`]),
  label: words.flatMap(() => [0, 1, 2]),
});
const FAST: TrainingArguments = { batchSize: 16, lr: 3e-3, maxSteps: 8, warmupRatio: 0, scheduler: "constant", dropout: false, seed: 1 };

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-ce-trainer-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function trainLosses(dir: string, ds: typeof BINARY, args: TrainingArguments = FAST): Promise<{ ce: CrossEncoder; losses: number[] }> {
  const ce = await CrossEncoder.load(dir, { backend: "native" });
  const losses: number[] = [];
  await new CrossEncoderTrainer({ model: ce, sourceDir: dir, trainDataset: ds, args, onLog: (r: LogRecord) => losses.push(r.loss as number) }).train();
  return { ce, losses };
}

describe("CrossEncoderTrainer", () => {
  it("reduces BinaryCrossEntropyLoss on a separable set (1 label)", async () => {
    const { losses } = await trainLosses(CE1, BINARY);
    expect(losses).toHaveLength(8);
    expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) * 0.7);
  });

  it("reduces CrossEntropyLoss on a separable set (3 labels)", async () => {
    const { losses } = await trainLosses(CE3, THREE, { ...FAST, maxSteps: 16 });
    expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) * 0.7);
  });

  it("step 0's loss is the BCE of predict's logits, and the classifier bias moves by one AdamW step", async () => {
    const ce = await CrossEncoder.load(CE1, { backend: "native" });
    const pairs = BINARY.columns[0]?.map((q, i) => [q, BINARY.columns[1]?.[i] as string] as const) ?? [];
    const z = (await ce.logits(pairs)).data;
    const y = BINARY.labels as number[];
    let want = 0;
    let grad = 0;
    z.forEach((x, i) => {
      const yi = y[i] as number;
      want += Math.max(x, 0) - x * yi + Math.log1p(Math.exp(-Math.abs(x)));
      grad += 1 / (1 + Math.exp(-x)) - yi;
    });
    want /= z.length;
    grad /= z.length;
    const model = new TrainableCrossEncoder(ce);
    const bias = model.params.find((p) => p.name === "classifier.bias")?.tensor;
    const before = bias?.data[0] as number;
    const losses: number[] = [];
    const lr = 1e-3;
    const args: TrainingArguments = { batchSize: 16, lr, maxSteps: 1, warmupRatio: 0, scheduler: "constant", dropout: false, shuffle: false, maxGradNorm: 0, weightDecay: 0 };
    await new CrossEncoderTrainer({ model: ce, sourceDir: CE1, trainDataset: BINARY, args, onLog: (r) => losses.push(r.loss as number) }).train();
    expect(Math.abs((losses[0] as number) - want)).toBeLessThan(1e-6);
    // Adam's first step: m̂ = g, v̂ = g², so Δ = -lr · g / (|g| + eps)
    // (float32 parameters: the difference is exact to an ulp of the bias, ~1e-8)
    expect(Math.abs((bias?.data[0] as number) - before - (-lr * grad) / (Math.abs(grad) + 1e-8))).toBeLessThan(1e-7);
  });

  it("saves a folder that CrossEncoder.load reads back with identical logits", async () => {
    const { ce } = await trainLosses(CE1, BINARY, { ...FAST, maxSteps: 2 });
    const out = join(tmp, "saved-1");
    await saveCrossEncoder(ce, out, { sourceDir: CE1 });
    const pairs = [["where is the cat?", "the cat is here."], ["", "empty query"]] as const;
    const back = await CrossEncoder.load(out, { backend: "native" });
    expect(Array.from((await back.logits(pairs)).data)).toEqual(Array.from((await ce.logits(pairs)).data));
    expect(back.defaultActivation).toBe("sigmoid");
    const src = await readSafetensors(join(CE1, "model.safetensors"));
    const saved = await readSafetensors(join(out, "model.safetensors"));
    expect(saved.names().sort()).toEqual(src.names().sort());
    const json = (f: string) => JSON.parse(readFileSync(join(out, f), "utf8")) as Record<string, unknown>;
    expect(json("sentence_bert_config.json")).toMatchObject({ transformer_task: "sequence-classification", max_seq_length: ce.maxLength });
    expect(json("config_sentence_transformers.json")).toMatchObject({ model_type: "CrossEncoder", activation_fn: "torch.nn.modules.activation.Sigmoid" });
    expect(json("config.json")).toMatchObject({ architectures: ["BertForSequenceClassification"], num_labels: 1, id2label: { "0": "LABEL_0" } });
    expect(await isCrossEncoderFolder(out)).toBe(true);
    expect(await isCrossEncoderFolder(join(FIXTURES, "st-bert-mean"))).toBe(false);
  });

  it("saves a 3-label model with its labels and Identity activation", async () => {
    const { ce } = await trainLosses(CE3, THREE, { ...FAST, maxSteps: 1 });
    const out = join(tmp, "saved-3");
    await saveCrossEncoder(ce, out, { sourceDir: CE3 });
    const back = await CrossEncoder.load(out, { backend: "native" });
    expect(back.numLabels).toBe(3);
    expect(back.defaultActivation).toBe("identity");
    expect(Array.from((await back.logits([["a cat", "no cat"]])).data)).toEqual(Array.from((await ce.logits([["a cat", "no cat"]])).data));
  });

  it("resumes from a checkpoint to the same weights as an uninterrupted run", async () => {
    const args: TrainingArguments = { batchSize: 4, lr: 1e-3, maxSteps: 4, seed: 5, checkpointSteps: 2, checkpointDir: join(tmp, "ckpt") };
    const full = await CrossEncoder.load(CE1, { backend: "native" });
    await new CrossEncoderTrainer({ model: full, sourceDir: CE1, trainDataset: BINARY, args }).train();
    const resumed = await CrossEncoder.load(CE1, { backend: "native" });
    await new CrossEncoderTrainer({ model: resumed, sourceDir: CE1, trainDataset: BINARY, args, resumeFrom: join(tmp, "ckpt", "checkpoint-2") }).train();
    expect(Array.from((await resumed.logits([["a", "b"]])).data)).toEqual(Array.from((await full.logits([["a", "b"]])).data));
  });

  it("rejects bad input before training", async () => {
    const ce3 = await CrossEncoder.load(CE3, { backend: "native" });
    const ce1 = await CrossEncoder.load(CE1, { backend: "native" });
    const outOfRange = datasetFromRecords([{ a: "x", b: "y", label: 0 }, { a: "x", b: "z", label: 3 }], "bad.jsonl");
    expect(() => new CrossEncoderTrainer({ model: ce3, sourceDir: CE3, trainDataset: outOfRange })).toThrow(/bad\.jsonl line 2 label 3 is out of range/);
    expect(() => new CrossEncoderTrainer({ model: ce3, sourceDir: CE3, trainDataset: datasetFromRecords([{ a: "x", b: "y", label: 1.5 }]) })).toThrow(/out of range/);
    expect(() => datasetFromRecords([{ a: "x", b: "y", label: 1 }, { a: "x", label: 0 }], "gap.jsonl")).toThrow(/gap\.jsonl line 2 has no column "b"/);
    expect(() => new CrossEncoderTrainer({ model: ce1, sourceDir: CE1, trainDataset: datasetFromRecords([{ a: "x", label: 1 }]) })).toThrow(/needs 2 input columns/);
    expect(() => new CrossEncoderTrainer({ model: ce1, sourceDir: CE1, trainDataset: datasetFromRecords([{ a: "x", b: "y", label: 2 }]) })).toThrow(/must be 0, 1 or a score in \[0, 1\]/);
    expect(() => new CrossEncoderTrainer({ model: ce1, sourceDir: CE1, trainDataset: datasetFromRecords([{ a: "x", b: "y" }]) })).toThrow(/needs labels/);
    expect(() => new CrossEncoderTrainer({ model: ce1, sourceDir: CE1, trainDataset: BINARY, loss: new CrossEntropyLoss() })).toThrow(/2 or more labels/);
    expect(() => new CrossEncoderTrainer({ model: ce3, sourceDir: CE3, trainDataset: THREE, loss: new BinaryCrossEntropyLoss() })).toThrow(/needs a cross-encoder with 1 label/);
    const onnx = await CrossEncoder.load(CE1);
    expect(() => new CrossEncoderTrainer({ model: onnx, sourceDir: CE1, trainDataset: BINARY })).toThrow(/native backend/);
  });
});
