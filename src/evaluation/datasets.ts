/**
 * Readers for the evaluation sets users meet first: STS Benchmark (STS-B) TSV, MRPC-style
 * labelled pairs, and BEIR retrieval folders (corpus.jsonl, queries.jsonl, qrels/<split>.tsv).
 *
 * TSV files are split on TAB only, never with CSV quoting: STS-B and MRPC sentences contain
 * unbalanced `"` characters that a quote-aware parser would merge across rows.
 *
 * @example
 * const dev = await readStsb("data/stsbenchmark/sts-dev.csv");
 * new EmbeddingSimilarityEvaluator(dev.sentences1, dev.sentences2, dev.scores, { name: "sts-dev" });
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { checkOptions, optionKeys } from "../strict-options.js";

/** Sentence pairs with a gold similarity, as EmbeddingSimilarityEvaluator takes them. */
export interface ScoredPairs {
  sentences1: string[];
  sentences2: string[];
  scores: number[];
}

/** Sentence pairs with 0/1 labels, as BinaryClassificationEvaluator takes them. */
export interface LabelledPairs {
  sentences1: string[];
  sentences2: string[];
  labels: number[];
}

/** A BEIR retrieval set, as InformationRetrievalEvaluator takes it (Maps keep the files' order). */
export interface RetrievalSet {
  queries: Map<string, string>;
  corpus: Map<string, string>;
  relevantDocs: Map<string, Set<string>>;
}

export interface StsbOptions {
  /** Divide the 0–5 gold score by 5 (default true), as the sentence-transformers STS-B recipes do. */
  normalize?: boolean;
}

const STSB_KEYS = optionKeys<StsbOptions>({ normalize: true });

/**
 * Parses STS-B rows: `genre  file  year  id  score  sentence1  sentence2  [source1  source2]`,
 * tab-separated, no header; score in column 5 (0–5), sentences in columns 6 and 7. Blank lines are
 * skipped; a short row or a score outside 0–5 throws INVALID_INPUT naming the line.
 */
export function parseStsb(text: string, opts: StsbOptions = {}, source = "STS-B data"): ScoredPairs {
  checkOptions(opts, STSB_KEYS, "parseStsb");
  const normalize = opts.normalize ?? true;
  const out: ScoredPairs = { sentences1: [], sentences2: [], scores: [] };
  forEachLine(text, (line, no) => {
    const cols = line.split("\t");
    if (cols.length < 7) throw lineError(source, no, `has ${cols.length} tab-separated columns, expected at least 7 (genre, file, year, id, score, sentence1, sentence2)`);
    const score = parseNumber(cols[4]!);
    if (!(score >= 0 && score <= 5)) throw lineError(source, no, `score ${JSON.stringify(cols[4])} is not a number in [0, 5]`);
    out.sentences1.push(cols[5]!);
    out.sentences2.push(cols[6]!);
    out.scores.push(normalize ? score / 5 : score);
  });
  return out;
}

/** Reads an STS-B file (`sts-train.csv`, `sts-dev.csv`, `sts-test.csv`); see `parseStsb`. */
export async function readStsb(path: string, opts: StsbOptions = {}): Promise<ScoredPairs> {
  checkOptions(opts, STSB_KEYS, "readStsb");
  return parseStsb(await readText(path), opts, path);
}

/**
 * Parses MRPC-style rows `label  id1  id2  sentence1  sentence2` (tab-separated, label 0/1) with
 * one header line (`Quality  #1 ID  #2 ID  #1 String  #2 String`); a leading BOM is ignored.
 */
export function parseMrpc(text: string, source = "MRPC data"): LabelledPairs {
  const out: LabelledPairs = { sentences1: [], sentences2: [], labels: [] };
  let header = true;
  forEachLine(text, (line, no) => {
    if (header) {
      header = false;
      if (line.split("\t")[0]?.trim() === "Quality") return;
    }
    const cols = line.split("\t");
    if (cols.length < 5) throw lineError(source, no, `has ${cols.length} tab-separated columns, expected 5 (label, id1, id2, sentence1, sentence2)`);
    const label = cols[0]!.trim();
    if (label !== "0" && label !== "1") throw lineError(source, no, `label ${JSON.stringify(cols[0])} is not 0 or 1`);
    out.labels.push(Number(label));
    out.sentences1.push(cols[3]!);
    out.sentences2.push(cols[4]!);
  });
  return out;
}

/** Reads an MRPC file (`msr_paraphrase_train.txt`); see `parseMrpc`. */
export async function readMrpc(path: string): Promise<LabelledPairs> {
  return parseMrpc(await readText(path), path);
}

export interface BeirOptions {
  /** qrels file: `qrels/<split>.tsv` (default "test"). */
  split?: string;
  /** Prefix each document with its title, `${title} ${text}` trimmed, as BEIR and MTEB do (default true). */
  includeTitle?: boolean;
}

const BEIR_KEYS = optionKeys<BeirOptions>({ split: true, includeTitle: true });

/**
 * Parses a BEIR set from its three files' contents: JSON Lines with `_id`, `text` (and `title` for
 * documents), and a qrels TSV `query-id  corpus-id  score` with a header. Pairs with score ≤ 0 are
 * not relevant and are left out.
 */
export function parseBeir(files: { corpus: string; queries: string; qrels: string }, opts: BeirOptions = {}): RetrievalSet {
  checkOptions(opts, BEIR_KEYS, "parseBeir");
  const includeTitle = opts.includeTitle ?? true;
  const corpus = new Map<string, string>();
  for (const [id, rec] of jsonLines(files.corpus, "corpus.jsonl")) {
    const title = typeof rec["title"] === "string" ? rec["title"] : "";
    corpus.set(id, includeTitle && title ? `${title} ${textOf(rec, id)}`.trim() : textOf(rec, id));
  }
  const queries = new Map<string, string>();
  for (const [id, rec] of jsonLines(files.queries, "queries.jsonl")) queries.set(id, textOf(rec, id));
  const relevantDocs = new Map<string, Set<string>>();
  let header = true;
  forEachLine(files.qrels, (line, no) => {
    const cols = line.split("\t");
    if (header) {
      header = false;
      if (cols[0]?.trim() === "query-id") return;
    }
    if (cols.length < 3) throw lineError("qrels", no, "needs query-id, corpus-id and score separated by tabs");
    const score = parseNumber(cols[2]!);
    if (Number.isNaN(score)) throw lineError("qrels", no, `score ${JSON.stringify(cols[2])} is not a number`);
    if (score <= 0) return;
    const qid = cols[0]!.trim();
    if (!relevantDocs.has(qid)) relevantDocs.set(qid, new Set());
    relevantDocs.get(qid)!.add(cols[1]!.trim());
  });
  return { queries, corpus, relevantDocs };
}

/** Reads a BEIR folder (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`); see `parseBeir`. */
export async function readBeir(dir: string, opts: BeirOptions = {}): Promise<RetrievalSet> {
  checkOptions(opts, BEIR_KEYS, "readBeir");
  const [corpus, queries, qrels] = await Promise.all([
    readText(join(dir, "corpus.jsonl")),
    readText(join(dir, "queries.jsonl")),
    readText(join(dir, "qrels", `${opts.split ?? "test"}.tsv`)),
  ]);
  return parseBeir({ corpus, queries, qrels }, opts);
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new SbertError("FILE_NOT_FOUND", `${path} does not exist; check the dataset path`, { cause: e });
    throw new SbertError("INVALID_INPUT", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Calls `fn` for every non-blank line (1-based line numbers), without its line ending; drops a leading BOM. */
function forEachLine(text: string, fn: (line: string, no: number) => void): void {
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  lines.forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() !== "") fn(line, i + 1);
  });
}

function jsonLines(text: string, source: string): [string, Record<string, unknown>][] {
  const rows: [string, Record<string, unknown>][] = [];
  forEachLine(text, (line, no) => {
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw lineError(source, no, "is not valid JSON");
    }
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) throw lineError(source, no, "is not a JSON object");
    const id = (rec as Record<string, unknown>)["_id"];
    if (typeof id !== "string" && typeof id !== "number") throw lineError(source, no, 'needs an "_id"');
    rows.push([String(id), rec as Record<string, unknown>]);
  });
  return rows;
}

function textOf(rec: Record<string, unknown>, id: string): string {
  const t = rec["text"];
  if (typeof t !== "string") throw new SbertError("INVALID_INPUT", `record "${id}" has no string "text"`);
  return t;
}

/** A number from a whole field (unlike parseFloat, "4.5abc" is NaN). */
function parseNumber(field: string): number {
  const s = field.trim();
  return s === "" ? NaN : Number(s);
}

function lineError(source: string, line: number, what: string): SbertError {
  return new SbertError("INVALID_INPUT", `${source} line ${line} ${what}`);
}
