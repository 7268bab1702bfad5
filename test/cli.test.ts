import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatFloat32 } from "../src/cli/json-format.js";
import { CrossEncoder, SentenceTransformer, communityDetection, paraphraseMining, semanticSearch } from "../src/index.js";
import { runCli } from "./helpers/cli.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FIX = join(ROOT, "test/fixtures");
const ST = join(FIX, "st-bert-mean");
const CE = join(FIX, "ce-bert-1label");
const UTIL_MODEL = join(FIX, "util-st-bert-mean");
const TOL = 1e-5;

type Json = Record<string, unknown>;
const readJson = (path: string): Json => JSON.parse(readFileSync(path, "utf8")) as Json;
const stG = readJson(join(ST, "golden.json"));
const ceG = readJson(join(CE, "golden.json"));
const utilG = readJson(join(FIX, "util_goldens.json"));
const sentences = stG["sentences"] as string[];
const corpus = utilG["corpus"] as string[];
const queries = utilG["queries"] as string[];
const pairs = ceG["pairs"] as [string, string][];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured streams. */
const cli = (args: string[], stdin: string | Uint8Array = "", env: Record<string, string> = {}): Promise<Result> => runCli(args, { stdin, env });

/** Parses JSON Lines output. */
function lines<T = unknown>(out: string): T[] {
  expect(out === "" || out.endsWith("\n")).toBe(true);
  return out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as T);
}

function maxAbsDiff(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b);
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return Infinity;
  return a.reduce((m: number, x, i) => Math.max(m, maxAbsDiff(x, b[i])), 0);
}

/** CLI numbers read back as float32 must equal the library's float32 values bit for bit. */
function expectSameF32(got: unknown, want: ArrayLike<number> | unknown[]): void {
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  expect(flat(got).map(Math.fround)).toEqual(flat(Array.from(want as ArrayLike<number>)));
}

let dir: string;
const jsonl = (texts: readonly unknown[]) => texts.map((t) => JSON.stringify(t) + "\n").join("");
const file = async (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
};

let st: SentenceTransformer;
let utilModel: SentenceTransformer;
let ce: CrossEncoder;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sbert-cli-"));
  [st, utilModel, ce] = await Promise.all([SentenceTransformer.load(ST), SentenceTransformer.load(UTIL_MODEL), CrossEncoder.load(CE)]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sbert encode", () => {
  it("matches the golden embeddings (batch 4, within 1e-5) and the library exactly", async () => {
    const input = await file("sentences.jsonl", jsonl(sentences));
    const r = await cli(["encode", "--model", ST, "--input", input, "--batch-size", "4"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const got = lines<number[]>(r.stdout);
    expect(got).toHaveLength(sentences.length);
    expect(maxAbsDiff(got, stG["embeddings"])).toBeLessThanOrEqual(TOL);
    expectSameF32(got, (await st.encode(sentences, { batchSize: 4 })).data);
  });

  it("reads .txt, objects with a text field and auto-detected stdin alike", async () => {
    const texts = sentences.filter((s) => !/[\r\n]/.test(s));
    const want = (await st.encode(texts, { batchSize: 4 })).data;
    const txt = await file("plain.txt", texts.join("\r\n") + "\r\n");
    const objects = await file("objects.jsonl", jsonl(texts.map((text, id) => ({ id, text }))) + "\n\n");
    for (const args of [["--input", txt], ["--input", objects], [], ["--input", "-"]]) {
      const stdin = args.length === 0 ? texts.join("\n") : args[1] === "-" ? jsonl(texts) : "";
      const r = await cli(["encode", "-m", ST, "-b", "4", ...args], stdin);
      expect(r.code, r.stderr).toBe(0);
      expectSameF32(lines(r.stdout), want);
    }
  });

  it("stdin that is not all JSON strings/objects is plain text; --input-format forces a format", async () => {
    const r = await cli(["encode", "-m", ST], '"quoted"\n12\n');
    expectSameF32(lines(r.stdout), (await st.encode(['"quoted"', "12"])).data);
    const forced = await cli(["encode", "-m", ST, "--input-format", "txt"], '"quoted"\n');
    expectSameF32(lines(forced.stdout), (await st.encode(['"quoted"'])).data);
  });

  it("passes --normalize, --truncate-dim, --prompt-name, --prompt and --precision to encode", async () => {
    const input = await file("s.jsonl", jsonl(sentences));
    const cases: [string[], Parameters<SentenceTransformer["encode"]>[1]][] = [
      [["--normalize"], { normalizeEmbeddings: true }],
      [["--truncate-dim", "16", "--normalize"], { truncateDim: 16, normalizeEmbeddings: true }],
      [["--prompt-name", "query"], { promptName: "query" }],
      [["--prompt", "passage: "], { prompt: "passage: " }],
    ];
    for (const [flags, opts] of cases) {
      const r = await cli(["encode", "-m", ST, "-i", input, "-b", "4", ...flags]);
      expect(r.code, r.stderr).toBe(0);
      expectSameF32(lines(r.stdout), ((await st.encode(sentences, { batchSize: 4, ...opts })) as { data: Float32Array }).data);
    }
    const normalized = lines(await cli(["encode", "-m", ST, "-i", input, "-b", "4", "--normalize"]).then((r) => r.stdout));
    expect(maxAbsDiff(normalized, stG["embeddings_normalized"])).toBeLessThanOrEqual(TOL);
    const prompted = lines((await cli(["encode", "-m", ST, "-b", "4", "--prompt-name", "query"], jsonl(sentences.slice(1, 4)))).stdout);
    expect(maxAbsDiff(prompted, stG["encode_prompt_name_query_sentences_1_3"])).toBeLessThanOrEqual(TOL);
    for (const precision of ["int8", "uint8", "binary", "ubinary"] as const) {
      const r = await cli(["encode", "-m", ST, "-i", input, "-b", "4", "--precision", precision]);
      const got = lines<number[]>(r.stdout);
      expect(got.flat().every(Number.isInteger)).toBe(true);
      expect(got.flat()).toEqual(Array.from((await st.encode(sentences, { batchSize: 4, precision })).data));
    }
  });

  it("--output-value token_embeddings writes an array of token vectors per text", async () => {
    const r = await cli(["encode", "-m", ST, "--output-value", "token_embeddings"], jsonl(sentences.slice(1, 3)));
    const got = lines<number[][]>(r.stdout);
    expect(maxAbsDiff(got, stG["token_embeddings_for_sentences_1_2"])).toBeLessThanOrEqual(TOL);
    const lib = await st.encode(sentences.slice(1, 3), { outputValue: "token_embeddings" });
    got.forEach((m, i) => expectSameF32(m, lib[i]!.data));
  });

  it("--output writes the file atomically, leaving no temporary file", async () => {
    const out = join(dir, "out", "emb.jsonl");
    await mkdir(join(dir, "out"));
    const r = await cli(["encode", "-m", ST, "-o", out], jsonl(["a", "b"]));
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(lines(await readFile(out, "utf8"))).toHaveLength(2);
    const failed = await cli(["encode", "-m", join(dir, "missing-model"), "-o", out], jsonl(["c"]));
    expect(failed.code).toBe(1);
    expect(lines(await readFile(out, "utf8"))).toHaveLength(2); // untouched
    expect(await readdir(join(dir, "out"))).toEqual(["emb.jsonl"]);
  });
});

describe("sbert tokenize / predict / rank", () => {
  it("tokenize prints the truncated ids without padding", async () => {
    const r = await cli(["tokenize", "-m", ST, "--input", await file("tok.jsonl", jsonl(sentences))]);
    const expected = (stG["tokenization"] as { input_ids_truncated: number[] }[]).map((t) => t.input_ids_truncated);
    expect(lines(r.stdout)).toEqual(expected);
  });

  it("predict matches the golden scores and the library; several labels give arrays", async () => {
    const input = await file("pairs.jsonl", jsonl(pairs));
    const r = await cli(["predict", "-m", CE, "-i", input, "-b", "4"]);
    const got = lines<number>(r.stdout);
    expect(maxAbsDiff(got, ceG["scores_default_activation"])).toBeLessThanOrEqual(TOL);
    expectSameF32(got, (await ce.predict(pairs, { batchSize: 4 })) as Float32Array);
    const logits = lines<number>((await cli(["predict", "-m", CE, "-i", input, "--activation", "identity"])).stdout);
    expect(maxAbsDiff(logits, ceG["logits_identity_activation"])).toBeLessThanOrEqual(TOL);
    const three = await cli(["predict", "-m", join(FIX, "ce-bert-3label"), "-i", input]);
    const rows = lines<number[]>(three.stdout);
    expect(rows).toHaveLength(pairs.length);
    expect(rows.every((row) => Array.isArray(row) && row.length === 3)).toBe(true);
  });

  it("rank sorts like Python's CrossEncoder.rank", async () => {
    const docs = pairs.slice(0, 4).map((p) => p[1]);
    const expected = ceG["rank_query0_docs0to3"] as { corpus_id: number; score: number }[];
    const r = await cli(["rank", "-m", CE, "--query", pairs[0]![0], "-i", await file("docs.jsonl", jsonl(docs))]);
    const got = lines<{ corpus_id: number; score: number }>(r.stdout);
    expect(got.map((h) => h.corpus_id)).toEqual(expected.map((h) => h.corpus_id));
    expect(maxAbsDiff(got.map((h) => h.score), expected.map((h) => h.score))).toBeLessThanOrEqual(TOL);
    const top2 = await cli(["rank", "-m", CE, "-q", pairs[0]![0], "-k", "2", "--return-documents"], jsonl(docs));
    expect(lines(top2.stdout)).toEqual(got.slice(0, 2).map((h) => ({ ...h, text: docs[h.corpus_id] })));
  });
});

describe("sbert search / mine-paraphrases / cluster", () => {
  let corpusFile: string;
  beforeAll(async () => {
    corpusFile = await file("corpus.jsonl", jsonl(corpus));
  });

  it("search matches util.semantic_search (golden top_k=3, cos_sim and dot_score)", async () => {
    const queriesFile = await file("queries.txt", queries.join("\n"));
    type Hit = { corpus_id: number; score: number };
    for (const [fn, key] of [["cos_sim", "semantic_search_top_k_3_cos_sim"], ["dot_score", "semantic_search_top_k_3_dot_score"]]) {
      const r = await cli(["search", "-m", UTIL_MODEL, "--corpus", corpusFile, "--queries", queriesFile, "--top-k", "3", "-b", "8", "--score-function", fn!]);
      const got = lines<Hit[]>(r.stdout);
      const expected = utilG[key!] as Hit[][];
      expect(got.map((q) => q.map((h) => h.corpus_id))).toEqual(expected.map((q) => q.map((h) => h.corpus_id)));
      expect(maxAbsDiff(got.map((q) => q.map((h) => h.score)), expected.map((q) => q.map((h) => h.score)))).toBeLessThanOrEqual(TOL);
    }
    const lib = semanticSearch(await utilModel.encode(queries), await utilModel.encode(corpus));
    const r = await cli(["search", "-m", UTIL_MODEL, "--corpus", corpusFile, "--queries", "-"], queries.join("\n"));
    expect(lines<Hit[]>(r.stdout).map((q) => q.map((h) => [h.corpus_id, Math.fround(h.score)]))).toEqual(lib.map((q) => q.map((h) => [h.corpusId, h.score])));
  });

  it("mine-paraphrases matches util.paraphrase_mining (golden defaults, batch 8)", async () => {
    const r = await cli(["mine-paraphrases", "-m", UTIL_MODEL, "-i", corpusFile, "-b", "8"]);
    const got = lines<[number, number, number]>(r.stdout);
    const expected = utilG["paraphrase_mining_defaults"] as [number, number, number][];
    expect(got).toHaveLength(expected.length);
    const key = (p: [number, number, number]) => `${p[1]},${p[2]}`;
    expect(new Set(got.map(key))).toEqual(new Set(expected.map(key)));
    const expectedScore = new Map(expected.map((p) => [key(p), p[0]]));
    expect(Math.max(...got.map((p) => Math.abs(p[0] - expectedScore.get(key(p))!)))).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(got.map((p) => p[0]), expected.map((p) => p[0]))).toBeLessThanOrEqual(TOL);
    const lib = await paraphraseMining(utilModel, corpus, { batchSize: 8 });
    expect(got.map(([s, i, j]) => [Math.fround(s), i, j])).toEqual(lib);
    const top = await cli(["mine-paraphrases", "-m", UTIL_MODEL, "-i", corpusFile, "-b", "8", "--top-k", "2", "--max-pairs", "10"]);
    expect(lines<number[]>(top.stdout).map((p) => p.slice(1))).toEqual((utilG["paraphrase_mining_top_k_2_max_pairs_10"] as number[][]).map((p) => p.slice(1)));
  });

  it("cluster matches util.community_detection", async () => {
    const cd = utilG["community_detection"] as { threshold: number; min_community_size: number; communities: number[][] };
    const r = await cli(["cluster", "-m", UTIL_MODEL, "-i", corpusFile, "-b", "8", "--threshold", String(cd.threshold), "--min-community-size", String(cd.min_community_size)]);
    expect(lines(r.stdout)).toEqual(cd.communities);
    const lib = communityDetection(await utilModel.encode(corpus), {});
    expect(lines((await cli(["cluster", "-m", UTIL_MODEL, "-i", corpusFile])).stdout)).toEqual(lib);
  });
});

describe("bad input", () => {
  const expectFailure = (r: Result, code: number, ...parts: string[]) => {
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    expect(r.stderr.startsWith("sbert: ")).toBe(true);
    for (const p of parts) expect(r.stderr).toContain(p);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  it("usage errors exit 2", async () => {
    const input = await file("ok.jsonl", jsonl(["a"]));
    expectFailure(await cli(["encode", "--input", input]), 2, "--model");
    expectFailure(await cli(["encode", "-m", ST, "-i", input, "--truncate-dim", "1000"]), 2, "--truncate-dim 1000", "48");
    expectFailure(await cli(["encode", "-m", ST, "-i", input, "--batch-size", "0"]), 2, "--batch-size", "positive integer");
    expectFailure(await cli(["encode", "-m", ST, "-i", input, "--batch-size", "2.5"]), 2, "positive integer");
    expectFailure(await cli(["encode", "-m", ST, "-i", input, "--precision", "int4"]), 2, "int4", "float32, int8, uint8, binary, ubinary");
    expectFailure(await cli(["encode", "-m", ST, "-i", input, "--prompt-name", "nope"]), 2, '"nope"', '"query"');
    expectFailure(await cli(["encode", "-m", ST, "-i", input, "--prompt", "x", "--prompt-name", "query"]), 2, "cannot be used with");
    expectFailure(await cli(["encode", "-m", ST, "-i", input, "--output-value", "token_embeddings", "--normalize"]), 2, "token_embeddings");
    expectFailure(await cli(["cluster", "-m", ST, "-i", input, "--threshold", "high"]), 2, "--threshold");
    expectFailure(await cli(["search", "-m", ST, "--corpus", "-", "--queries", "-"]), 2, "standard input");
    expectFailure(await cli(["frobnicate"]), 2, "unknown command");
    expect(await cli([])).toMatchObject({ code: 2, stdout: "", stderr: expect.stringContaining("Usage: sbert") });
  });

  it("runtime errors exit 1 with a message naming the problem", async () => {
    const missing = join(dir, "missing.txt");
    expectFailure(await cli(["encode", "-m", ST, "-i", missing]), 1, missing, "does not exist");
    expectFailure(await cli(["encode", "-m", ST, "-i", await file("bad.jsonl", '"ok"\n{"text": \n')]), 1, "bad.jsonl", "line 2", "invalid JSON");
    expectFailure(await cli(["encode", "-m", ST, "-i", await file("num.jsonl", '"ok"\n42\n')]), 1, "line 2", '"text"');
    const latin1 = Buffer.from([0x6f, 0x6b, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]); // "ok\ncafé\n" in Latin-1
    expectFailure(await cli(["encode", "-m", ST, "-i", await file("latin1.txt", latin1)]), 1, "latin1.txt", "line 2", "UTF-8");
    expectFailure(await cli(["encode", "-m", ST], latin1), 1, "<stdin>", "UTF-8");
    expectFailure(await cli(["encode", "-m", join(dir, "no-such-model")], "a"), 1, "no-such-model", "does not exist");
    expectFailure(await cli(["encode", "-m", dir], "x"), 1, "cannot load the model");
    expectFailure(await cli(["predict", "-m", CE], jsonl(["not a pair"])), 1, "line 1", "[text_a, text_b]");
    expectFailure(await cli(["rank", "-m", join(FIX, "ce-bert-3label"), "-q", "q"], "doc"), 1, "one label", "sbert predict");
    expectFailure(await cli(["encode", "-m", ST, "-o", join(dir, "no-dir", "x.jsonl")], "a"), 1, "no-dir");
  });

  it("SBERT_DEBUG=1 adds the stack trace", async () => {
    const r = await cli(["encode", "-m", ST, "--truncate-dim", "1000"], "a", { SBERT_DEBUG: "1" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it("an empty input gives no output and exit 0 (an empty file with --output)", async () => {
    const empty = await file("empty.txt", "");
    for (const cmd of [["encode"], ["tokenize"], ["mine-paraphrases"], ["cluster"]]) {
      expect(await cli([...cmd, "-m", ST, "-i", empty])).toEqual({ code: 0, stdout: "", stderr: "" });
    }
    expect(await cli(["predict", "-m", CE, "-i", empty])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await cli(["rank", "-m", CE, "-q", "q", "-i", empty])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await cli(["search", "-m", ST, "--corpus", empty, "--queries", "-"], "q1\nq2\n")).toEqual({ code: 0, stdout: "[]\n[]\n", stderr: "" });
    const out = join(dir, "empty-out.jsonl");
    expect((await cli(["encode", "-m", ST, "-i", empty, "-o", out])).code).toBe(0);
    expect(await readFile(out, "utf8")).toBe("");
  });
});

describe("help, version and number format", () => {
  it("--help, <cmd> --help and --version exit 0", async () => {
    const version = readJson(join(ROOT, "package.json"))["version"];
    expect(await cli(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    for (const cmd of ["encode", "tokenize", "predict", "rank", "search", "mine-paraphrases", "cluster"]) {
      expect(help.stdout).toContain(cmd);
      const sub = await cli([cmd, "--help"]);
      expect(sub.code).toBe(0);
      expect(sub.stdout).toContain(`Usage: sbert ${cmd}`);
    }
    expect((await cli(["encode", "--help"])).stdout).toContain("plain text otherwise");
  });

  it("prints the shortest decimal that rounds back to the same float32", () => {
    expect(formatFloat32(Math.fround(0.1))).toBe("0.1");
    expect(formatFloat32(Math.fround(0.4928496181964874))).toBe("0.49284962");
    expect(formatFloat32(-2)).toBe("-2");
    expect(formatFloat32(NaN)).toBe("null");
    expect(formatFloat32(0.1)).toBe("0.1"); // not a float32 value: printed as a double
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    for (let i = 0; i < 20000; i++) {
      bits[0] = (Math.random() * 2 ** 32) >>> 0;
      const x = f[0]!;
      if (!Number.isFinite(x)) continue;
      const s = formatFloat32(x);
      expect(Math.fround(Number(s))).toBe(x);
      for (let p = 1; p <= 9; p++) {
        const v = Number(x.toPrecision(p));
        if (Math.fround(v) === x) {
          expect(s.length).toBeLessThanOrEqual(String(v).length);
          break;
        }
      }
    }
  });
});

describe("the built CLI (dist/cli/main.js) as a subprocess", () => {
  const MAIN = join(ROOT, "dist/cli/main.js");
  beforeAll(() => {
    const newest = (d: string): number =>
      Math.max(...readdirSync(d, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(d, e.name)) : statSync(join(d, e.name)).mtimeMs)));
    if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= newest(join(ROOT, "src"))) return;
    try {
      execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "pipe" });
    } catch (e) {
      // tsc still emits on type errors elsewhere in the tree; only a missing entry point is fatal.
      if (!existsSync(MAIN)) throw e;
    }
  }, 120_000);

  const node = (args: string[], stdin?: string) =>
    new Promise<Result>((resolve) => {
      const child = execFile(process.execPath, [MAIN, ...args], { cwd: dir, env: { ...process.env, SBERT_DEBUG: "" } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end(stdin ?? "");
    });

  it("starts with a shebang and prints its version", async () => {
    expect(readFileSync(MAIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const r = await node(["--version"]);
    expect(r).toEqual({ code: 0, stdout: `${readJson(join(ROOT, "package.json"))["version"]}\n`, stderr: "" });
  });

  it("encodes stdin to stdout like the golden file", async () => {
    const r = await node(["encode", "--model", ST, "--batch-size", "4"], jsonl(sentences));
    expect(r.code, r.stderr).toBe(0);
    expect(maxAbsDiff(lines(r.stdout), stG["embeddings"])).toBeLessThanOrEqual(TOL);
  });

  it("exits 2 on usage errors and 1 on runtime errors, message on stderr", async () => {
    const usage = await node(["encode", "--model", ST, "--batch-size", "0"], "a");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^sbert: .*--batch-size/);
    const runtime = await node(["encode", "--model", ST, "--input", "does-not-exist.txt"]);
    expect(runtime).toEqual({ code: 1, stdout: "", stderr: 'sbert: input file "does-not-exist.txt" does not exist\n' });
  });

  it("writes --output files", async () => {
    const r = await node(["tokenize", "-m", ST, "-o", "ids.jsonl"], "hello world\n");
    expect(r.code, r.stderr).toBe(0);
    expect(lines(await readFile(join(dir, "ids.jsonl"), "utf8"))).toEqual([Array.from(st.tokenize(["hello world"]).inputIds)]);
  });
});
