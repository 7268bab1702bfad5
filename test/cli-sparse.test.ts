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
