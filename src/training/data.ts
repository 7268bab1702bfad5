/**
 * Training data as sentence-transformers sees it: rows with named columns, where the column named
 * `label` (else `score`) holds the labels and every other column is an input text, in column order.
 *
 * @example
 * const ds = datasetFromRecords([{ sentence1: "A man eats.", sentence2: "Someone has a meal.", score: 0.9 }]);
 * ds.inputColumns; // ["sentence1", "sentence2"]
 * ds.labelColumn;  // "score"
 */
import { SbertError } from "../errors.js";
import type { EmbeddingLoss } from "../losses/loss.js";

/** One label: a number (class id or score), or a vector (distillation targets for MSELoss). */
export type Label = number | readonly number[];

/** The label column names Python's trainer recognises, in the order it looks for them. */
export const LABEL_COLUMNS = ["label", "score"] as const;
export type LabelColumn = (typeof LABEL_COLUMNS)[number];

/** A dataset in memory: input text columns (column-major) and optional labels. */
export interface TrainingDataset {
  /** Where the rows came from (a path, or "<memory>"), for messages. */
  readonly source: string;
  /** Names of the input columns, in order (the loss receives one embedding per column). */
  readonly inputColumns: readonly string[];
  /** `label` or `score` when the set has labels. */
  readonly labelColumn: LabelColumn | undefined;
  /** `columns[c][i]`: the text of input column c in row i. */
  readonly columns: readonly (readonly string[])[];
  /** One label per row, when `labelColumn` is set. */
  readonly labels: readonly Label[] | undefined;
  /** Number of rows. */
  readonly length: number;
  /** Where each row came from (1-based line numbers in the file), for messages; row index + 1 otherwise. */
  readonly lineNumbers: readonly number[];
}

/** A record as a reader produced it, with the line it started on. */
export interface SourceRecord {
  readonly values: Readonly<Record<string, unknown>>;
  readonly line: number;
}

/**
 * Builds a dataset from records with the same keys. The first record fixes the columns and their
 * order; a record that lacks a column (or has an extra one), a non-string text or a label that is
 * not a finite number (or list of numbers) is an INVALID_INPUT error naming its line.
 */
export function datasetFromRecords(records: readonly (Readonly<Record<string, unknown>> | SourceRecord)[], source = "<memory>"): TrainingDataset {
  const rows: SourceRecord[] = records.map((r, i) => (isSourceRecord(r) ? r : { values: r, line: i + 1 }));
  const first = rows[0];
  if (!first) throw new SbertError("INVALID_INPUT", `${source} has no rows; a training or evaluation set needs at least one`);
  const names = Object.keys(first.values);
  const labelColumn = LABEL_COLUMNS.find((c) => names.includes(c));
  const inputColumns = names.filter((n) => n !== labelColumn);
  if (inputColumns.length === 0) throw new SbertError("INVALID_INPUT", `${source} has no input columns, only "${labelColumn}"`);
  const columns: string[][] = inputColumns.map(() => []);
  const labels: Label[] = [];
  for (const { values, line } of rows) {
    for (const name of names) {
      if (!Object.hasOwn(values, name)) throw rowError(source, line, `has no column "${name}" (the columns are ${names.map((n) => `"${n}"`).join(", ")})`);
    }
    const extra = Object.keys(values).find((k) => !names.includes(k));
    if (extra !== undefined) throw rowError(source, line, `has a column "${extra}" that the first row lacks`);
    inputColumns.forEach((name, c) => {
      const v = values[name];
      if (typeof v !== "string") throw rowError(source, line, `column "${name}" must be a text, got ${describe(v)}`);
      (columns[c] as string[]).push(v);
    });
    if (labelColumn) labels.push(parseLabel(values[labelColumn], source, line, labelColumn));
  }
  return { source, inputColumns, labelColumn, columns, labels: labelColumn ? labels : undefined, length: rows.length, lineNumbers: rows.map((r) => r.line) };
}

/**
 * Builds a dataset from equally long columns (Python's `Dataset.from_dict`).
 * @example datasetFromColumns({ anchor: ["q1", "q2"], positive: ["d1", "d2"] })
 */
export function datasetFromColumns(columns: Readonly<Record<string, readonly unknown[]>>, source = "<memory>"): TrainingDataset {
  const names = Object.keys(columns);
  const n = columns[names[0] ?? ""]?.length ?? 0;
  for (const name of names) {
    if ((columns[name] as readonly unknown[]).length !== n) throw new SbertError("INVALID_INPUT", `${source}: column "${name}" has ${(columns[name] as readonly unknown[]).length} values, "${names[0]}" has ${n}`);
  }
  const records = Array.from({ length: n }, (_, i) => Object.fromEntries(names.map((k) => [k, (columns[k] as readonly unknown[])[i]])));
  return datasetFromRecords(records, source);
}

/** The texts of input column `c` for the rows `indices`. */
export function columnTexts(ds: TrainingDataset, c: number, indices: readonly number[]): string[] {
  const col = ds.columns[c] as readonly string[];
  return indices.map((i) => col[i] as string);
}

/** What a loss needs of a dataset: how many input columns, and what kind of label. */
export interface DataRequirements {
  minColumns: number;
  maxColumns: number;
  /** `class`: integers 0..numClasses-1; `binary`: 0 or 1; `score`: any number; `vector`: a list of `dimension` numbers. */
  label: "none" | "optional" | "class" | "binary" | "score" | "vector";
  numClasses?: number;
  dimension?: number;
}

/**
 * The requirements of the bi-encoder losses by their Python class names (unknown names: only
 * "at least one input column"). `embeddingDimension` sizes MSELoss targets.
 */
export function dataRequirements(loss: EmbeddingLoss, embeddingDimension?: number): DataRequirements {
  const cfg = loss.configDict();
  switch (loss.name) {
    case "SoftmaxLoss":
      return { minColumns: 2, maxColumns: 2, label: "class", numClasses: cfg["num_labels"] as number };
    case "CosineSimilarityLoss":
    case "CoSENTLoss":
      return { minColumns: 2, maxColumns: 2, label: "score" };
    case "ContrastiveLoss":
      return { minColumns: 2, maxColumns: 2, label: "binary" };
    case "MultipleNegativesRankingLoss":
      return { minColumns: 2, maxColumns: Infinity, label: "optional" };
    case "TripletLoss":
      return { minColumns: 3, maxColumns: 3, label: "optional" };
    case "MSELoss":
      return { minColumns: 1, maxColumns: Infinity, label: "vector", ...(embeddingDimension === undefined ? {} : { dimension: embeddingDimension }) };
    default:
      return { minColumns: 1, maxColumns: Infinity, label: "optional" };
  }
}

/**
 * Checks every row against what the loss needs before any training starts, so a bad row 9,000
 * fails in the first second with its line number, not after an hour.
 */
export function checkDataset(ds: TrainingDataset, req: DataRequirements, lossName: string): void {
  const n = ds.inputColumns.length;
  if (n < req.minColumns || n > req.maxColumns) {
    const want = req.minColumns === req.maxColumns ? `${req.minColumns}` : req.maxColumns === Infinity ? `at least ${req.minColumns}` : `${req.minColumns} to ${req.maxColumns}`;
    throw new SbertError("INVALID_INPUT", `${lossName} needs ${want} input columns; ${ds.source} has ${n} (${ds.inputColumns.join(", ")}) besides the label`);
  }
  if (req.label === "none" || req.label === "optional") return;
  if (!ds.labels) throw new SbertError("INVALID_INPUT", `${lossName} needs labels: add a "label" or "score" column to ${ds.source}`);
  ds.labels.forEach((y, i) => {
    const line = ds.lineNumbers[i] ?? i + 1;
    if (req.label === "vector") {
      if (typeof y === "number") throw rowError(ds.source, line, `${lossName} needs a list of numbers as the label, got ${y}`);
      if (req.dimension !== undefined && y.length !== req.dimension) throw rowError(ds.source, line, `label has ${y.length} numbers, the model's embeddings have ${req.dimension}`);
      return;
    }
    if (typeof y !== "number") throw rowError(ds.source, line, `${lossName} needs one number as the label, got a list`);
    if (req.label === "class" && !(Number.isInteger(y) && y >= 0 && y < (req.numClasses ?? Infinity))) {
      throw rowError(ds.source, line, `label ${y} is out of range: ${lossName} has ${req.numClasses} classes, so labels must be integers 0..${(req.numClasses ?? 1) - 1} (set --num-labels)`);
    }
    if (req.label === "binary" && y !== 0 && y !== 1) throw rowError(ds.source, line, `label ${y} must be 0 or 1 for ${lossName}`);
  });
}

function parseLabel(v: unknown, source: string, line: number, column: string): Label {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number" && Number.isFinite(x))) return v as number[];
  throw rowError(source, line, `"${column}" must be a finite number${column === "label" ? " (a class id 0, 1, 2, ...)" : ""}, got ${describe(v)}`);
}

function isSourceRecord(r: unknown): r is SourceRecord {
  return typeof r === "object" && r !== null && "values" in r && "line" in r && typeof (r as SourceRecord).line === "number" && typeof (r as SourceRecord).values === "object";
}

export function rowError(source: string, line: number, what: string): SbertError {
  return new SbertError("INVALID_INPUT", `${source} line ${line} ${what}`);
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === "object") return "an object";
  return String(v);
}
