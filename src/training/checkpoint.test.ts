/**
 * Damaged checkpoints: every way a crash, a full disk or a hand edit can break one is refused with
 * the file's path and the reason, and `newestUsableCheckpoint` skips it for the previous one.
 * (The exact resume from the previous checkpoint is in trainer.test.ts.)
 */
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { CosineSimilarityLoss } from "../losses/cosine-similarity.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { readSafetensors, serializeSafetensors, toFloat32Array } from "../io/safetensors.js";
import { listCheckpoints, newestUsableCheckpoint, readTrainerState, verifyCheckpoint } from "./checkpoint.js";
import { datasetFromColumns } from "./data.js";
import { SentenceTransformerTrainer } from "./trainer.js";
import { TrainableSentenceTransformer } from "./trainer-model.js";

const MODEL = join(FIXTURES, "st-bert-mean");
const DATA = datasetFromColumns({ a: ["one", "two", "three", "four"], b: ["uno", "dos", "tres", "cuatro"], score: [1, 0.5, 0.2, 0] });

let tmp: string;
let pristine: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-checkpoint-"));
  pristine = join(tmp, "pristine");
  const model = await SentenceTransformer.load(MODEL, { backend: "native" });
  const args = { batchSize: 2, maxSteps: 2, checkpointSteps: 1, checkpointDir: pristine };
  await new SentenceTransformerTrainer({ model, sourceDir: MODEL, loss: new CosineSimilarityLoss(), trainDataset: DATA, args }).train();
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A fresh copy of the two checkpoints (steps 1 and 2) to damage. */
async function copy(name: string): Promise<{ root: string; newest: string }> {
  const root = join(tmp, name);
  await cp(pristine, root, { recursive: true });
  return { root, newest: join(root, "checkpoint-2") };
}

async function reason(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "no error",
    (e: unknown) => `${(e as { code?: string }).code}: ${(e as Error).message}`,
  );
}

describe("checkpoints: verification", () => {
  it("records every file's size, and a whole checkpoint verifies", async () => {
    const { newest } = await copy("whole");
    const state = await readTrainerState(newest);
    expect(state.globalStep).toBe(2);
    expect(Object.keys(state.files ?? {})).toEqual(expect.arrayContaining(["model/model.safetensors", "model/config.json", "model/modules.json", "optimizer.safetensors"]));
    expect(Object.keys(state.files ?? {})).not.toContain("trainer_state.json");
    await expect(verifyCheckpoint(newest)).resolves.toBeUndefined();
  });

  it("names the file and the reason for each kind of damage", async () => {
    const { newest } = await copy("damaged");
    const state = join(newest, "trainer_state.json");
    const text = await readFile(state, "utf8");
    await writeFile(state, text.slice(0, 40));
    const cut = await reason(readTrainerState(newest));
    expect(cut.startsWith(`INVALID_MODEL_FILE: ${state} is not valid JSON (`)).toBe(true);
    expect(cut).toMatch(/; 40 characters\); the checkpoint is damaged$/);
    await writeFile(state, text.replace(/"globalStep": 2/, '"globalStep": "2"'));
    expect(await reason(readTrainerState(newest))).toMatch(/trainer_state\.json: "globalStep" must be a whole number ≥ 0, got "2"; the checkpoint is damaged$/);
    await writeFile(state, text.replace(/"rng": \[/, '"rng": [-1, '));
    expect(await reason(readTrainerState(newest))).toMatch(/"rng" must be 4 unsigned 32-bit integers/);
    await writeFile(state, text);
    await rm(join(newest, "optimizer.safetensors"));
    expect(await reason(verifyCheckpoint(newest))).toMatch(/^INVALID_MODEL_FILE: .*optimizer\.safetensors is missing; the checkpoint .*checkpoint-2 is incomplete$/);
    await rm(state);
    expect(await reason(verifyCheckpoint(newest))).toMatch(/^FILE_NOT_FOUND: .*checkpoint-2 is not a checkpoint: it has no trainer_state\.json$/);
  });

  it("skips damaged checkpoints for the newest good one, and refuses a folder where none is good", async () => {
    const { root, newest } = await copy("skip");
    await truncate(join(newest, "optimizer.safetensors"), 100);
    const skipped: string[] = [];
    expect(await newestUsableCheckpoint(root, (d, why) => skipped.push(`${d}: ${why}`))).toBe(join(root, "checkpoint-1"));
    expect(skipped).toEqual([expect.stringMatching(/checkpoint-2: .*optimizer\.safetensors has 100 bytes, the checkpoint recorded \d+; the file was cut short or changed/)]);
    await writeFile(join(root, "checkpoint-1", "trainer_state.json"), "");
    expect(await reason(newestUsableCheckpoint(root))).toMatch(/^INVALID_MODEL_FILE: no checkpoint in .*skip can be resumed \(.*optimizer\.safetensors has 100 bytes.*; .*checkpoint-1[/\\]trainer_state\.json is not valid JSON.*\); remove them, or start over without resume$/);
    expect((await listCheckpoints(root)).length).toBe(2); // nothing is deleted
    await expect(newestUsableCheckpoint(join(tmp, "no-such-folder"))).resolves.toBeUndefined();
  });

  it("refuses a damaged trainer_state.json on an explicit resume with the same message", async () => {
    const { newest } = await copy("explicit");
    await writeFile(join(newest, "trainer_state.json"), "{\"format\": \"sbert-ts-checkpoint/1\", \"globalStep\": 2, \"epo");
    const model = await SentenceTransformer.load(MODEL, { backend: "native" });
    const t = new SentenceTransformerTrainer({ model, sourceDir: MODEL, loss: new CosineSimilarityLoss(), trainDataset: DATA, resumeFrom: newest, args: { batchSize: 2, maxSteps: 2 } });
    expect(await reason(t.train())).toMatch(/^INVALID_MODEL_FILE: .*checkpoint-2[/\\]trainer_state\.json is not valid JSON \(.*\); the checkpoint is damaged$/);
  });
});

describe("checkpoints: parameter names", () => {
  it("resumes a checkpoint that names a Dense module's weights the old way (2.linear.weight) exactly", async () => {
    const dir = join(FIXTURES, "st-bert-cls-dense-normalize");
    const run = async (root: string, resumeFrom?: string) => {
      const model = await SentenceTransformer.load(dir, { backend: "native" });
      const args = { batchSize: 2, maxSteps: 2, checkpointSteps: 1, checkpointDir: root, seed: 7 };
      await new SentenceTransformerTrainer({ model, sourceDir: dir, loss: new CosineSimilarityLoss(), trainDataset: DATA, args, ...(resumeFrom ? { resumeFrom } : {}) }).train();
      return new TrainableSentenceTransformer(model).snapshot();
    };
    const full = await run(join(tmp, "dense-full"));
    // rewrite checkpoint-1 as older versions wrote it: moments and step counts under "<idx>.linear.*"
    const old = join(tmp, "dense-old");
    await cp(join(tmp, "dense-full"), old, { recursive: true });
    const ckpt = join(old, "checkpoint-1");
    const legacy = (n: string) => n.replace(/(\d+)_Dense\/(linear\.)/, "$1.$2");
    const opt = await readSafetensors(join(ckpt, "optimizer.safetensors"));
    expect(opt.names()).toContain("exp_avg.2_Dense/linear.weight");
    const renamed = new Map(opt.names().map((n) => [legacy(n), { shape: [...opt.info(n).shape], data: toFloat32Array(opt.get(n)) }] as const));
    const bytes = serializeSafetensors(renamed, { format: "pt" });
    await writeFile(join(ckpt, "optimizer.safetensors"), bytes);
    const state = JSON.parse(await readFile(join(ckpt, "trainer_state.json"), "utf8")) as { optimizer: { steps: Record<string, number> }; files: Record<string, number> };
    state.optimizer.steps = Object.fromEntries(Object.entries(state.optimizer.steps).map(([k, v]) => [legacy(k), v]));
    state.files["optimizer.safetensors"] = bytes.length;
    expect(Object.keys(state.optimizer.steps)).toContain("2.linear.weight");
    await writeFile(join(ckpt, "trainer_state.json"), JSON.stringify(state));
    await rm(join(old, "checkpoint-2"), { recursive: true });
    expect(await run(old, ckpt)).toEqual(full);
  });
});
