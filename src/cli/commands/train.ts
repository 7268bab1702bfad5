import { readdir, rm } from "node:fs/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { SbertError } from "../../errors.js";
import { BinaryClassificationEvaluator } from "../../evaluation/binary-classification.js";
import { EmbeddingSimilarityEvaluator } from "../../evaluation/embedding-similarity.js";
import type { Evaluator, SentenceEncoder } from "../../evaluation/evaluator.js";
import { readSafetensors, toFloat32Array } from "../../io/safetensors.js";
import type { EmbeddingLoss } from "../../losses/loss.js";
import { EMBEDDING_LOSS_NAMES, LOGITS_LOSS_NAMES, createEmbeddingLoss, createLogitsLoss } from "../../losses/registry.js";
import { CrossEncoderClassificationEvaluator } from "../../evaluation/cross-encoder-classification.js";
import { CrossEncoder } from "../../models/cross-encoder.js";
import { saveCrossEncoder } from "../../models/save-cross-encoder.js";
import { CrossEncoderTrainer, isCrossEncoderFolder } from "../../training/trainer-cross-encoder.js";
import type { TrainingArguments } from "../../training/trainer-args.js";
import type { TrainResult } from "../../training/trainer.js";
import { checkOutputFolder } from "../../models/save-atomic.js";
import { saveSentenceTransformer } from "../../models/save.js";
import { Rng } from "../../tensor/random.js";
import { latestCheckpoint, newestUsableCheckpoint } from "../../training/checkpoint.js";
import type { TrainingDataset } from "../../training/data.js";
import { DATASET_FORMATS, type DatasetFormat, readDataset } from "../../training/data-readers.js";
import { BATCH_SAMPLERS, type BatchSamplerName } from "../../training/data-sampler.js";
import type { ScheduleName } from "../../training/schedules.js";
import { SentenceTransformerTrainer } from "../../training/trainer.js";
import { wantsProgressBar } from "../../progress.js";
import { SentenceTransformer } from "../../models/sentence-transformer.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { resolveCliModelDir } from "../model.js";
import { parseFiniteNumber, parsePositiveInt, withModelSourceOptions } from "../options.js";

interface TrainCliOptions {
  model: string;
  threads?: number;
  revision?: string;
  train: string;
  eval?: string;
  format?: DatasetFormat;
  loss: string;
  numLabels?: number;
  batchSize: number;
  lr: number;
  epochs?: number;
  maxSteps?: number;
  warmupRatio: number;
  weightDecay: number;
  scheduler: ScheduleName;
  maxGradNorm: number;
  decayAll?: boolean;
  seed: number;
  shuffle: boolean;
  lossInit?: string;
  output: string;
  log?: string;
  overwrite?: boolean;
  resume?: boolean;
  evalSteps?: number;
  checkpointSteps?: number;
  checkpointDir?: string;
  saveTotalLimit: number;
  keepBest?: boolean;
  evaluator: "auto" | "sts" | "binary" | "none";
  batchSampler?: BatchSamplerName;
  maxSeqLength?: number;
  dropout: boolean;
  innerLoss?: string;
  matryoshkaDims?: number[];
}

const nonNegative = (v: string): number => {
  const n = parseFiniteNumber(v);
  if (n < 0) throw new InvalidArgumentError("Expected a number ≥ 0.");
  return n;
};
const ratio = (v: string): number => {
  const n = parseFiniteNumber(v);
  if (n < 0 || n > 1) throw new InvalidArgumentError("Expected a number in [0, 1].");
  return n;
};
const integer = (v: string): number => {
  const n = Number(v);
  if (!/^[+-]?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("Expected an integer.");
  return n;
};

function parseDims(v: string): number[] {
  const dims = v.split(",").map((d) => parsePositiveInt(d));
  if (dims.length === 0) throw new InvalidArgumentError("Expected a comma-separated list of sizes such as 768,512,256.");
  return dims;
}

const TRAIN_HELP = `
Data files (UTF-8, a header row / object keys name the columns): .jsonl (one JSON object per line),
.csv (RFC 4180 quoting) or .tsv (split on TAB only). The column "label" (else "score") holds the
labels; every other column is an input text, in column order — e.g. sentence1, sentence2, label for
SoftmaxLoss (integer classes 0..N-1), score for CosineSimilarityLoss, anchor, positive[, negative...]
without a label for MultipleNegativesRankingLoss.

The log (--log) is JSON Lines, one record per optimizer step: {"step", "epoch", "loss",
"learning_rate", "grad_norm"} (steps count from 1; loss is the one computed before that step's
update), plus the "eval_*" metrics on steps that end with an evaluation. A JSON summary of the run
(steps, train_loss, runtime, pairs/s, best evaluation) goes to standard output.

Checkpoints (--checkpoint-steps N) go to --checkpoint-dir (default <output>-checkpoints), each
written atomically; --resume continues from the newest intact one (a damaged one is skipped, with
the reason) with the same options and data, and ends with the same weights as an uninterrupted run.

Cross-encoders: when --model is a cross-encoder folder (transformer_task sequence-classification) or
--loss is BinaryCrossEntropyLoss or CrossEntropyLoss, the data has two text columns and a label
(0/1 or a score in [0, 1] for BinaryCrossEntropyLoss, a class id for CrossEntropyLoss), the encoder and
its classifier are trained, --eval also reports CrossEncoderClassificationEvaluator's metrics (when
its labels are class ids), and the output is a cross-encoder folder that CrossEncoder loads.

Example: sbert train --model base --train nli.tsv --loss SoftmaxLoss --num-labels 3 --output out`;

/** `sbert train`: fine-tune a SentenceTransformer and save it as a sentence-transformers folder. */
export function registerTrain(program: Command, io: CliIo): void {
  const cmd = program.command("train").summary("fine-tune a SentenceTransformer on a dataset and save it").description(
    "Fine-tune a SentenceTransformer model with a loss named as in Python (SoftmaxLoss, CosineSimilarityLoss, " +
      "MultipleNegativesRankingLoss, ...), AdamW and a learning-rate schedule, then save it as a sentence-transformers folder.",
  );
  withModelSourceOptions(cmd)
    .requiredOption("--train <file>", "training data (.jsonl, .csv or .tsv)")
    .option("--eval <file>", "evaluation data in the same format: eval loss, and an evaluator (see --evaluator)")
    .addOption(new Option("--format <format>", "data file format (default: from the extension)").choices(DATASET_FORMATS))
    .requiredOption("--loss <name>", `loss class name: ${EMBEDDING_LOSS_NAMES.join(", ")}; cross-encoders: ${LOGITS_LOSS_NAMES.join(", ")}`)
    .addOption(new Option("--num-labels <n>", "classes of SoftmaxLoss (default: largest label + 1)").argParser(parsePositiveInt))
    .option("--inner-loss <name>", "MatryoshkaLoss: the loss it wraps (e.g. MultipleNegativesRankingLoss)")
    .addOption(new Option("--matryoshka-dims <list>", "MatryoshkaLoss: embedding sizes, e.g. 768,512,256,128,64").argParser(parseDims))
    .addOption(new Option("-b, --batch-size <n>", "rows per optimizer step").argParser(parsePositiveInt).default(16))
    .addOption(new Option("--lr <x>", "peak learning rate").argParser(nonNegative).default(2e-5))
    .addOption(new Option("--epochs <n>", "passes over the training data (default 1)").argParser(parsePositiveInt).conflicts("maxSteps"))
    .addOption(new Option("--max-steps <n>", "stop after n optimizer steps").argParser(parsePositiveInt))
    .addOption(new Option("--warmup-ratio <r>", "fraction of the steps warming the learning rate up from 0").argParser(ratio).default(0.1))
    .addOption(new Option("--weight-decay <w>", "AdamW decoupled weight decay (not on biases and LayerNorm weights unless --decay-all)").argParser(nonNegative).default(0.01))
    .addOption(new Option("--scheduler <name>", "learning-rate schedule after warmup").choices(["constant", "constant_with_warmup", "linear", "cosine"]).default("linear"))
    .addOption(new Option("--max-grad-norm <g>", "clip the global gradient norm to g; 0 = off").argParser(nonNegative).default(1))
    .option("--decay-all", "apply weight decay to every parameter, as torch.optim.AdamW(model.parameters())")
    .addOption(new Option("--seed <s>", "seed of the row order and dropout").argParser(integer).default(42))
    .addOption(new Option("--threads <n>", "threads of the native kernels (matrix products, row-wise ops, AdamW), 1 to 64; the numbers do not depend on it (default: SBERT_GEMM_THREADS or 1)").argParser(threadCount))
    .option("--no-shuffle", "keep the file's row order (every epoch)")
    .option("--loss-init <file>", "safetensors file with the loss's own initial parameters (SoftmaxLoss: classifier.weight, classifier.bias)")
    .requiredOption("-o, --output <dir>", "folder for the trained model (must not exist or be empty, unless --overwrite)")
    .option("--log <file>", "JSON Lines training log")
    .option("--overwrite", "replace a non-empty --output folder (and earlier checkpoints)")
    .option("--resume", "continue from the newest checkpoint in --checkpoint-dir (start fresh if there is none)")
    .addOption(new Option("--eval-steps <n>", "evaluate every n steps (and after the last)").argParser(parsePositiveInt))
    .addOption(new Option("--checkpoint-steps <n>", "write a checkpoint every n steps").argParser(parsePositiveInt))
    .option("--checkpoint-dir <dir>", "checkpoint folder (default <output>-checkpoints)")
    .addOption(new Option("--save-total-limit <n>", "checkpoints kept (the newest)").argParser(parsePositiveInt).default(2))
    .option("--keep-best", "end with (and save) the weights of the best evaluation")
    .addOption(new Option("--evaluator <kind>", "what --eval measures besides the loss: sts (Spearman of cosine vs score), binary (0/1 labels); cross-encoders: auto = CrossEncoderClassificationEvaluator").choices(["auto", "sts", "binary", "none"]).default("auto"))
    .addOption(new Option("--batch-sampler <name>", "default: no_duplicates for MultipleNegativesRankingLoss, else batch_sampler").choices(BATCH_SAMPLERS))
    .addOption(new Option("--max-seq-length <n>", "truncate inputs to n tokens (default: the model's)").argParser(parsePositiveInt))
    .option("--no-dropout", "train without dropout (default: dropout as config.json sets it)")
    .addHelpText("after", TRAIN_HELP)
    .action(async (opts: TrainCliOptions) => train(opts, io));
}

async function train(opts: TrainCliOptions, io: CliIo): Promise<void> {
  await checkOutputFolder(opts.output, opts.overwrite ? { overwrite: true } : {});
  const checkpointDir = opts.checkpointDir ?? (opts.checkpointSteps !== undefined || opts.resume ? `${opts.output.replace(/[\\/]+$/, "")}-checkpoints` : undefined);
  const skipped = (dir: string, why: string) => io.stderr.write(`sbert: skipping ${dir}: ${why}\n`);
  const resumeFrom = checkpointDir && opts.resume ? await newestUsableCheckpoint(checkpointDir, skipped) : undefined;
  if (checkpointDir && !opts.resume && (await latestCheckpoint(checkpointDir))) {
    if (!opts.overwrite) throw new UsageError(`the checkpoint folder "${checkpointDir}" holds checkpoints of an earlier run; pass --resume to continue it or --overwrite to start over`);
    for (const n of await readdir(checkpointDir)) if (/^checkpoint-\d+$|^best$/.test(n)) await rm(`${checkpointDir}/${n}`, { recursive: true, force: true });
  }
  const trainDs = await readDataset(opts.train, opts.format);
  const evalDs = opts.eval ? await readDataset(opts.eval, opts.format) : undefined;
  const sourceDir = await resolveSourceDir(opts.model, opts.revision, io);
  const progress = wantsProgressBar(io.stderr as { isTTY?: boolean }, io.env) ? io.stderr : undefined;
  const common = {
    sourceDir,
    trainDataset: trainDs,
    ...(evalDs ? { evalDataset: evalDs } : {}),
    ...(opts.log ? { logFile: opts.log } : {}),
    ...(progress ? { progress } : {}),
    ...(resumeFrom ? { resumeFrom } : {}),
    args: trainingArguments(opts, checkpointDir),
  };
  const crossEncoderLoss = (LOGITS_LOSS_NAMES as readonly string[]).includes(opts.loss);
  if (crossEncoderLoss || (await isCrossEncoderFolder(sourceDir))) {
    if (!crossEncoderLoss) throw new UsageError(`"${opts.model}" is a cross-encoder; train it with --loss ${LOGITS_LOSS_NAMES.join(" or ")} (${opts.loss} is a bi-encoder loss)`);
    for (const [flag, set] of [["--loss-init", opts.lossInit], ["--inner-loss", opts.innerLoss], ["--matryoshka-dims", opts.matryoshkaDims]] as const) {
      if (set !== undefined) throw new UsageError(`${flag} does not apply to cross-encoder training`);
    }
    const model = await loadModel(opts.model, () => CrossEncoder.load(sourceDir, { backend: "native" }));
    if (opts.maxSeqLength !== undefined) setMaxSeqLength(model.transformer, opts.maxSeqLength);
    if (opts.numLabels !== undefined && opts.numLabels !== model.numLabels) throw new UsageError(`--num-labels ${opts.numLabels} disagrees with the cross-encoder's ${model.numLabels} labels`);
    const evaluator = evalDs ? crossEncoderEvaluator(evalDs, opts.evaluator) : undefined;
    if (resumeFrom) io.stderr.write(`sbert: resuming from ${resumeFrom}\n`);
    const trainer = new CrossEncoderTrainer({ ...common, model, loss: createLogitsLoss(opts.loss), ...(evaluator ? { evaluator } : {}) });
    const result = await trainer.train();
    await saveCrossEncoder(model, opts.output, { sourceDir, ...(opts.overwrite ? { overwrite: true } : {}) });
    writeSummary(io, opts.output, result);
    return;
  }
  const model = await loadModel(opts.model, () => SentenceTransformer.load(sourceDir, { backend: "native" }));
  if (opts.maxSeqLength !== undefined) setMaxSeqLength(model.transformer, opts.maxSeqLength);
  const loss = createEmbeddingLoss(opts.loss, {
    embeddingDimension: model.getSentenceEmbeddingDimension(),
    rng: new Rng(opts.seed + 1),
    ...numLabelsOption(opts.numLabels ?? inferNumLabels(trainDs, opts.innerLoss ?? opts.loss, io)),
    ...(opts.innerLoss !== undefined ? { innerLoss: opts.innerLoss } : {}),
    ...(opts.matryoshkaDims !== undefined ? { matryoshkaDims: opts.matryoshkaDims } : {}),
  });
  if (opts.lossInit) await initLoss(loss, opts.lossInit, io);
  const evaluator = evalDs ? chooseEvaluator(evalDs, opts.evaluator, loss) : undefined;
  if (resumeFrom) io.stderr.write(`sbert: resuming from ${resumeFrom}\n`);
  const trainer = new SentenceTransformerTrainer({ ...common, model, loss, ...(evaluator ? { evaluator } : {}) });
  const result = await trainer.train();
  await saveSentenceTransformer(model, opts.output, { sourceDir, ...(opts.overwrite ? { overwrite: true } : {}) });
  writeSummary(io, opts.output, result);
}

/** `--max-seq-length` beyond the model's position table is a usage error (exit 2) naming the limit. */
function setMaxSeqLength(transformer: { maxSeqLength: number }, n: number): void {
  try {
    transformer.maxSeqLength = n;
  } catch (e) {
    if (e instanceof SbertError && e.code === "INVALID_INPUT") throw new UsageError(e.message.replace(/^maxSeqLength/, "--max-seq-length"));
    throw e;
  }
}

function trainingArguments(opts: TrainCliOptions, checkpointDir: string | undefined): TrainingArguments {
  return {
    batchSize: opts.batchSize,
    lr: opts.lr,
    ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : { epochs: opts.epochs ?? 1 }),
    warmupRatio: opts.warmupRatio,
    weightDecay: opts.weightDecay,
    decayAll: opts.decayAll === true,
    scheduler: opts.scheduler,
    maxGradNorm: opts.maxGradNorm,
    seed: opts.seed,
    shuffle: opts.shuffle,
    saveTotalLimit: opts.saveTotalLimit,
    keepBest: opts.keepBest === true,
    dropout: opts.dropout,
    ...(opts.batchSampler ? { batchSampler: opts.batchSampler } : {}),
    ...(opts.evalSteps !== undefined ? { evalSteps: opts.evalSteps } : {}),
    ...(opts.checkpointSteps !== undefined ? { checkpointSteps: opts.checkpointSteps } : {}),
    ...(checkpointDir ? { checkpointDir } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
  };
}

/** `--threads`: an integer in 1..64 (the native pool's limit). */
function threadCount(value: string): number {
  const n = parsePositiveInt(value);
  if (n > 64) throw new InvalidArgumentError("Expected at most 64 threads.");
  return n;
}

function writeSummary(io: CliIo, output: string, result: TrainResult): void {
  io.stdout.write(
    `${JSON.stringify({
      output,
      steps: result.globalStep,
      train_loss: result.trainLoss,
      train_runtime: Math.round(result.seconds * 1000) / 1000,
      train_samples_per_second: Math.round(result.samplesPerSecond * 100) / 100,
      ...(result.best ? { best_step: result.best.step, best_metric: result.best.metric, best_value: result.best.value } : {}),
      ...(result.lastEvaluation ?? {}),
    })}\n`,
  );
}

/** `--evaluator` for a cross-encoder: auto = CrossEncoderClassificationEvaluator when the eval labels are class ids. */
function crossEncoderEvaluator(ds: TrainingDataset, kind: TrainCliOptions["evaluator"]): CrossEncoderClassificationEvaluator | undefined {
  if (kind === "none") return undefined;
  if (kind !== "auto") throw new UsageError(`--evaluator ${kind} is for bi-encoders; cross-encoders use --evaluator auto (CrossEncoderClassificationEvaluator) or none`);
  const labels = (ds.labels ?? []) as number[];
  if (ds.inputColumns.length !== 2 || !labels.every((y) => typeof y === "number" && Number.isInteger(y) && y >= 0)) return undefined;
  const [a, b] = ds.columns as [readonly string[], readonly string[]];
  return new CrossEncoderClassificationEvaluator(a.map((t, i) => [t, b[i] as string] as const), labels, { name: "eval" });
}

/** The local folder of `--model` (a hub id is downloaded first): saving copies config.json and the tokenizer from it. */
async function resolveSourceDir(name: string, revision: string | undefined, io: CliIo): Promise<string> {
  return resolveCliModelDir(name, revision !== undefined ? { revision } : {}, io);
}

/** Loads the model for training (always the native backend: it is differentiable), naming `--model` in errors. */
async function loadModel<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (e instanceof SbertError) throw new SbertError(e.code, `cannot load the model in "${name}": ${e.message}`, { cause: e });
    throw e;
  }
}

function numLabelsOption(n: number | undefined): { numLabels?: number } {
  return n === undefined ? {} : { numLabels: n };
}

/** SoftmaxLoss without --num-labels: the largest label + 1, said on stderr. */
function inferNumLabels(ds: TrainingDataset, lossName: string, io: CliIo): number | undefined {
  if (lossName !== "SoftmaxLoss" || !ds.labels) return undefined;
  const max = Math.max(...ds.labels.map((y) => (typeof y === "number" ? y : 0)));
  const n = Number.isInteger(max) && max >= 0 ? max + 1 : undefined;
  if (n !== undefined) io.stderr.write(`sbert: --num-labels not given; using ${n} (largest label + 1)\n`);
  return n;
}

/** Copies the loss's parameters from a safetensors file by name (`--loss-init`). */
async function initLoss(loss: EmbeddingLoss, path: string, io: CliIo): Promise<void> {
  const params = loss.parameters();
  if (params.length === 0) {
    io.stderr.write(`sbert: ${loss.name} has no parameters of its own; --loss-init ${path} is ignored\n`);
    return;
  }
  const file = await readSafetensors(path);
  for (const p of params) {
    if (!file.has(p.name)) throw new SbertError("INVALID_INPUT", `--loss-init ${path} has no tensor "${p.name}" (it has ${file.names().join(", ")})`);
    const data = toFloat32Array(file.get(p.name));
    if (data.length !== p.tensor.size) throw new SbertError("SHAPE_MISMATCH", `--loss-init ${path}: "${p.name}" has ${data.length} values, ${loss.name} needs [${p.tensor.shape.join(", ")}]`);
    p.tensor.data.set(data);
  }
}

/** `--evaluator auto`: sts for two texts with a score, binary for two texts with 0/1 labels (not a classification loss), else none. */
function chooseEvaluator(ds: TrainingDataset, kind: TrainCliOptions["evaluator"], loss: EmbeddingLoss): Evaluator<SentenceEncoder> | undefined {
  const pairs = ds.inputColumns.length === 2 && ds.labels !== undefined && ds.labels.every((y) => typeof y === "number");
  const labels = (ds.labels ?? []) as number[];
  const binary = pairs && labels.every((y) => y === 0 || y === 1);
  const chosen = kind === "auto" ? (pairs && ds.labelColumn === "score" ? "sts" : binary && loss.name !== "SoftmaxLoss" ? "binary" : "none") : kind;
  if (chosen === "none") return undefined;
  if (!pairs) throw new UsageError(`--evaluator ${chosen} needs an --eval file with two text columns and a label or score column`);
  const [s1, s2] = ds.columns as [readonly string[], readonly string[]];
  if (chosen === "sts") return new EmbeddingSimilarityEvaluator(s1, s2, labels, { name: "eval" });
  if (!binary) throw new UsageError("--evaluator binary needs labels 0 or 1 in the --eval file");
  return new BinaryClassificationEvaluator(s1, s2, labels, { name: "eval" });
}
