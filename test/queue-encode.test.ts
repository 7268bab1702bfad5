/**
 * `sbert encode --queue` + `sbert worker` against a real redis-server: the one .ci/run installs
 * and starts on 127.0.0.1 (`SBERT_TEST_REDIS_URL`; its database is flushed first), else one started
 * here on a free 127.0.0.1 port, in a temp folder (the file skips, saying so, where the binary is absent). A producer and three worker processes encode a corpus while one worker is killed
 * with SIGKILL in the middle of a chunk: BullMQ's stalled-job check hands that chunk to another
 * worker, every chunk is written exactly once, and the merged file equals a single-process
 * `sbert encode` byte for byte. A producer killed mid-run and started again resumes: the chunks
 * already written are not redone.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { FIXTURES } from "./helpers/fixtures.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** tsx as a loader in the same process (its CLI wrapper would take the signals meant for sbert). */
const TSX_LOADER = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const MAIN = join(ROOT, "src/cli/main.ts");
const ST = join(FIXTURES, "st-bert-mean");
/** A Redis the CI script started, e.g. redis://127.0.0.1:6390. */
const EXTERNAL = process.env["SBERT_TEST_REDIS_URL"];
const REDIS = (() => {
  if (EXTERNAL) return "external";
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
})();
if (REDIS === "") console.warn("test/queue-encode.test.ts: skipped — redis-server is not installed (apt-get install -y redis-server)");

const WORDS = "the a cat dog sits runs on mat quickly slowly red blue house tree river over under big small".split(" ");
const N = 6000, CHUNK = 500;
const LINES = Array.from({ length: N }, (_, i) => JSON.stringify(Array.from({ length: 3 + (i % 11) }, (_, j) => WORDS[(i * 7 + j * 3 + (i >> 4)) % WORDS.length]).join(" ")));

let dir: string, input: string, reference: Buffer, url: string;
let redis: ChildProcess | undefined;
const children: ChildProcess[] = [];

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });

/** A CLI child process; `lines` collects its stderr lines, `exited` resolves to its exit code / signal. */
function sbert(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | string>; onLine: (f: (line: string) => void) => void } {
  const child = spawn(process.execPath, ["--import", TSX_LOADER, MAIN, ...args], { cwd: ROOT, env: { ...process.env, SBERT_PROGRESS: "0" }, stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  let buf = "";
  child.stderr!.on("data", (d: Buffer) => {
    buf += d.toString("utf8");
    for (let nl = buf.indexOf("\n"); nl !== -1; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const f of listeners) f(line);
    }
  });
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? "?")));
  return { child, lines, exited, onLine: (f) => listeners.push(f) };
}

const worker = () => sbert(["worker", "--queue", url, "--lock-ms", "8000"]);
const producer = (out: string) => sbert(["encode", "-m", ST, "--backend", "native", "-i", input, "-o", out, "--chunk-size", String(CHUNK), "--queue", url]);
/** chunk numbers (1-based) a worker's log says it started / wrote. */
const chunksIn = (lines: string[], what: "started" | "written"): number[] =>
  lines.flatMap((l) => {
    const m = new RegExp(`chunk (\\d+)/\\d+ ${what}`).exec(l);
    return m ? [Number(m[1])] : [];
  });

describe.skipIf(REDIS === "")("sbert encode --queue with sbert worker on a real Redis", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sbert-queue-"));
    input = join(dir, "corpus.jsonl");
    await writeFile(input, LINES.join("\n") + "\n");
    if (EXTERNAL) {
      url = EXTERNAL;
      const { Redis } = await import("ioredis");
      const client = new Redis(url, { maxRetriesPerRequest: 3 });
      await client.flushdb();
      client.disconnect();
    } else {
      const port = await freePort();
      url = `redis://127.0.0.1:${port}`;
      redis = spawn(REDIS, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
    }
    // the reference is a single-process `sbert encode` in a process like the workers' (same kernel)
    const ref = join(dir, "reference.jsonl");
    const single = sbert(["encode", "-m", ST, "--backend", "native", "-i", input, "-o", ref]);
    expect(await single.exited, single.lines.join("\n")).toBe(0);
    reference = await readFile(ref);
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    redis?.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  });

  it("three workers, one killed with SIGKILL mid-chunk: every chunk written once, output byte-identical to sbert encode", async () => {
    const out = join(dir, "queued.jsonl");
    const workers = [worker(), worker(), worker()];
    let killed: { pid: number; chunk: number } | undefined;
    for (const w of workers) {
      w.onLine((line) => {
        const m = /chunk (\d+)\/\d+ started/.exec(line);
        if (m && killed === undefined) {
          killed = { pid: w.child.pid!, chunk: Number(m[1]) };
          w.child.kill("SIGKILL");
        }
      });
    }
    const p = producer(out);
    expect(await p.exited, p.lines.join("\n")).toBe(0);
    expect(killed).toBeDefined();
    const victim = workers.find((w) => w.child.pid === killed!.pid)!;
    expect(await victim.exited).toBe("SIGKILL");
    expect(chunksIn(victim.lines, "written")).toEqual([]); // killed before it wrote anything
    const written = workers.flatMap((w) => chunksIn(w.lines, "written")).sort((a, b) => a - b);
    expect(written).toEqual(Array.from({ length: N / CHUNK }, (_, i) => i + 1)); // each chunk once, the killed one included
    expect((await readFile(out)).equals(reference)).toBe(true);
    expect((await readdir(dir)).filter((n) => n.startsWith("queued.jsonl.parts"))).toEqual([]); // the work folder is removed
    for (const w of workers.filter((w) => w !== victim)) w.child.kill("SIGTERM");
    for (const w of workers.filter((w) => w !== victim)) expect(await w.exited).toBe(0);
  }, 180_000);

  it("a producer killed mid-run and started again resumes: written chunks are not redone", async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL"); // no worker of an earlier test takes these jobs
    const out = join(dir, "resumed.jsonl");
    const first = producer(out);
    const w1 = worker();
    // stop both after 4 chunks: the worker finishes its chunk (SIGTERM), the producer dies (SIGKILL)
    await new Promise<void>((resolve) =>
      w1.onLine(() => {
        if (chunksIn(w1.lines, "written").length >= 4) resolve();
      }),
    );
    first.child.kill("SIGKILL");
    w1.child.kill("SIGTERM");
    expect(await w1.exited).toBe(0);
    const before = chunksIn(w1.lines, "written");
    const parts = (await readdir(`${out}.parts`)).filter((n) => n.startsWith("chunk-"));
    expect(parts.length).toBe(before.length);
    const again = producer(out);
    const w2 = worker();
    expect(await again.exited, again.lines.join("\n")).toBe(0);
    const after = chunksIn(w2.lines, "written");
    expect([...before, ...after].sort((a, b) => a - b)).toEqual(Array.from({ length: N / CHUNK }, (_, i) => i + 1));
    expect((await readFile(out)).equals(reference)).toBe(true);
    w2.child.kill("SIGTERM");
    expect(await w2.exited).toBe(0);
  }, 180_000);

  it("usage errors: stdin input, int8, a URL that is not redis://", async () => {
    const out = join(dir, "x.jsonl");
    expect((await runCli(["encode", "-m", ST, "-i", "-", "-o", out, "--queue", url])).code).toBe(2);
    expect((await runCli(["encode", "-m", ST, "-i", input, "-o", out, "--queue", url, "--precision", "int8"])).code).toBe(2);
    const bad = await runCli(["encode", "-m", ST, "-i", input, "-o", out, "--queue", "http://127.0.0.1:1"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("redis://");
  });
});
