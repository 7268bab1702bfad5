import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SentenceTransformer } from "../src/index.js";
import { FIXTURES, maxAbsDiff } from "./helpers/fixtures.js";
import { type CliResult, runCli } from "./helpers/cli.js";

const ST = join(FIXTURES, "st-bert-mean");

const cli = (args: string[], stdin = ""): Promise<CliResult> => runCli(args, { stdin });

describe("sbert --backend / --threads / --onnx-file", () => {
  const sentences = (JSON.parse(readFileSync(join(ST, "golden.json"), "utf8")) as { sentences: string[] }).sentences;
  const input = sentences.map((s) => JSON.stringify(s)).join("\n") + "\n";

  it.each(["native", "onnx"])("--backend %s gives the library's embeddings on that backend (within 1e-5 of Python)", async (backend) => {
    const r = await cli(["encode", "--model", ST, "--backend", backend, "--threads", "1", "--batch-size", "4"], input);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as number[]);
    const lib = await SentenceTransformer.load(ST, { backend: backend as "native" | "onnx" });
    expect(maxAbsDiff(rows, await lib.encode(sentences, { batchSize: 4 }))).toBeLessThanOrEqual(1e-6);
    const golden = JSON.parse(readFileSync(join(ST, "golden.json"), "utf8")) as { embeddings: number[][] };
    expect(maxAbsDiff(rows, golden.embeddings)).toBeLessThanOrEqual(1e-5);
  });

  it("an unknown backend is a usage error (exit 2); a missing ONNX file names the file (exit 1)", async () => {
    expect((await cli(["encode", "--model", ST, "--backend", "gpu"], "\"x\"\n")).code).toBe(2);
    const r = await cli(["encode", "--model", ST, "--backend", "onnx", "--onnx-file", "nope.onnx"], "\"x\"\n");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nope.onnx");
  });
});
