/**
 * Tokenization overlap on the small fixture models (tiny, random weights), where tokenizing is a
 * large share of the encode time, at 1 and 2 ONNX Runtime threads.
 *
 *   npx tsx bench/encode-fixtures.ts [--sentences 3000] [--rounds 5]
 *
 * Sentences: STS-B dev from ../shared/data if present (columns 6 and 7), else the fixture sentences
 * repeated. For each model, in one process: `encode` with `overlapTokenization` false (tokenize all,
 * then compute), true (the tokenizer thread tokenizes the next chunk while the model computes) and
 * auto (the default: overlap only when the first chunk shows tokenizing ≥ 10% of the time), in
 * interleaved rounds; medians. "tok %" = tokenizing alone as a share of the non-overlapped encode.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SentenceTransformer } from "../src/index.js";
import { biEncoderFixtures } from "../test/helpers/fixtures.js";
import { arg, row } from "./lib/cases.js";

const limit = Number(arg("--sentences", "3000"));
const rounds = Number(arg("--rounds", "5"));

function loadSentences(): string[] {
  const path = join(import.meta.dirname, "../../shared/data/stsbenchmark/sts-dev.csv");
  if (existsSync(path)) {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter(Boolean)
      .flatMap((l) => l.split("\t").slice(5, 7));
  }
  const base = biEncoderFixtures()[0]?.golden["sentences"] as string[];
  return Array.from({ length: 3000 }, (_, i) => base[i % base.length] as string);
}

const median = (v: readonly number[]): number => [...v].sort((a, b) => a - b)[(v.length - 1) >> 1] as number;

const sentences = loadSentences().slice(0, limit);
const modes = [false, true, "auto"] as const;
const widths = [34, 8, 7, 9, 9, 9, 8, 8];
console.log(`${sentences.length} sentences, median of ${rounds} interleaved rounds (sentences/s)`);
console.log(row(["model", "threads", "tok %", "off", "on", "auto", "on/off", "auto/off"], widths));
for (const fx of biEncoderFixtures()) {
  for (const threads of [1, 2]) {
    const model = await SentenceTransformer.load(fx.dir, { backend: "onnx", threads });
    await model.encode(sentences.slice(0, 500), { overlapTokenization: true }); // warm: graph, JIT, thread
    const rates: number[][] = modes.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (const [i, mode] of modes.entries()) {
        const t0 = performance.now();
        await model.encode(sentences, { batchSize: 32, overlapTokenization: mode });
        (rates[i] as number[]).push(sentences.length / ((performance.now() - t0) / 1000));
      }
    }
    const t0 = performance.now();
    model.transformer.tokenizeRows(sentences);
    const tokShare = (performance.now() - t0) / 1000 / (sentences.length / median(rates[0] as number[]));
    const [off, on, auto] = rates.map((r) => median(r)) as [number, number, number];
    console.log(row([fx.name, threads, `${(100 * tokShare).toFixed(0)}%`, off.toFixed(0), on.toFixed(0), auto.toFixed(0), `${(on / off).toFixed(2)}×`, `${(auto / off).toFixed(2)}×`], widths));
  }
}
