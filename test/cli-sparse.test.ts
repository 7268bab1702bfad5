/**
 * `sbert encode` on sparse models: one `{"indices","values"}` line per text equal to
 * `SparseEncoder.encode` (values bit-identical as float32) and to Python's rows; `--max-active-dims`,
 * `--task query|document`; usage errors for dense-only flags.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SparseEncoder } from "../src/models/sparse-encoder.js";
import { runCli } from "./helpers/cli.js";
import { FIXTURES, maxAbsDiff, readGolden } from "./helpers/fixtures.js";

const SPLADE = join(FIXTURES, "sparse-splade-bert");
const FREE = join(FIXTURES, "sparse-inference-free");
type Row = { indices: number[]; values: number[] };
const jsonl = (texts: readonly string[]) => texts.map((t) => JSON.stringify(t) + "\n").join("");
const rows = (out: string): Row[] => out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Row);
const cli = (args: string[], stdin = "") => runCli(args, { stdin, env: {} });

let splade: SparseEncoder;
let free: SparseEncoder;
beforeAll(async () => {
  [splade, free] = await Promise.all([SparseEncoder.load(SPLADE, { backend: "native" }), SparseEncoder.load(FREE, { backend: "native" })]);
});

function expectSameRows(got: Row[], want: Row[]): void {
  expect(got.map((r) => r.indices)).toEqual(want.map((r) => r.indices));
  expect(got.map((r) => r.values.map(Math.fround))).toEqual(want.map((r) => r.values));
}

describe("sbert encode on a sparse model", () => {
  const g = readGolden(SPLADE);
  const sentences = g["sentences"] as string[];
  it("writes one {indices, values} row per text, equal to the library and to Python", async () => {
    const r = await cli(["encode", "--model", SPLADE, "--backend", "native", "--batch-size", "4"], jsonl(sentences));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const got = rows(r.stdout);
    expectSameRows(got, (await splade.encode(sentences, { batchSize: 4 })).toArrays());
    const want = g["sparse_embeddings"] as Row[];
    expect(got.map((x) => x.indices)).toEqual(want.map((x) => x.indices));
    expect(maxAbsDiff(got.map((x) => x.values), want.map((x) => x.values))).toBeLessThanOrEqual(1e-5);
    expect(r.stdout.split("\n")[0]).toMatch(/^\{"indices":\[\d+(,\d+)*\],"values":\[/);
  });
  it("--max-active-dims 5", async () => {
    const r = await cli(["encode", "--model", SPLADE, "--backend", "native", "--max-active-dims", "5"], jsonl(sentences));
    expect(r.code).toBe(0);
    const want = g["sparse_embeddings_max_active_dims_5"] as Row[];
    expect(rows(r.stdout).map((x) => x.indices)).toEqual(want.map((x) => x.indices));
  });
  it("--task query / document take the Router's routes; no task is the default route", async () => {
    const fg = readGolden(FREE);
    const queries = fg["queries"] as string[];
    const q = await cli(["encode", "--model", FREE, "--backend", "native", "--task", "query"], jsonl(queries));
    expect(q.code).toBe(0);
    expectSameRows(rows(q.stdout), (await free.encodeQuery(queries)).toArrays());
    expect(rows(q.stdout).map((x) => x.indices)).toEqual((fg["query_sparse_embeddings"] as Row[]).map((x) => x.indices));
    const docs = fg["documents"] as string[];
    const d = await cli(["encode", "--model", FREE, "--backend", "native", "--task", "document"], jsonl(docs));
    const none = await cli(["encode", "--model", FREE, "--backend", "native"], jsonl(docs));
    expect(d.stdout).toBe(none.stdout);
    expectSameRows(rows(d.stdout), (await free.encodeDocument(docs)).toArrays());
  });
  it("dense-only flags and a too large --max-active-dims are usage errors (exit 2)", async () => {
    for (const args of [["--normalize"], ["--precision", "int8"], ["--truncate-dim", "4"], ["--max-active-dims", "1001"]]) {
      const r = await cli(["encode", "--model", SPLADE, "--backend", "native", ...args], jsonl(["a"]));
      expect(r.code, args.join(" ")).toBe(2);
    }
  });
  it("--max-active-dims on a dense model is a usage error", async () => {
    const r = await cli(["encode", "--model", join(FIXTURES, "st-bert-mean"), "--max-active-dims", "5"], jsonl(["a"]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sparse models only/);
  });
});

describe("sbert search on sparse models", () => {
  it("queries by the query route, the corpus by the document route, dot product, as the library's sparseSemanticSearch", async () => {
    const { sparseSemanticSearch } = await import("../src/util/sparse-embeddings.js");
    const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "sbert-sparse-search-"));
    try {
      const g = readGolden(FREE);
      const queries = g["queries"] as string[];
      const documents = (g["documents"] as string[]).filter((d) => d !== "");
      await writeFile(join(dir, "q.txt"), queries.join("\n") + "\n");
      await writeFile(join(dir, "c.jsonl"), jsonl(documents));
      for (const [model, dirOf] of [[free, FREE], [splade, SPLADE]] as const) {
        const r = await cli(["search", "-m", dirOf, "--backend", "native", "--corpus", join(dir, "c.jsonl"), "--queries", join(dir, "q.txt"), "--top-k", "2"]);
        expect(r.code, r.stderr).toBe(0);
        const want = sparseSemanticSearch(await model.encodeQuery(queries), await model.encodeDocument(documents), { topK: 2 });
        const got = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { corpus_id: number; score: number }[]);
        expect(got.map((hits) => hits.map((h) => h.corpus_id))).toEqual(want.map((hits) => hits.map((h) => h.corpusId)));
        expect(maxAbsDiff(got.map((hits) => hits.map((h) => h.score)), want.map((hits) => hits.map((h) => h.score)))).toBeLessThanOrEqual(1e-6);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
