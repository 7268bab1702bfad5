import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { parseBeir, parseMrpc, parseStsb, readBeir, readStsb } from "./datasets.js";

/** Rows copied from STS-B dev: 7 and 9 columns, an unbalanced quote, CRLF, a blank line. */
const STSB = [
  "main-captions\tMSRvid\t2012test\t0000\t5.000\tA man with a hard hat is dancing.\tA man wearing a hard hat is dancing.",
  'main-captions\timages\t2014\t0732\t3\tA young woman with outstretched arms stands in front of a "Going Places" bus.\tTThe girl is standing in front of the open door of the bus.\r',
  "",
  'main-forums\tanswers-forums\t2015\t0409\t2.60\tI see some references to status as uncountable as well, but that doesn\'t make much sense to me.\tThere are some cases "status" may be accounted of countable.',
  "main-news\theadlines\t2016\t1477\t0\tObama is right: Africa deserves better leadership\tObama waiting for midterm to name attorney general\tEurope Media Monitor (http://emm.newsbrief.eu)\tEurope Media Monitor (http://emm.newsbrief.eu)",
  "",
].join("\n");

describe("parseStsb", () => {
  it("reads score (column 5, scaled to 0–1) and sentences (columns 6, 7), tabs only", () => {
    const d = parseStsb(STSB);
    expect(d.scores).toEqual([1, 0.6, 0.52, 0]);
    expect(d.sentences1[1]).toBe('A young woman with outstretched arms stands in front of a "Going Places" bus.');
    expect(d.sentences2[1]).toBe("TThe girl is standing in front of the open door of the bus.");
    expect(d.sentences2[3]).toBe("Obama waiting for midterm to name attorney general");
    expect(parseStsb(STSB, { normalize: false }).scores).toEqual([5, 3, 2.6, 0]);
  });

  it("names the line of a short row or a bad score", () => {
    expect(() => parseStsb("a\tb\tc\td\t5\tonly one sentence")).toThrow(/line 1 has 6 tab-separated columns/);
    expect(() => parseStsb(`${STSB}\ng\tf\ty\t1\t5.5\ts1\ts2`)).toThrow(/line 7 score "5.5"/);
    expect(() => parseStsb("g\tf\ty\t1\tfive\ts1\ts2")).toThrow(SbertError);
  });

  it("reads a file and reports a missing one as FILE_NOT_FOUND", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sbert-eval-"));
    try {
      await writeFile(join(dir, "sts.csv"), STSB);
      expect((await readStsb(join(dir, "sts.csv"))).scores).toHaveLength(4);
      await expect(readStsb(join(dir, "missing.csv"))).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe("parseMrpc", () => {
  it("skips the header and a BOM and reads label, sentence1, sentence2", () => {
    const text =
      "\uFEFFQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n" +
      '1\t702876\t702977\tAmrozi accused his brother, whom he called "the witness", of deliberately distorting his evidence.\tReferring to him as only "the witness", Amrozi accused his brother of deliberately distorting his evidence.\n' +
      "0\t2108705\t2108831\tYucaipa owned Dominick's before selling the chain to Safeway in 1998 for $2.5 billion.\tYucaipa bought Dominick's in 1995 for $693 million and sold it to Safeway for $1.8 billion in 1998.\n";
    const d = parseMrpc(text);
    expect(d.labels).toEqual([1, 0]);
    expect(d.sentences1[0]).toMatch(/^Amrozi accused/);
    expect(d.sentences2[1]).toMatch(/^Yucaipa bought/);
    expect(() => parseMrpc("2\ta\tb\tc\td")).toThrow(/label "2"/);
  });
});

describe("parseBeir / readBeir", () => {
  const files = {
    corpus: '{"_id": "1", "title": "wing study .", "text": "wing study . lift data", "metadata": {}}\n{"_id": "2", "title": "", "text": "shear flow"}\n',
    queries: '{"_id": "10", "text": "what lift?"}\n{"_id": "2", "text": "flow?"}\n',
    qrels: "query-id\tcorpus-id\tscore\n10\t1\t1\n10\t2\t0\n2\t2\t2\n",
  };

  it("reads queries, documents (title + text) and positive qrels in file order", () => {
    const d = parseBeir(files);
    expect([...d.queries.keys()]).toEqual(["10", "2"]); // a Map keeps "10" before "2"
    expect(d.corpus.get("1")).toBe("wing study . wing study . lift data");
    expect(d.corpus.get("2")).toBe("shear flow");
    expect(d.relevantDocs).toEqual(new Map([["10", new Set(["1"])], ["2", new Set(["2"])]]));
    expect(parseBeir(files, { includeTitle: false }).corpus.get("1")).toBe("wing study . lift data");
  });

  it("reports bad JSON and missing fields with their line", () => {
    expect(() => parseBeir({ ...files, corpus: '{"_id": "1", "text": "ok"}\nnot json' })).toThrow(/corpus.jsonl line 2 is not valid JSON/);
    expect(() => parseBeir({ ...files, queries: '{"text": "no id"}' })).toThrow(/needs an "_id"/);
    expect(() => parseBeir({ ...files, qrels: "1\t2" })).toThrow(/qrels line 1/);
  });

  it("reads a BEIR folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sbert-beir-"));
    try {
      await mkdir(join(dir, "qrels"));
      await writeFile(join(dir, "corpus.jsonl"), files.corpus);
      await writeFile(join(dir, "queries.jsonl"), files.queries);
      await writeFile(join(dir, "qrels", "dev.tsv"), files.qrels);
      expect((await readBeir(dir, { split: "dev" })).corpus.size).toBe(2);
      await expect(readBeir(dir)).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
