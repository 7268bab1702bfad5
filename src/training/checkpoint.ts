/**
 * Training checkpoints: everything an exact resume needs, written atomically (a temporary folder
 * renamed to `checkpoint-<step>`), so a run killed at any moment leaves only whole checkpoints.
 *
 *   checkpoint-<step>/
 *     model/                 the model as a loadable sentence-transformers (or cross-encoder) folder
 *     loss.safetensors       the loss's own parameters (SoftmaxLoss's classifier), when it has any
 *     optimizer.safetensors  AdamW moments: exp_avg.<param>, exp_avg_sq.<param>
 *     trainer_state.json     step, data position (epoch, batch), RNG state, scheduler step, best
 *                            metric, per-parameter Adam step counts, and the run's fingerprint
 */
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { readSafetensors, toFloat32Array, type WritableTensor, writeSafetensors } from "../io/safetensors.js";
import { writeFolderAtomically } from "../models/save-atomic.js";
import type { NamedParameter } from "./parameters.js";
import type { AdamW, AdamWState } from "./optim/adamw.js";
import type { TrainableModel } from "./trainer-model.js";

export const CHECKPOINT_FORMAT = "sbert-ts-checkpoint/1";

/** The best evaluation so far (keep-best). */
export interface BestMetric {
  step: number;
  metric: string;
  value: number;
}

/** trainer_state.json. */
export interface TrainerState {
  format: typeof CHECKPOINT_FORMAT;
  /** Optimizer steps taken. */
  globalStep: number;
  /** Epoch the next batch comes from, and its index in that epoch's batch list. */
  epoch: number;
  batchInEpoch: number;
  /** `Rng.state()` of the dropout generator. */
  rng: number[];
  best: BestMetric | null;
  /** The settings that must match for a resume (loss, data, batch size, schedule, seed, ...). */
  fingerprint: Record<string, unknown>;
}

/** What a checkpoint saves and restores. */
export interface CheckpointParts {
  model: TrainableModel;
  sourceDir: string;
  lossParams: readonly NamedParameter[];
  optimizer: AdamW;
  /** Parameter names in the optimizer's group order. */
  optimizerNames: readonly string[];
}

/** `checkpoint-<step>` folders under `root`, oldest first. */
export async function listCheckpoints(root: string): Promise<{ step: number; path: string }[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  return names
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), path: join(root, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

/** The newest complete checkpoint under `root`, if any. */
export async function latestCheckpoint(root: string): Promise<string | undefined> {
  return (await listCheckpoints(root)).at(-1)?.path;
}

/** Writes `root/checkpoint-<state.globalStep>` atomically and returns its path. */
export async function saveCheckpoint(root: string, parts: CheckpointParts, state: TrainerState): Promise<string> {
  const dir = join(root, `checkpoint-${state.globalStep}`);
  const opt = parts.optimizer.stateDict();
  const moments = new Map<string, WritableTensor>();
  const steps: Record<string, number> = {};
  opt.params.forEach((st, i) => {
    const name = parts.optimizerNames[i] as string;
    if (!st) return;
    steps[name] = st.step;
    moments.set(`exp_avg.${name}`, { shape: [st.expAvg.length], data: Float32Array.from(st.expAvg) });
    moments.set(`exp_avg_sq.${name}`, { shape: [st.expAvgSq.length], data: Float32Array.from(st.expAvgSq) });
  });
  await writeFolderAtomically(
    dir,
    async (tmp) => {
      const modelDir = join(tmp, "model");
      await mkdir(modelDir);
      await parts.model.writeFolder(modelDir, parts.sourceDir);
      if (parts.lossParams.length > 0) await writeSafetensors(join(tmp, "loss.safetensors"), paramMap(parts.lossParams), { format: "pt" });
      await writeSafetensors(join(tmp, "optimizer.safetensors"), moments, { format: "pt" });
      await writeFile(join(tmp, "trainer_state.json"), `${JSON.stringify({ ...state, optimizer: { lrs: opt.lrs, steps } }, null, 1)}\n`);
    },
    { overwrite: true },
  );
  return dir;
}

/** Restores a checkpoint in place (model and loss weights, optimizer) and returns its trainer state. */
export async function loadCheckpoint(dir: string, parts: CheckpointParts): Promise<TrainerState> {
  const raw = JSON.parse(await readFile(join(dir, "trainer_state.json"), "utf8").catch((e: unknown) => {
    throw new SbertError("FILE_NOT_FOUND", `${dir} is not a checkpoint (no trainer_state.json): ${(e as Error).message}`);
  })) as TrainerState & { optimizer: { lrs: number[]; steps: Record<string, number> } };
  if (raw.format !== CHECKPOINT_FORMAT) throw new SbertError("UNSUPPORTED_FORMAT", `${dir} was written by another checkpoint format (${String(raw.format)})`);
  await parts.model.loadWeights(join(dir, "model"));
  if (parts.lossParams.length > 0) {
    const file = await readSafetensors(join(dir, "loss.safetensors"));
    for (const p of parts.lossParams) copyInto(p, file.has(p.name) ? toFloat32Array(file.get(p.name)) : undefined, dir);
  }
  const moments = await readSafetensors(join(dir, "optimizer.safetensors"));
  const state: AdamWState = {
    lrs: raw.optimizer.lrs,
    params: parts.optimizerNames.map((name) => {
      const step = raw.optimizer.steps[name];
      if (step === undefined) return null;
      return { step, expAvg: Array.from(toFloat32Array(moments.get(`exp_avg.${name}`))), expAvgSq: Array.from(toFloat32Array(moments.get(`exp_avg_sq.${name}`))) };
    }),
  };
  parts.optimizer.loadStateDict(state);
  const { optimizer: _optimizer, ...trainerState } = raw;
  return trainerState;
}

/** Deletes all but the newest `keep` checkpoints under `root`. */
export async function pruneCheckpoints(root: string, keep: number): Promise<void> {
  const all = await listCheckpoints(root);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) await rm(c.path, { recursive: true, force: true });
}

/** Removes temporary folders that a killed run left behind. */
export async function removeStaleTemporaries(root: string): Promise<void> {
  for (const n of await readdir(root).catch(() => [] as string[])) {
    if (/^\.(checkpoint-\d+|best)\.(tmp|old)-/.test(n)) await rm(join(root, n), { recursive: true, force: true });
  }
}

function paramMap(params: readonly NamedParameter[]): Map<string, WritableTensor> {
  return new Map(params.map((p) => [p.name, { shape: [...p.tensor.shape], data: p.tensor.data }]));
}

function copyInto(p: NamedParameter, src: Float32Array | undefined, dir: string): void {
  if (!src || src.length !== p.tensor.size) throw new SbertError("INVALID_MODEL_FILE", `${dir}/loss.safetensors has no matching "${p.name}"; the checkpoint is from another loss`);
  p.tensor.data.set(src);
}
