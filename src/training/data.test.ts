import { describe, expect, it } from "vitest";
import { CosineSimilarityLoss } from "../losses/cosine-similarity.js";
import { MultipleNegativesRankingLoss } from "../losses/multiple-negatives-ranking.js";
import { SoftmaxLoss } from "../losses/softmax.js";
import { checkDataset, dataRequirements, datasetFromColumns, datasetFromRecords } from "./data.js";
import { datasetFormatForPath, parseDataset } from "./data-readers.js";
import { epochBatches, epochOrder } from "./data-sampler.js";

describe("datasets", () => {
  it("takes `label` (else `score`) as the label column and the rest as inputs in order", () => {
    const a = datasetFromRecords([{ b: "x", label: 1, a: "y" }]);
    expect([a.inputColumns, a.labelColumn, a.columns, a.labels]).toEqual([["b", "a"], "label", [["x"], ["y"]], [1]]);
    const s = datasetFromColumns({ s1: ["p", "q"], s2: ["r", "s"], score: [0.5, "0.25"] });
    expect([s.labelColumn, s.labels]).toEqual(["score", [0.5, 0.25]]);
    const n = datasetFromColumns({ anchor: ["a"], positive: ["b"], negative: ["c"] });
    expect([n.inputColumns.length, n.labels]).toEqual([3, undefined]);
  });

  it("names the line of a row with a missing or extra column, a non-text input or a bad label", () => {
    expect(() => parseDataset('{"a":"x","b":"y"}\n\n{"a":"x"}\n', "jsonl", "f.jsonl")).toThrow(/f\.jsonl line 3 has no column "b"/);
    expect(() => parseDataset('{"a":"x"}\n{"a":"x","c":"z"}\n', "jsonl", "f.jsonl")).toThrow(/line 2 has a column "c"/);
    expect(() => parseDataset('{"a":1}\n', "jsonl", "f.jsonl")).toThrow(/line 1 column "a" must be a text, got 1/);
    expect(() => parseDataset('{"a":"x","label":"high"}\n', "jsonl", "f.jsonl")).toThrow(/"label" must be a finite number/);
    expect(() => parseDataset("a\tb\nx\n", "tsv", "f.tsv")).toThrow(/f\.tsv line 2 has no column "b"/);
    expect(() => parseDataset("", "csv", "f.csv")).toThrow(/empty/);
  });

  it("reads CSV with quotes, doubled quotes and line breaks inside quotes", () => {
    const ds = parseDataset('sentence1,sentence2,score\r\n"He said ""hi"", then left",plain,0.5\n"two\nlines","",1\n\n', "csv");
    expect(ds.columns).toEqual([
      ['He said "hi", then left', "two\nlines"],
      ["plain", ""],
    ]);
    expect(ds.labels).toEqual([0.5, 1]);
    expect(ds.lineNumbers).toEqual([2, 3]);
    expect(() => parseDataset('a,b\n"x"y,z\n', "csv", "q.csv")).toThrow(/line 2 has text after the closing quote/);
    expect(() => parseDataset('a,b\n"x,z\n', "csv", "q.csv")).toThrow(/never closed/);
  });

  it("splits TSV on TAB only, keeping quotes as text", () => {
    const ds = parseDataset('s1\ts2\tlabel\nA "quoted, text\tB\t2\n\uFEFF', "tsv");
    expect(ds.columns).toEqual([['A "quoted, text'], ["B"]]);
    expect(ds.labels).toEqual([2]);
  });

  it("picks the format from the extension", () => {
    expect(["a.jsonl", "a.CSV", "a.tsv", "a.txt"].map(datasetFormatForPath)).toEqual(["jsonl", "csv", "tsv", "tsv"]);
    expect(() => datasetFormatForPath("a.parquet")).toThrow(/\.jsonl, \.csv or \.tsv/);
  });

  it("checks rows against what the loss needs before training", () => {
    const nli = datasetFromColumns({ a: ["x", "y"], b: ["z", "w"], label: [0, 3] }, "nli.jsonl");
    const softmax = new SoftmaxLoss({ embeddingDimension: 4, numLabels: 3 });
    expect(() => checkDataset(nli, dataRequirements(softmax), softmax.name)).toThrow(/nli\.jsonl line 2 label 3 is out of range: SoftmaxLoss has 3 classes/);
    const cos = new CosineSimilarityLoss();
    expect(() => checkDataset(datasetFromColumns({ a: ["x"], b: ["y"] }), dataRequirements(cos), cos.name)).toThrow(/needs labels/);
    expect(() => checkDataset(datasetFromColumns({ a: ["x"], score: [1] }), dataRequirements(cos), cos.name)).toThrow(/needs 2 input columns/);
    const mnrl = new MultipleNegativesRankingLoss();
    expect(() => checkDataset(datasetFromColumns({ q: ["x"], d: ["y"], n1: ["z"], n2: ["w"] }), dataRequirements(mnrl), mnrl.name)).not.toThrow();
  });
});

describe("batch samplers", () => {
  const ds = datasetFromColumns({ q: ["a", "a", "b", "c", "a", "d", "e", "b"], d: ["1", "2", "3", "4", "5", "1", "6", "7"] });

  it("orders rows deterministically from (seed, epoch)", () => {
    expect(epochOrder(5, false, 1, 0)).toEqual([0, 1, 2, 3, 4]);
    expect(epochOrder(50, true, 1, 0)).toEqual(epochOrder(50, true, 1, 0));
    expect(epochOrder(50, true, 1, 0)).not.toEqual(epochOrder(50, true, 1, 1));
    expect(epochOrder(50, true, 1, 0)).not.toEqual(epochOrder(50, true, 2, 0));
    expect([...epochOrder(50, true, 3, 4)].sort((x, y) => x - y)).toEqual(epochOrder(50, false, 0, 0));
  });

  it("cuts consecutive batches, the last one shorter unless dropped", () => {
    expect(epochBatches(ds, { batchSize: 3, shuffle: false, seed: 0, epoch: 0, sampler: "batch_sampler" })).toEqual([[0, 1, 2], [3, 4, 5], [6, 7]]);
    expect(epochBatches(ds, { batchSize: 3, shuffle: false, seed: 0, epoch: 0, sampler: "batch_sampler", dropLast: true })).toHaveLength(2);
  });

  it("no_duplicates never puts the same text twice in a batch and uses every row once", () => {
    for (const shuffle of [false, true]) {
      const batches = epochBatches(ds, { batchSize: 3, shuffle, seed: 5, epoch: 0, sampler: "no_duplicates" });
      expect(batches.flat().sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      for (const b of batches) {
        const texts = b.flatMap((i) => [ds.columns[0]?.[i], ds.columns[1]?.[i]]);
        expect(new Set(texts).size).toBe(texts.length);
      }
    }
    expect(epochBatches(ds, { batchSize: 3, shuffle: false, seed: 0, epoch: 0, sampler: "no_duplicates" })[0]).toEqual([0, 2, 3]);
  });
});
