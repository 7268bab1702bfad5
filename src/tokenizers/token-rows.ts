import { SbertError } from "../errors.js";
import type { TextInput, TokenRow } from "./text-tokenizer.js";

/**
 * What a model does to a text before the tokenizer sees it: lower-casing when the model's
 * sentence_bert_config.json says `do_lower_case` (no stripping, as sentence-transformers 5.x).
 * @throws SbertError INVALID_INPUT for a non-string text
 */
export function prepareText(s: string, lowerCase: boolean): string {
  if (typeof s !== "string") throw new SbertError("INVALID_INPUT", `expected a string, got ${s === null ? "null" : typeof s}`);
  return lowerCase ? s.toLowerCase() : s;
}

/** `prepareText` on every text and both sides of every pair. */
export function prepareInputs(inputs: readonly TextInput[], lowerCase: boolean): TextInput[] {
  return inputs.map((x: unknown) => {
    if (Array.isArray(x) && x.length === 2) return [prepareText(x[0] as string, lowerCase), prepareText(x[1] as string, lowerCase)] as const;
    return prepareText(x as string, lowerCase);
  });
}

/** Rows packed into three arrays, to cross a thread boundary without copying: row r is `[ends[r-1], ends[r])`. */
export interface PackedRows {
  ids: Int32Array;
  typeIds: Int32Array;
  ends: Int32Array;
}

export function packRows(rows: readonly TokenRow[]): PackedRows {
  const ends = new Int32Array(rows.length);
  let total = 0;
  rows.forEach((r, i) => {
    total += r.ids.length;
    ends[i] = total;
  });
  const ids = new Int32Array(total);
  const typeIds = new Int32Array(total);
  rows.forEach((r, i) => {
    const start = (ends[i] as number) - r.ids.length;
    ids.set(r.ids, start);
    typeIds.set(r.typeIds, start);
  });
  return { ids, typeIds, ends };
}

export function unpackRows(packed: PackedRows): TokenRow[] {
  const rows: TokenRow[] = new Array(packed.ends.length);
  let start = 0;
  for (let i = 0; i < packed.ends.length; i++) {
    const end = packed.ends[i] as number;
    rows[i] = { ids: Array.from(packed.ids.subarray(start, end)), typeIds: Array.from(packed.typeIds.subarray(start, end)) };
    start = end;
  }
  return rows;
}
