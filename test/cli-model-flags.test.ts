/**
 * The flags every model command shares, checked on the commands' own option definitions (so a
 * command that drops one fails here), and the one rule for numbers that must fit the machine or the
 * model: --threads (1..256; serve 0..256) and serve's --max-batch-tokens, usage errors (exit 2).
 * Before, `--threads 20000` hung model commands, export-onnx refused hub ids, serve had no
 * --revision / --onnx-file, train had no short flags, and `serve --max-batch-tokens 5` exited 1.
 */
import { join } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { MAX_THREADS, parseThreadCount } from "../src/backends/thread-count.js";
import { buildProgram } from "../src/cli/main.js";
import { ENGINE_FLAGS, MODEL_SOURCE_FLAGS } from "../src/cli/options.js";
import { SERVE_FLAGS } from "../src/server/config.js";
import { runCli } from "./helpers/cli.js";
import { FIXTURES } from "./helpers/fixtures.js";

const ST = join(FIXTURES, "st-bert-mean");
const sink = { write: () => true };
const program = buildProgram({ stdin: process.stdin, stdout: sink, stderr: sink, env: {} });
/** Every command, a group's (`index`) as "index build", "index add". */
const commands = new Map<string, Command>(program.commands.flatMap((c) => (c.commands.length > 0 ? c.commands.map((s): [string, Command] => [`${c.name()} ${s.name()}`, s]) : [[c.name(), c] as [string, Command]])));
/** `sbert worker` runs the model each job names (its producer's flags), so it takes none of its own. */
const NOT_MODEL = new Set(["worker"]);
for (const n of NOT_MODEL) commands.delete(n);
/** Commands that build a model instead of running one (no engine flags). */
const BUILDERS = new Set(["train", "export-onnx"]);

describe("common model flags", () => {
  it("every command is a model command, with -m/--model and --revision", () => {
    expect(program.commands.map((c) => c.name())).toContain("worker");
    expect([...commands.keys()].sort()).toEqual(["cluster", "encode", "evaluate", "export-onnx", "index add", "index build", "info", "mine-paraphrases", "predict", "rank", "search", "serve", "tokenize", "train"]);
    for (const [name, cmd] of commands) {
      const longs = cmd.options.map((o) => o.long);
      for (const flag of MODEL_SOURCE_FLAGS) expect(longs, `${name} ${flag}`).toContain(flag);
      expect(cmd.options.find((o) => o.long === "--model")?.short, name).toBe("-m");
    }
  });

  it.each([...commands.keys()].filter((n) => !BUILDERS.has(n)))("%s has --backend, --threads and --onnx-file", (name) => {
    const longs = (commands.get(name) as Command).options.map((o) => o.long);
    for (const flag of ENGINE_FLAGS) expect(longs).toContain(flag);
  });

  it("serve's model flags have SBERT_* variables", () => {
    const env = new Map(SERVE_FLAGS.map((s) => [s.flag.replace(/ <.*>$/, "").replace(/^-\w, /, ""), s.env]));
    expect([...MODEL_SOURCE_FLAGS, ...ENGINE_FLAGS].map((f) => env.get(f))).toEqual(["SBERT_MODEL", "SBERT_REVISION", "SBERT_BACKEND", "SBERT_THREADS", "SBERT_ONNX_FILE"]);
  });

  it("train has the short flags the other commands use: -m, -o, -b", () => {
    const train = commands.get("train") as Command;
    const short = (long: string) => train.options.find((o) => o.long === long)?.short;
    expect([short("--model"), short("--output"), short("--batch-size")]).toEqual(["-m", "-o", "-b"]);
  });
});

describe("--threads: one rule for every command", () => {
  it("integers 1..256 (0 where serve computes on the HTTP thread)", () => {
    expect(MAX_THREADS).toBe(256);
    expect(parseThreadCount("1")).toBe(1);
    expect(parseThreadCount("256")).toBe(256);
    expect(parseThreadCount("0", 0)).toBe(0);
    for (const bad of ["0", "257", "20000", "-1", "1.5", "x", ""]) expect(() => parseThreadCount(bad), bad).toThrow(/expected an integer from 1 to 256/);
  });

  it.each([
    ["encode", ["-i", "-"]],
    ["info", []],
    ["predict", ["-i", "-"]],
    ["search", ["-c", "a.txt", "-q", "b.txt"]],
  ])("%s --threads 20000 is a usage error before anything loads", async (name, rest) => {
    const r = await runCli([name, "-m", ST, "--threads", "20000", ...rest]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Expected an integer from 1 to 256, got "20000"');
  });

  it("serve: flag and SBERT_THREADS alike", async () => {
    const flag = await runCli(["serve", "-m", ST, "--threads", "20000"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--threads: expected an integer from 0 to 256, got "20000"');
    const env = await runCli(["serve", "-m", ST], { env: { SBERT_THREADS: "257" } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('SBERT_THREADS: expected an integer from 0 to 256, got "257"');
  });
});

describe("serve --max-batch-tokens below the model's longest input", () => {
  it("is a usage error (exit 2) naming both limits", async () => {
    const r = await runCli(["serve", "-m", ST, "--backend", "native", "--threads", "0", "--port", "0", "--max-batch-tokens", "5"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sbert: --max-batch-tokens 5 is smaller than the longest input \(24 tokens/);
  });

  it("--max-input-length above the budget is caught from the flags alone", async () => {
    const r = await runCli(["serve", "-m", ST, "--max-batch-tokens", "5", "--max-input-length", "6"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--max-input-length 6 is larger than --max-batch-tokens 5");
  });
});
