/**
 * Training checkpoints: everything an exact resume needs, written atomically (a temporary folder
 * renamed to `checkpoint-<step>`), so a run killed at any moment leaves only whole checkpoints.
 *
 *   checkpoint-<step>/
 *     model/                 the model as a loadable sentence-transformers (or cross-encoder) folder
 *     loss.safetensors       the loss's own parameters (SoftmaxLoss's classifier), when it has any
 *     optimizer.safetensors  AdamW moments: exp_avg.<param>, exp_avg_sq.<param>
 *     trainer_state.json     step, data position (epoch, batch), RNG state, scheduler step, best
 *                            metric, per-parameter Adam step counts, the run's fingerprint, and
 *                            the size of every other file (written last, flushed to disk)
 *
 * `newestUsableCheckpoint` picks the checkpoint to resume from: the newest that verifies (its
 * state parses and every file has the size recorded), skipping damaged ones with the reason.
 */
import { lstat, mkdir, open, readFile, readdir, rm } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { SbertError } from "../errors.js";
import { jsonSyntaxDetail } from "../io/json-syntax.js";
import { readSafetensors, toFloat32Array, type WritableTensor, writeSafetensors } from "../io/safetensors.js";
import { writeFully } from "../io/write-fully.js";
import { writeFolderAtomically } from "../models/save-atomic.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
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

/** trainer_state.json as stored: the state, the optimizer's scalars and the other files' sizes. */
interface StoredState extends TrainerState {
  optimizer: { lrs: number[]; steps: Record<string, number> };
  /** Byte size of every other file of the checkpoint, by path relative to it (`/`-separated); absent in older checkpoints. */
  files?: Record<string, number>;
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

/** The newest checkpoint folder under `root`, if any (whether or not it verifies). */
export async function latestCheckpoint(root: string): Promise<string | undefined> {
  return (await listCheckpoints(root)).at(-1)?.path;
}

/**
 * The newest checkpoint under `root` that `verifyCheckpoint` accepts; `onSkip` hears of every newer
 * one that does not, and why. Undefined when `root` holds no checkpoint; an INVALID_MODEL_FILE
 * error listing every reason when it holds some and none verifies.
 *
 * @example
 * const resumeFrom = await newestUsableCheckpoint("out-checkpoints", (dir, why) => console.warn(`skipping ${dir}: ${why}`));
 */
export async function newestUsableCheckpoint(root: string, onSkip?: (dir: string, reason: string) => void): Promise<string | undefined> {
  const all = (await listCheckpoints(root)).reverse();
  const reasons: string[] = [];
  for (const { path } of all) {
    try {
      await verifyCheckpoint(path);
      return path;
    } catch (e) {
      if (!(e instanceof SbertError)) throw e;
      reasons.push(e.message);
      onSkip?.(path, e.message);
    }
  }
  if (all.length === 0) return undefined;
  throw new SbertError("INVALID_MODEL_FILE", `no checkpoint in ${root} can be resumed (${reasons.join("; ")}); remove them, or start over without resume`);
}

/**
 * Checks that `dir` is a whole checkpoint without loading it: trainer_state.json parses and holds
 * a valid state, and every file it lists exists with the size recorded at write time (checkpoints
 * from before the size list need model/model.safetensors and optimizer.safetensors). Throws an
 * error naming the file and what is wrong.
 */
export async function verifyCheckpoint(dir: string): Promise<void> {
  const state = await readTrainerState(dir);
  const expected = state.files ?? { "model/model.safetensors": -1, "optimizer.safetensors": -1 };
  for (const [name, size] of Object.entries(expected)) {
    const path = join(dir, ...name.split("/"));
    const st = await lstat(path).catch(() => undefined);
    if (!st?.isFile()) throw new SbertError("INVALID_MODEL_FILE", `${path} is missing; the checkpoint ${dir} is incomplete`);
    if (size >= 0 && st.size !== size) {
      throw new SbertError("INVALID_MODEL_FILE", `${path} has ${st.size} bytes, the checkpoint recorded ${size}; the file was cut short or changed after ${dir} was written`);
    }
  }
}

/**
 * Reads `dir/trainer_state.json`, refusing a missing file, a file that is not JSON (e.g. cut short
 * by a full disk) or a state with missing or mistyped fields, with the file's path and the reason.
 */
export async function readTrainerState(dir: string): Promise<StoredState> {
  const path = join(dir, "trainer_state.json");
  const text = await readFile(path, "utf8").catch((e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new SbertError("FILE_NOT_FOUND", `${dir} is not a checkpoint: it has no trainer_state.json`);
    throw new SbertError("INVALID_MODEL_FILE", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SbertError("INVALID_MODEL_FILE", `${path} is not valid JSON (${jsonSyntaxDetail(e)}; ${text.length} characters); the checkpoint is damaged`);
  }
  const bad = (what: string) => new SbertError("INVALID_MODEL_FILE", `${path}: ${what}; the checkpoint is damaged`);
  if (!isObject(raw)) throw bad("the file does not hold a JSON object");
  if (raw["format"] !== CHECKPOINT_FORMAT) throw new SbertError("UNSUPPORTED_FORMAT", `${dir} was written by another checkpoint format (${String(raw["format"])})`);
  for (const k of ["globalStep", "epoch", "batchInEpoch"]) if (!isCount(raw[k])) throw bad(`"${k}" must be a whole number ≥ 0, got ${JSON.stringify(raw[k])}`);
  const rng = raw["rng"];
  if (!Array.isArray(rng) || rng.length !== 4 || !rng.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) throw bad(`"rng" must be 4 unsigned 32-bit integers`);
  const best = raw["best"];
  if (best !== null && !(isObject(best) && isCount(best["step"]) && typeof best["metric"] === "string" && typeof best["value"] === "number")) throw bad(`"best" must be null or { step, metric, value }`);
  if (!isObject(raw["fingerprint"])) throw bad(`"fingerprint" must be an object`);
  const opt = raw["optimizer"];
  if (!isObject(opt) || !Array.isArray(opt["lrs"]) || !opt["lrs"].every((v) => typeof v === "number") || !isObject(opt["steps"]) || !Object.values(opt["steps"]).every(isCount)) {
    throw bad(`"optimizer" must be { lrs: number[], steps: { <parameter>: number } }`);
  }
  const files = raw["files"];
  if (files !== undefined && !(isObject(files) && Object.values(files).every(isCount))) throw bad(`"files" must map file names to byte sizes`);
  return raw as unknown as StoredState;
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
    moments.set(`exp_avg.${name}`, { shape: [st.expAvg.length], data: st.expAvg });
    moments.set(`exp_avg_sq.${name}`, { shape: [st.expAvgSq.length], data: st.expAvgSq });
  });
  await writeFolderAtomically(
    dir,
    async (tmp) => {
      const modelDir = join(tmp, "model");
      await mkdir(modelDir);
      await parts.model.writeFolder(modelDir, parts.sourceDir);
      if (parts.lossParams.length > 0) await writeSafetensors(join(tmp, "loss.safetensors"), paramMap(parts.lossParams), { format: "pt" });
      await writeSafetensors(join(tmp, "optimizer.safetensors"), moments, { format: "pt" });
      const stored: StoredState = { ...state, optimizer: { lrs: opt.lrs, steps }, files: await fileSizes(tmp) };
      await writeFlushed(join(tmp, "trainer_state.json"), `${JSON.stringify(stored, null, 1)}\n`);
    },
    { overwrite: true },
  );
  return dir;
}

/** Restores a checkpoint in place (model and loss weights, optimizer) and returns its trainer state. */
export async function loadCheckpoint(dir: string, parts: CheckpointParts): Promise<TrainerState> {
  const raw = await readTrainerState(dir);
  await parts.model.loadWeights(join(dir, "model"));
  if (parts.lossParams.length > 0) {
    const file = await readSafetensors(join(dir, "loss.safetensors"));
    for (const p of parts.lossParams) copyInto(p, file.has(p.name) ? toFloat32Array(file.get(p.name)) : undefined, dir);
  }
  const moments = await readSafetensors(join(dir, "optimizer.safetensors"));
  const state: AdamWState = {
    lrs: raw.optimizer.lrs,
    params: parts.optimizerNames.map((current) => {
      const name = current in raw.optimizer.steps ? current : legacyParameterName(current);
      const step = raw.optimizer.steps[name];
      if (step === undefined) return null;
      return { step, expAvg: toFloat32Array(moments.get(`exp_avg.${name}`)), expAvgSq: toFloat32Array(moments.get(`exp_avg_sq.${name}`)) };
    }),
  };
  parts.optimizer.loadStateDict(state);
  const { optimizer: _optimizer, files: _files, ...trainerState } = raw;
  return trainerState;
}

/**
 * The name checkpoints written before parameter names were `<module folder>/<key>` used for a Dense
 * module's weights (`2.linear.weight` for `2_Dense/linear.weight`), so those checkpoints still resume.
 */
function legacyParameterName(name: string): string {
  return name.replace(/^(\d+)_Dense\/(linear\.(?:weight|bias))$/, "$1.$2");
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

/** Every file under `dir` (recursively) with its byte size, by `/`-separated relative path. */
async function fileSizes(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[relative(dir, p).split(sep).join("/")] = (await lstat(p)).size;
    }
  };
  await walk(dir);
  return out;
}

/** Writes `text` completely and flushes it to disk before returning. */
async function writeFlushed(path: string, text: string): Promise<void> {
  const fh = await open(path, "wx");
  try {
    await writeFully(fh, text, path);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): boolean {
  return Number.isInteger(x) && (x as number) >= 0;
}

function paramMap(params: readonly NamedParameter[]): Map<string, WritableTensor> {
  return new Map(params.map((p) => [p.name, { shape: [...p.tensor.shape], data: p.tensor.data }]));
}

function copyInto(p: NamedParameter, src: Float32Array | undefined, dir: string): void {
  if (!src || src.length !== p.tensor.size) throw new SbertError("INVALID_MODEL_FILE", `${dir}/loss.safetensors has no matching "${p.name}"; the checkpoint is from another loss`);
  p.tensor.data.set(src);
}
