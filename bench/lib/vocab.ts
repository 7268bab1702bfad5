import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A deterministic WordPiece vocabulary of exactly `size` entries for benchmark models: the given
 * special tokens first, then single characters and their `##` forms, then the most frequent
 * lower-cased words of the shared datasets (STS-B, SICK, SNLI, WordNet glosses), then `##`
 * suffixes, then `[unusedN]` filler. Real-looking token counts per sentence, no download.
 */
export function buildVocab(specials: readonly string[], size: number, dataDir: string): string[] {
  const counts = new Map<string, number>();
  for (const file of ["stsbenchmark/sts-train.csv", "stsbenchmark/sts-dev.csv", "sick/SICK_train.txt", "snli-dev/s1.dev", "snli-dev/s2.dev", "wordnet-examples/wordnet30_synsets_with_examples.tsv"]) {
    const path = join(dataDir, file);
    if (!existsSync(path)) continue;
    for (const w of readFileSync(path, "utf8").toLowerCase().split(/[^a-z0-9]+/)) {
      if (w.length > 0 && w.length <= 20) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  const byFreq = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
  const chars: string[] = [];
  for (let c = 33; c < 127; c++) chars.push(String.fromCharCode(c));
  for (let c = 0xa1; c < 0x250; c++) chars.push(String.fromCharCode(c));
  const suffixes = new Map<string, number>();
  for (const [w, n] of counts) for (let k = 2; k <= 4 && k < w.length; k++) suffixes.set(w.slice(-k), (suffixes.get(w.slice(-k)) ?? 0) + n);
  const bySuffix = [...suffixes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([s]) => `##${s}`);
  const out: string[] = [];
  const seen = new Set<string>();
  const push = (t: string): void => {
    if (out.length < size && !seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  };
  specials.forEach(push);
  chars.forEach(push);
  chars.forEach((c) => push(`##${c}`));
  const wordBudget = Math.floor((size - out.length) * 0.8);
  byFreq.slice(0, wordBudget).forEach(push);
  bySuffix.forEach(push);
  byFreq.slice(wordBudget).forEach(push);
  for (let i = 0; out.length < size; i++) push(`[unused${i}]`);
  return out;
}
