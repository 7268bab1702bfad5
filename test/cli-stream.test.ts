/**
 * `sbert encode` / `sbert tokenize` stream: texts are read and encoded chunk by chunk and rows
 * written in input order, so memory is bounded by a chunk. Before, the whole input and every
 * embedding were held before the first byte was written; output-file writes ignored
 * `bytesWritten` (a short write exited 0 with a cut file); `-o ""` was a raw rename error; an
 * unwritable `-o` without write permission failed only after the work; and SIGINT left the
 * temporary file behind.
 *
 * The reference for byte identity is the whole-input path: one `model.encode` over every text,
 * formatted as the CLI formats rows.
 */
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, open, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatNumberArray } from "../src/cli/json-format.js";
import { run } from "../src/cli/main.js";
import type { FileHandleLike } from "../src/cli/streams.js";
import { type DenseMatrix, SentenceTransformer } from "../src/index.js";
import { runCli } from "./helpers/cli.js";
import { FIXTURES } from "./helpers/fixtures.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const ST = join(FIXTURES, "st-bert-mean");
const MISSING_MODEL = join(FIXTURES, "no-such-model");

const WORDS = "the a cat dog sits runs on mat quickly slowly red blue house tree river over under big small".split(" ");
/** 40 texts of 1 to 40 words in a shuffled order, so that length sorting reorders every chunk. */
const TEXTS = Array.from({ length: 40 }, (_, i) => Array.from({ length: 1 + ((i * 17) % 40) }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]).join(" "));
const JSONL = TEXTS.map((t) => JSON.stringify(t) + "\n").join("");

let dir: string;
let st: SentenceTransformer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sbert-stream-"));
  st = await SentenceTransformer.load(ST);
});
afterAll(async () => {
  await st.dispose();
  await rm(dir, { recursive: true, force: true });
});

const rows = (m: DenseMatrix<Float32Array | Int8Array | Uint8Array>): string =>
  Array.from({ length: m.rows }, (_, r) => formatNumberArray(m.row(r)) + "\n").join("");

let n = 0;
const freshDir = async (): Promise<string> => {
  const d = join(dir, `case-${n++}`);
  await mkdir(d);
  return d;
};

describe("streamed encode is byte-identical to one encode over the whole input", () => {
  const cases: [string, string[], Parameters<SentenceTransformer["encode"]>[1]][] = [
    ["float32", [], {}],
    ["--normalize", ["--normalize"], { normalizeEmbeddings: true }],
    ["--truncate-dim 16 --normalize", ["--truncate-dim", "16", "--normalize"], { truncateDim: 16, normalizeEmbeddings: true }],
    ["int8 (ranges of the whole input)", ["--precision", "int8"], { precision: "int8" }],
    ["uint8 --normalize", ["--precision", "uint8", "--normalize"], { precision: "uint8", normalizeEmbeddings: true }],
    ["binary", ["--precision", "binary"], { precision: "binary" }],
    ["ubinary", ["--precision", "ubinary"], { precision: "ubinary" }],
  ];
  it.each(cases)("%s, chunks of 7 texts (stdin and -o file)", async (_name, flags, opts) => {
    const want = rows((await st.encode(TEXTS, { batchSize: 4, ...opts })) as DenseMatrix<Float32Array>);
    const r = await runCli(["encode", "-m", ST, "-b", "4", "--chunk-size", "7", ...flags], { stdin: JSONL });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(want);
    const d = await freshDir();
    const input = join(d, "in.jsonl");
    await writeFile(input, JSONL);
    const f = await runCli(["encode", "-m", ST, "-b", "4", "--chunk-size", "7", "-i", input, "-o", join(d, "out.jsonl"), ...flags]);
    expect(f).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await readFile(join(d, "out.jsonl"), "utf8")).toBe(want);
    expect((await readdir(d)).sort()).toEqual(["in.jsonl", "out.jsonl"]);
  });

  it("--output-value token_embeddings, chunks of 3 texts", async () => {
    const perText = await st.encode(TEXTS, { outputValue: "token_embeddings" });
    const want = perText.map((m) => `[${Array.from({ length: m.rows }, (_, r) => formatNumberArray(m.row(r))).join(",")}]\n`).join("");
    const r = await runCli(["encode", "-m", ST, "--output-value", "token_embeddings", "--chunk-size", "3"], { stdin: JSONL });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(want);
  });

  it("tokenize, chunks of 5 texts", async () => {
    const whole = await runCli(["tokenize", "-m", ST], { stdin: JSONL });
    const chunked = await runCli(["tokenize", "-m", ST, "--chunk-size", "5"], { stdin: JSONL });
    expect(whole.code).toBe(0);
    expect(chunked).toEqual(whole);
    expect(whole.stdout.split("\n")).toHaveLength(TEXTS.length + 1);
  });

  it("auto format: JSON-looking lines followed by a plain line are all text, in a file and on stdin", async () => {
    const input = '"quoted"\n{"text": "obj"}\n\nplain words\n';
    const texts = ['"quoted"', '{"text": "obj"}', "", "plain words"];
    const want = rows(await st.encode(texts));
    const d = await freshDir();
    await writeFile(join(d, "in.data"), input);
    expect((await runCli(["encode", "-m", ST, "--chunk-size", "1", "-i", join(d, "in.data")])).stdout).toBe(want);
    expect((await runCli(["encode", "-m", ST, "--chunk-size", "1"], { stdin: input })).stdout).toBe(want);
  });
});

describe("stdout streams", () => {
  it("the first rows are written before the input ends", async () => {
    const stdin = new PassThrough();
    const events: string[] = [];
    let firstRow: () => void = () => undefined;
    const gotFirstRow = new Promise<void>((resolve) => (firstRow = resolve));
    let stdout = "";
    const done = run(["encode", "-m", ST, "--input-format", "txt"], {
      stdin,
      stdout: {
        write: (s: string) => {
          stdout += s;
          events.push("row");
          firstRow();
          return true;
        },
      },
      stderr: { write: () => true },
      env: {},
    });
    stdin.write("a cat sits on the mat\n");
    await gotFirstRow;
    events.push("end of input");
    stdin.end("a dog runs\n");
    expect(await done).toBe(0);
    expect(events[0]).toBe("row");
    expect(events).toContain("end of input");
    expect(stdout).toBe(rows(await st.encode(["a cat sits on the mat", "a dog runs"])));
  });
});

/** An opener whose handles write through `write` (short writes, zero writes, ENOSPC) to real files. */
function injectedOpen(write: (real: FileHandleLike, buf: Uint8Array, off: number, len: number, pos: number | null | undefined, total: number) => Promise<{ bytesWritten: number }>) {
  return async (path: string, flags: string): Promise<FileHandleLike> => {
    const real = await open(path, flags);
    let total = 0;
    return {
      read: (b, o, l, p) => real.read(b, o, l, p),
      sync: () => real.sync(),
      close: () => real.close(),
      async write(buf, off, len, pos) {
        const r = await write(real, buf, off, len, pos, total);
        total += r.bytesWritten;
        return r;
      },
    };
  };
}

const runWith = async (args: string[], openFile: ReturnType<typeof injectedOpen>, stdin = JSONL) => {
  let stderr = "";
  const code = await run(args, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: { write: () => true },
    stderr: { write: (s: string) => ((stderr += s), true) },
    env: {},
    openFile,
  });
  return { code, stderr };
};

describe("output files are written completely or not at all", () => {
  const stopsAt = (limit: number) =>
    injectedOpen(async (real, buf, off, len, pos, total) => (total >= limit ? { bytesWritten: 0 } : real.write(buf, off, Math.min(len, limit - total), pos)));
  const noSpace = injectedOpen(async () => {
    throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
  });

  it.each([
    ["a write that stops making progress", stopsAt(1000), []],
    ["ENOSPC", noSpace, []],
    ["ENOSPC while spooling int8 rows", noSpace, ["--precision", "int8"]],
  ])("%s: exit 1 with WRITE_FAILED's message, no destination, no temporary file", async (_name, openFile, flags) => {
    const d = await freshDir();
    const out = join(d, "emb.jsonl");
    const r = await runWith(["encode", "-m", ST, "--chunk-size", "7", "-o", out, ...flags], openFile);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Could not write");
    expect(r.stderr).toContain("no partial file is kept");
    expect(await readdir(d)).toEqual([]);
  });

  it("short writes (7 bytes per call) still give the complete file", async () => {
    const d = await freshDir();
    const out = join(d, "emb.jsonl");
    const r = await runWith(["encode", "-m", ST, "--precision", "uint8", "-o", out], injectedOpen((real, buf, off, len, pos) => real.write(buf, off, Math.min(len, 7), pos)));
    expect(r).toEqual({ code: 0, stderr: "" });
    expect(await readFile(out, "utf8")).toBe(rows(await st.encode(TEXTS, { precision: "uint8" })));
    expect(await readdir(d)).toEqual(["emb.jsonl"]);
  });

  it("an input error in a late chunk of stdin leaves no file", async () => {
    const d = await freshDir();
    const r = await runCli(["encode", "-m", ST, "--chunk-size", "2", "--input-format", "jsonl", "-o", join(d, "emb.jsonl")], { stdin: JSONL + "{bad\n" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`<stdin>: line ${TEXTS.length + 1}: invalid JSON`);
    expect(await readdir(d)).toEqual([]);
  });
});

describe("an unusable -o fails before the model loads", () => {
  it('-o "" is a usage error (exit 2)', async () => {
    for (const cmd of ["encode", "tokenize"]) {
      const r = await runCli([cmd, "-m", MISSING_MODEL, "-o", ""], { stdin: "a\n" });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('sbert: --output "" names no file; pass a file name, or "-" (the default) for standard output\n');
    }
  });

  it("a missing folder, a folder as the destination, and a folder without write permission", async () => {
    const d = await freshDir();
    const missing = await runCli(["encode", "-m", MISSING_MODEL, "-o", join(d, "no-dir", "x.jsonl")], { stdin: "a\n" });
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('the folder "') });
    const isDir = await runCli(["tokenize", "-m", MISSING_MODEL, "-o", d], { stdin: "a\n" });
    expect(isDir).toMatchObject({ code: 1, stderr: expect.stringContaining("it is a folder") });
    // Root ignores permissions; the injected EACCES below covers the same path there.
    if (process.getuid?.() !== 0) {
      const locked = join(d, "locked");
      await mkdir(locked);
      await chmod(locked, 0o555);
      const r = await runCli(["encode", "-m", MISSING_MODEL, "-o", join(locked, "x.jsonl")], { stdin: "a\n" });
      expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining("EACCES") });
      await chmod(locked, 0o755);
    }
    const denied = await runWith(["encode", "-m", MISSING_MODEL, "-o", join(d, "x.jsonl")], async () => {
      throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(`cannot write "${join(d, "x.jsonl")}": EACCES`);
    expect(denied.stderr).not.toContain("no-such-model");
  });
});

describe("signals remove the temporary files", () => {
  /** The CLI from source in a child process, stdin left open until it is killed. */
  const child = (args: string[], cwd: string) =>
    spawn(process.execPath, ["--import", pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href, join(ROOT, "src/cli/main.ts"), ...args], { cwd, env: { ...process.env, SBERT_PROGRESS: "1", SBERT_KERNEL: "js" }, stdio: ["pipe", "pipe", "pipe"] });

  it.each([
    ["SIGINT", 130, []],
    ["SIGTERM", 143, ["--precision", "int8"]],
  ] as const)("%s: exit %i, neither the output nor a temporary file left", async (signal, status, flags) => {
    const d = await freshDir();
    const p = child(["encode", "-m", ST, "--input-format", "txt", "-o", "emb.jsonl", ...flags], d);
    let stderr = "";
    // the progress bar draws once the first chunk is encoded: the temp files exist by then
    const encoded = new Promise<void>((resolve) =>
      p.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes("encode  [")) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => p.on("exit", (code) => resolve(code)));
    p.stdin.write("a cat sits on the mat\n");
    await encoded;
    expect((await readdir(d)).some((f) => f.endsWith(".tmp"))).toBe(true);
    p.kill(signal);
    expect(await exited, stderr).toBe(status);
    expect(await readdir(d)).toEqual([]);
  }, 30_000);
});
