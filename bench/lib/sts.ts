import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const STS_DEV = join(import.meta.dirname, "../../../shared/data/stsbenchmark/sts-dev.csv");

/** The 3000 sentences of STS-B dev (TAB-split columns 6 and 7), or undefined if the data is absent. */
export function stsDevSentences(): string[] | undefined {
  if (!existsSync(STS_DEV)) return undefined;
  return readFileSync(STS_DEV, "utf8")
    .split("\n")
    .filter(Boolean)
    .flatMap((l) => l.split("\t").slice(5, 7));
}

/** STS-B dev as (sentence1, sentence2, score 0-5) rows. */
export function stsDevPairs(): { a: string; b: string; score: number }[] | undefined {
  if (!existsSync(STS_DEV)) return undefined;
  return readFileSync(STS_DEV, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"))
    .map((c) => ({ a: c[5] as string, b: c[6] as string, score: Number(c[4]) }));
}
