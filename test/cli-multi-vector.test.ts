/**
 * `sbert encode --task query|document` and `sbert rank` on a multi-vector (ColBERT) model
 * (fixture multivector-colbert-tiny): one JSON array of token vectors per line, equal to the
 * library's float32 vectors (and Python's within 1e-5); rank by MaxSim, best first.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MultiVectorEncoder } from "../src/models/multi-vector-encoder.js";
import { runCli } from "./helpers/cli.js";
import { maxAbsDiff } from "./helpers/fixtures.js";

const MV = fileURLToPath(new URL("fixtures/multivector-colbert-tiny", import.meta.url));
const ST = fileURLToPath(new URL("fixtures/st-bert-mean", import.meta.url));
const g = JSON.parse(readFileSync(join(MV, "golden.json"), "utf8")) as Record<string, unknown>;
const queries = g["queries"] as string[];
const documents = g["documents"] as string[];
const jsonl = (texts: readonly string[]): string => texts.map((t) => JSON.stringify(t) + "\n").join("");
const lines = (out: string): unknown[] => out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as unknown);

describe("sbert encode / rank on a multi-vector model", () => {
  it("encode --task query|document writes one array of token vectors per text, as the library and Python", async () => {
    const model = await MultiVectorEncoder.load(MV, { backend: "native" });
    for (const [task, texts, key] of [["query", queries, "query_token_embeddings"], ["document", documents, "document_token_embeddings"]] as const) {
      const r = await runCli(["encode", "-m", MV, "--backend", "native", "--task", task, "--input-format", "jsonl"], { stdin: jsonl(texts) });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const got = lines(r.stdout) as number[][][];
      const lib = (task === "query" ? await model.encodeQuery(texts) : await model.encodeDocument(texts)).map((m) => m.toArray());
      expect(got.map((x) => x.length)).toEqual(lib.map((x) => x.length));
      expect(got.flat(2).map(Math.fround)).toEqual(lib.flat(2));
      expect(maxAbsDiff(got, g[key])).toBeLessThanOrEqual(1e-5);
    }
    await model.dispose();
  });

  it("rank scores with MaxSim, best first, with --top-k and --return-documents", async () => {
    const want = (g["maxsim_scores_queries_x_documents"] as number[][])[0] as number[];
    const order = want.map((_, i) => i).sort((a, b) => (want[b] as number) - (want[a] as number));
    const r = await runCli(["rank", "-m", MV, "--backend", "native", "-q", queries[0] as string, "--input-format", "jsonl", "-k", "2", "--return-documents"], { stdin: jsonl(documents) });
    expect(r.stderr).toBe("");
    const hits = lines(r.stdout) as { corpus_id: number; score: number; text: string }[];
    expect(hits.map((h) => h.corpus_id)).toEqual(order.slice(0, 2));
    expect(maxAbsDiff(hits.map((h) => h.score), order.slice(0, 2).map((i) => want[i]))).toBeLessThanOrEqual(1e-5);
    expect(hits.map((h) => h.text)).toEqual(order.slice(0, 2).map((i) => documents[i]));
  });

  it("usage errors: no --task on a multi-vector model, --task or sentence-embedding flags where they do not apply", async () => {
    const noTask = await runCli(["encode", "-m", MV, "--backend", "native"], { stdin: "a\n" });
    expect(noTask.code).not.toBe(0);
    expect(noTask.stderr).toMatch(/--task query or --task document/);
    const precision = await runCli(["encode", "-m", MV, "--backend", "native", "--task", "query", "--precision", "int8"], { stdin: "a\n" });
    expect(precision.stderr).toMatch(/do not apply to a multi-vector model/);
    // on a dense model --task means encodeQuery / encodeDocument: the query / document prompt (issue 14)
    const onDense = await runCli(["encode", "-m", ST, "--backend", "native", "--task", "query"], { stdin: "a\n" });
    const prompted = await runCli(["encode", "-m", ST, "--backend", "native", "--prompt-name", "query"], { stdin: "a\n" });
    expect([onDense.code, onDense.stdout]).toEqual([0, prompted.stdout]);
  });
});
