/**
 * Load test of `sbert serve` with a real HTTP load generator (autocannon) on 127.0.0.1.
 *
 *   npx tsx bench/serve-load.ts [--model DIR] [--backend auto|native|onnx] [--threads N] [--duration S]
 *
 * Model: the test fixture st-bert-mean (tiny: the HTTP, JSON and queue overhead dominate, so the
 * ratio to the library is a worst case); `--model bench/models/minilm-l6` for a MiniLM-L6-sized
 * model (compute-bound; give it a longer --duration). Sentences: STS-B dev from ../shared/data when
 * present, else generated.
 *
 * Baseline, measured in the same run: the library called directly in this process
 * (`encode(texts, { batchSize: 32 })` and one text per call). The server runs as a child process
 * (`sbert serve`), so the load generator does not share its event loop.
 *
 * Phases: (1) one-input requests at 1, 8 and 64 connections: inputs/s, p50/p99 latency;
 * (2) 32-input requests at 8 connections: inputs/s vs the library's batch throughput;
 * (3) 10× overload, twice (32-input requests: compute-bound; 1-input requests: HTTP-bound): an
 * offered rate of 10× the capacity measured in (1)/(2), from 640 connections against
 * --max-concurrent-requests 64: share of 429s, p50/p99 of the accepted (200) requests, the
 * server's RSS sampled every 500 ms.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SentenceTransformer } from "../src/index.js";

interface AcResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}
interface AcInstance extends PromiseLike<AcResult> {
  on(event: "response", cb: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>) => AcInstance;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const MODEL = arg("model", join(ROOT, "test/fixtures/st-bert-mean"));
const BACKEND = arg("backend", "auto");
const THREADS = arg("threads", "1");
const DURATION = Number(arg("duration", "8"));
const MAX_CONCURRENT = 64;

function loadSentences(): string[] {
  const path = join(ROOT, "../shared/data/stsbenchmark/sts-dev.csv");
  if (existsSync(path)) {
    const all = readFileSync(path, "utf8").split("\n").filter(Boolean).flatMap((l) => l.split("\t").slice(5, 7));
    return all.filter((s) => s.length > 0).slice(0, 2000);
  }
  const words = ["the", "a", "man", "woman", "is", "playing", "guitar", "eating", "food", "in", "park", "dog", "runs", "fast", "cat", "sleeps"];
  return Array.from({ length: 2000 }, (_, i) => Array.from({ length: 5 + (i % 15) }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(" "));
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : "-");

async function libraryBaseline(texts: string[]): Promise<{ batched: number; single: number }> {
  const model = await SentenceTransformer.load(MODEL, { backend: BACKEND as "auto" });
  await model.encode(texts.slice(0, 64), { batchSize: 32 });
  let t = performance.now();
  await model.encode(texts.slice(0, 1024), { batchSize: 32 });
  const batched = 1024 / ((performance.now() - t) / 1000);
  t = performance.now();
  for (const s of texts.slice(0, 256)) await model.encode([s]);
  const single = 256 / ((performance.now() - t) / 1000);
  return { batched, single };
}

async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const args = ["--import", "tsx", "src/cli/main.ts", "serve", "--model", MODEL, "--port", "0", "--backend", BACKEND, "--threads", THREADS, "--max-concurrent-requests", String(MAX_CONCURRENT), "--auto-truncate"];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d: Buffer) => (log += d.toString("utf8")));
  const end = Date.now() + 120_000;
  while (!/sbert serve: ready/.test(log)) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stderr.write(log);
  return { child, port: Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log)?.[1]) };
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

async function load(port: number, bodies: string[], opts: Record<string, unknown>): Promise<{ result: AcResult; ok: number[] }> {
  const requests = bodies.map((body) => ({ method: "POST", path: "/embed", headers: { "content-type": "application/json" }, body }));
  const instance = autocannon({ url: `http://127.0.0.1:${port}`, requests, duration: DURATION, ...opts });
  const ok: number[] = [];
  instance.on("response", (_c, status, _b, ms) => {
    if (status === 200) ok.push(ms);
  });
  return { result: await instance, ok };
}

/** Offers 10× `capacity` requests/s from 640 connections; reports 429 share, accepted latency, RSS. */
async function overload(port: number, pid: number, label: string, bodies: string[], capacity: number): Promise<void> {
  const offered = Math.max(10, Math.round(capacity * 10));
  console.log(`\n10× overload, ${label}: offered ${offered} req/s = 10 × capacity ${f(capacity)} req/s, 640 connections, --max-concurrent-requests ${MAX_CONCURRENT}`);
  const rss: { t: number; mb: number }[] = [{ t: 0, mb: rssOf(pid) }];
  const t0 = Date.now();
  const timer = setInterval(() => rss.push({ t: (Date.now() - t0) / 1000, mb: rssOf(pid) }), 500);
  const { result: o, ok } = await load(port, bodies, { connections: 640, overallRate: offered, duration: DURATION * 2 });
  clearInterval(timer);
  rss.push({ t: (Date.now() - t0) / 1000, mb: rssOf(pid) });
  const total = Object.values(o.statusCodeStats).reduce((sum, c) => sum + c.count, 0);
  const n429 = o.statusCodeStats["429"]?.count ?? 0;
  const n200 = o.statusCodeStats["200"]?.count ?? 0;
  console.log(`responses ${total} (${f(total / (DURATION * 2))} /s): 200 ${n200} (${f(n200 / (DURATION * 2))} /s), 429 ${n429} (${f((100 * n429) / Math.max(1, total))} %), other ${total - n200 - n429}, errors ${o.errors}, timeouts ${o.timeouts}`);
  console.log(`accepted (200) latency: p50 ${f(pct(ok, 50), 0)} ms, p99 ${f(pct(ok, 99), 0)} ms; all responses p99 ${o.latency.p99} ms`);
  const peak = Math.max(...rss.map((r) => r.mb));
  console.log(`server RSS: start ${f(rss[0]?.mb ?? NaN)} MB, peak ${f(peak)} MB, end ${f(rss[rss.length - 1]?.mb ?? NaN)} MB`);
  console.log(`RSS over time (s: MB): ${rss.filter((_, i) => i % 4 === 0).map((r) => `${f(r.t, 0)}: ${f(r.mb, 0)}`).join(", ")}`);
}

async function main(): Promise<void> {
  const texts = loadSentences();
  console.log(`model ${MODEL} (backend ${BACKEND}, --threads ${THREADS}), ${texts.length} sentences, ${DURATION} s per phase`);
  const lib = await libraryBaseline(texts);
  console.log(`library in-process: ${f(lib.batched)} inputs/s (batchSize 32), ${f(lib.single)} inputs/s (one text per call)\n`);

  const { child, port } = await startServer();
  const pid = child.pid as number;
  try {
    const singles = texts.slice(0, 256).map((s) => JSON.stringify({ inputs: s }));
    await load(port, singles.slice(0, 32), { connections: 8, duration: 2 });
    console.log("| connections | inputs/request | inputs/s | vs library (same batching) | p50 ms | p99 ms | non-200 |");
    console.log("|---|---|---|---|---|---|---|");
    let capacity = 0;
    for (const connections of [1, 8, 64]) {
      const { result } = await load(port, singles, { connections });
      const rate = result.requests.average;
      if (connections === 64) capacity = rate;
      const base = connections === 1 ? lib.single : lib.batched;
      console.log(`| ${connections} | 1 | ${f(rate)} | ${f(rate / base, 2)}× ${connections === 1 ? "(one text per call)" : "(batchSize 32)"} | ${result.latency.p50} | ${result.latency.p99} | ${result.non2xx + result.errors} |`);
    }
    const batches = Array.from({ length: 32 }, (_, i) => JSON.stringify({ inputs: texts.slice(i * 32, i * 32 + 32) }));
    const { result: b } = await load(port, batches, { connections: 8 });
    console.log(`| 8 | 32 | ${f(b.requests.average * 32)} | ${f((b.requests.average * 32) / lib.batched, 2)}× (batchSize 32) | ${b.latency.p50} | ${b.latency.p99} | ${b.non2xx + b.errors} |`);

    await overload(port, pid, "32-input requests (compute-bound)", batches, b.requests.average);
    await overload(port, pid, "1-input requests (HTTP-bound: the tiny model computes faster than HTTP round trips)", singles, capacity);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    console.log(`after overload: /health ${health.status}`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

await main();
