/**
 * Dataset files: JSON Lines (one object per line), CSV (RFC 4180: a header row, `"` quoting with
 * `""` escapes and line breaks inside quotes) and TSV (a header row, split on TAB only — never
 * quote-aware, since STS-B/SICK sentences contain unbalanced `"`).
 *
 * @example
 * const train = await readDataset("nli-train.tsv"); // header: sentence1 \t sentence2 \t label
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { SbertError } from "../errors.js";
import { type SourceRecord, type TrainingDataset, datasetFromRecords, rowError } from "./data.js";

export type DatasetFormat = "jsonl" | "csv" | "tsv";
export const DATASET_FORMATS: readonly DatasetFormat[] = ["jsonl", "csv", "tsv"];

/** The format a file name implies: .jsonl/.ndjson/.json → jsonl, .csv → csv, .tsv/.tab/.txt → tsv. */
export function datasetFormatForPath(path: string): DatasetFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson" || ext === ".json") return "jsonl";
  if (ext === ".csv") return "csv";
  if (ext === ".tsv" || ext === ".tab" || ext === ".txt") return "tsv";
  throw new SbertError("INVALID_INPUT", `cannot tell the format of "${path}" from its extension; use .jsonl, .csv or .tsv`);
}

/** Reads a dataset file (UTF-8; a leading BOM is ignored). */
export async function readDataset(path: string, format: DatasetFormat = datasetFormatForPath(path)): Promise<TrainingDataset> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new SbertError("FILE_NOT_FOUND", `dataset file "${path}" does not exist`, { cause: e });
    throw new SbertError("INVALID_INPUT", `cannot read dataset file "${path}": ${(e as Error).message}`, { cause: e });
  }
  return parseDataset(text, format, path);
}

/** Parses dataset text in the given format; see `readDataset`. */
export function parseDataset(text: string, format: DatasetFormat, source = "<dataset>"): TrainingDataset {
  const body = text.replace(/^\uFEFF/, "");
  const records = format === "jsonl" ? jsonlRecords(body, source) : delimitedRecords(format === "csv" ? csvRows(body, source) : tsvRows(body), source);
  return datasetFromRecords(records, source);
}

function jsonlRecords(text: string, source: string): SourceRecord[] {
  const out: SourceRecord[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw rowError(source, i + 1, `is not valid JSON (${(e as Error).message})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw rowError(source, i + 1, "must be a JSON object with one key per column");
    out.push({ values: value as Record<string, unknown>, line: i + 1 });
  });
  return out;
}

/** A row of fields and the line it starts on. */
interface Row {
  fields: string[];
  line: number;
}

function delimitedRecords(rows: readonly Row[], source: string): SourceRecord[] {
  const [header, ...data] = rows;
  if (!header) throw new SbertError("INVALID_INPUT", `${source} is empty; it needs a header row naming the columns`);
  const names = header.fields.map((f) => f.trim());
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined || names.includes("")) throw rowError(source, header.line, `(the header) must name every column once, got ${JSON.stringify(names)}`);
  return data.map(({ fields, line }) => {
    if (fields.length < names.length) throw rowError(source, line, `has no column "${names[fields.length]}": ${fields.length} fields for the ${names.length} columns of the header`);
    if (fields.length > names.length) throw rowError(source, line, `has ${fields.length} fields, the header names ${names.length} columns`);
    return { values: Object.fromEntries(names.map((n, i) => [n, fields[i] as string])), line };
  });
}

/** TSV: one row per non-blank line, fields split on TAB only. */
function tsvRows(text: string): Row[] {
  const rows: Row[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() !== "") rows.push({ fields: line.split("\t"), line: i + 1 });
  });
  return rows;
}

/** CSV (RFC 4180): commas, `"` quoting, `""` for a quote inside quotes, line breaks allowed inside quotes. Blank lines are skipped. */
function csvRows(text: string, source: string): Row[] {
  const rows: Row[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let afterQuote = false;
  let started = false;
  let line = 1;
  let rowLine = 1;
  const endRow = (): void => {
    fields.push(field);
    if (started) rows.push({ fields, line: rowLine });
    fields = [];
    field = "";
    started = false;
    afterQuote = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch !== '"') {
        if (ch === "\n") line++;
        field += ch;
      } else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else {
        quoted = false;
        afterQuote = true;
      }
      continue;
    }
    if (ch === ",") {
      fields.push(field);
      field = "";
      started = true;
      afterQuote = false;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else if (afterQuote) {
      throw rowError(source, line, "has text after the closing quote of a field");
    } else if (ch === '"') {
      if (field !== "") throw rowError(source, line, 'has a " inside an unquoted field; quote the whole field and double the quote ("")');
      quoted = true;
      started = true;
    } else {
      field += ch;
      started = true;
    }
  }
  if (quoted) throw rowError(source, rowLine, "has a quote that is never closed");
  if (started) endRow();
  return rows;
}
