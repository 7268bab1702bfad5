import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { progressStream } from "../../progress.js";
import { type Command, Option } from "commander";
import { SbertError } from "../../errors.js";
import { BinaryClassificationEvaluator } from "../../evaluation/binary-classification.js";
import { readBeir, readMrpc, readStsb } from "../../evaluation/datasets.js";
import { EmbeddingSimilarityEvaluator } from "../../evaluation/embedding-similarity.js";
import type { Evaluator, QueryDocumentEncoder } from "../../evaluation/evaluator.js";
import { InformationRetrievalEvaluator } from "../../evaluation/information-retrieval.js";
import { readDataset } from "../../training/data-readers.js";
import { UsageError } from "../errors.js";
import { type CliIo, checkOutputPath, writeOutputLines } from "../io.js";
import { type CliModelOptions, loadSentenceTransformer } from "../model.js";
import { batchSizeOption, outputOption, withModelOptions } from "../options.js";

type EvaluatorKind = "sts" | "ir" | "binary";
type DataFormat = "auto" | "jsonl" | "csv" | "tsv" | "stsb" | "mrpc";

interface EvaluateCliOptions extends CliModelOptions {
  model: string;
  evaluator: EvaluatorKind;
  data: string;
  format: DataFormat;
  split: string;
  name?: string;
  batchSize: number;
  output: string;
}

const EVALUATE_HELP = `
Data (--data):
  sts     pairs with a gold similarity: a .jsonl/.csv/.tsv file with two text columns and a "score"
          (or "label") column, or an STS-B file as distributed (sts-dev.csv: TAB-separated, no header;
          --format stsb, detected automatically).
  binary  pairs with 0/1 labels: the same kinds of files with a "label" column, or an MRPC file
          (msr_paraphrase_*.txt, --format mrpc, detected automatically).
  ir      a BEIR folder: corpus.jsonl, queries.jsonl and qrels/<--split>.tsv.

Output: one JSON object, {"evaluator", "data", "primary_metric", "metrics": {...}}, keys as
Python's evaluators name them (e.g. "spearman_cosine", "cosine_ndcg@10"; --name adds a prefix).`;

/** `sbert evaluate`: run one of Python's evaluators on a model and print its metrics. */
export function registerEvaluate(program: Command, io: CliIo): void {
  withModelOptions(program.command("evaluate"))
    .summary("score a SentenceTransformer with an evaluator (STS Spearman, retrieval, binary pairs)")
    .description("Evaluate a SentenceTransformer as Python's EmbeddingSimilarityEvaluator (sts), InformationRetrievalEvaluator (ir) or BinaryClassificationEvaluator (binary) does, and print the metrics.")
    .addOption(new Option("--evaluator <kind>", "sts, ir or binary").choices(["sts", "ir", "binary"]).makeOptionMandatory())
    .requiredOption("--data <path>", "evaluation data: a file (sts, binary) or a BEIR folder (ir)")
    .addOption(new Option("--format <format>", "data file format").choices(["auto", "jsonl", "csv", "tsv", "stsb", "mrpc"]).default("auto"))
    .option("--split <name>", "qrels split of a BEIR folder (ir)", "test")
    .option("--name <name>", 'prefix of the metric keys, e.g. "sts-dev" gives "sts-dev_spearman_cosine" (default: none)')
    .addOption(batchSizeOption())
    .addOption(outputOption())
    .addHelpText("after", EVALUATE_HELP)
    .action(async (opts: EvaluateCliOptions) => evaluate(opts, io));
}

async function evaluate(opts: EvaluateCliOptions, io: CliIo): Promise<void> {
  await checkOutputPath(opts.output);
  const s = await stat(opts.data).catch(() => undefined);
  if (!s) throw new SbertError("FILE_NOT_FOUND", `--data "${opts.data}" does not exist`);
  if (opts.evaluator === "ir" && !s.isDirectory()) throw new UsageError("--evaluator ir needs --data to be a BEIR folder (corpus.jsonl, queries.jsonl, qrels/)");
  if (opts.evaluator !== "ir" && s.isDirectory()) throw new UsageError(`--evaluator ${opts.evaluator} needs --data to be a file`);
  const evaluator = await buildEvaluator(opts, io);
  const model = await loadSentenceTransformer(opts.model, opts, io);
  const metrics = await evaluator.evaluate(model);
  const line = JSON.stringify({ evaluator: opts.evaluator, data: opts.data, primary_metric: evaluator.primaryMetric, metrics }, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v));
  await writeOutputLines(opts.output, [line], io);
}

async function buildEvaluator(opts: EvaluateCliOptions, io: CliIo): Promise<Evaluator<QueryDocumentEncoder>> {
  const common = { batchSize: opts.batchSize, showProgressBar: progressStream(io) };
  if (opts.evaluator === "ir") {
    const set = await readBeir(opts.data, { split: opts.split });
    return new InformationRetrievalEvaluator(set.queries, set.corpus, set.relevantDocs, { ...common, name: opts.name ?? "" });
  }
  const pairs = await readPairs(opts.data, opts.format === "auto" ? await sniffFormat(opts.data) : opts.format, opts.evaluator);
  const name = opts.name ?? "";
  return opts.evaluator === "sts"
    ? new EmbeddingSimilarityEvaluator(pairs.s1, pairs.s2, pairs.y, { ...common, name })
    : new BinaryClassificationEvaluator(pairs.s1, pairs.s2, pairs.y, { ...common, name });
}

async function readPairs(path: string, format: Exclude<DataFormat, "auto">, kind: EvaluatorKind): Promise<{ s1: string[]; s2: string[]; y: number[] }> {
  if (format === "stsb") {
    const d = await readStsb(path);
    return { s1: d.sentences1, s2: d.sentences2, y: d.scores };
  }
  if (format === "mrpc") {
    const d = await readMrpc(path);
    return { s1: d.sentences1, s2: d.sentences2, y: d.labels };
  }
  const ds = await readDataset(path, format);
  if (ds.inputColumns.length !== 2 || !ds.labels || ds.labels.some((y) => typeof y !== "number")) {
    throw new SbertError("INVALID_INPUT", `${path}: --evaluator ${kind} needs two text columns and a "score" or "label" column; it has ${ds.inputColumns.join(", ")}${ds.labelColumn ? ` and ${ds.labelColumn}` : ""}`);
  }
  return { s1: [...(ds.columns[0] as string[])], s2: [...(ds.columns[1] as string[])], y: ds.labels as number[] };
}

/** STS-B (7+ TAB fields, score in the 5th, no header), MRPC ("Quality" header), else by extension. */
async function sniffFormat(path: string): Promise<Exclude<DataFormat, "auto" | "stsb" | "mrpc"> | "stsb" | "mrpc"> {
  const head = (await readFile(path, "utf8")).replace(/^\uFEFF/, "").split("\n", 1)[0] ?? "";
  const cols = head.split("\t");
  if (cols.length >= 7 && cols[4]?.trim() !== "" && Number.isFinite(Number(cols[4]))) return "stsb";
  if (cols[0]?.trim() === "Quality") return "mrpc";
  const ext = extname(path).toLowerCase();
  return ext === ".csv" ? "csv" : ext === ".tsv" || ext === ".txt" ? "tsv" : "jsonl";
}
