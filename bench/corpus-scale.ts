/**
 * Corpus-scale throughput, all measured in this run on the same input:
 *  1. `sbert encode` in one process (the baseline), then `sbert encode --queue` with 1, 2 and 3
 *     `sbert worker` processes on a redis-server started here (127.0.0.1, a free port); each
 *     queued output is checked byte-identical to the baseline's. Texts/s and the ratio to the
 *     baseline (worker start-up and model load included, as a user sees them).
 *  2. VectorIndex build (add) and query throughput per precision on the baseline's embeddings.
 *
 *   npx tsx bench/corpus-scale.ts [--n 20000] [--chunk 1000] [--model test/fixtures/st-bert-mean]
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { VectorIndex } from "../src/index/vector-index.js";
import { DenseMatrix } from "../src/tensor/dense.js";

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const ROOT = join(import.meta.dirname, "..");
const N = Number(arg("--n", "20000")), CHUNK = arg("--chunk", "1000");
const MODEL = arg("--model", join(ROOT, "test/fixtures/st-bert-mean"));
const LOADER = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const MAIN = join(ROOT, "src/cli/main.ts");
const ENV = { ...process.env, SBERT_PROGRESS: "0" };
const WORDS = "the a cat dog sits runs on mat quickly slowly red blue house tree river over under big small".split(" ");

const dir = mkdtempSync(join(tmpdir(), "sbert-scale-"));
const children: ChildProcess[] = [];
try {
  const input = join(dir, "corpus.txt");
  writeFileSync(input, Array.from({ length: N }, (_, i) => Array.from({ length: 4 + (i % 13) }, (_, j) => WORDS[(i * 7 + j * 5 + (i >> 3)) % WORDS.length]).join(" ")).join("\n") + "\n");
  const cli = (args: string[]): number => {
    const t = performance.now();
    const r = spawnSync(process.execPath, ["--import", LOADER, MAIN, ...args], { env: ENV, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (r.status !== 0) throw new Error(`sbert ${args.join(" ")} failed: ${r.stderr}`);
    return (performance.now() - t) / 1000;
  };
  const base = join(dir, "base.jsonl");
  const baseS = cli(["encode", "-m", MODEL, "-i", input, "-o", base]);
  const baseline = readFileSync(base);
  console.log(`n=${N} texts, ${MODEL}`);
  console.log(`single process      ${baseS.toFixed(1).padStart(6)} s  ${(N / baseS).toFixed(0).padStart(6)} texts/s  1.00×`);

  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  children.push(redis);
  await new Promise((r) => setTimeout(r, 500));
  const url = `redis://127.0.0.1:${port}`;
  for (const workers of [1, 2, 3]) {
    const out = join(dir, `queued-${workers}.jsonl`);
    const t = performance.now();
    const ws = Array.from({ length: workers }, () => spawn(process.execPath, ["--import", LOADER, MAIN, "worker", "--queue", url], { env: ENV, stdio: "ignore" }));
    children.push(...ws);
    const s = (cli(["encode", "-m", MODEL, "-i", input, "-o", out, "--queue", url, "--chunk-size", CHUNK]), (performance.now() - t) / 1000);
    for (const w of ws) w.kill("SIGTERM");
    const same = readFileSync(out).equals(baseline);
    console.log(`--queue, ${workers} worker${workers > 1 ? "s" : " "}  ${s.toFixed(1).padStart(6)} s  ${(N / s).toFixed(0).padStart(6)} texts/s  ${(baseS / s).toFixed(2)}×  byte-identical: ${same}`);
  }

  const rows = readFileSync(base, "utf8").trim().split("\n").map((l) => JSON.parse(l) as number[]);
  const emb = DenseMatrix.fromRows(rows);
  const queries = DenseMatrix.fromRows(rows.slice(0, 1000).map((r) => r.map((x, i) => x + ((i * 7919) % 13) * 1e-3)));
  for (const precision of ["float32", "int8", "binary"] as const) {
    const path = join(dir, `index-${precision}`);
    let t = performance.now();
    const index = await VectorIndex.create(path, { modelId: MODEL, dimension: emb.cols, precision });
    await index.add(Array.from({ length: emb.rows }, (_, i) => i), emb);
    await index.close();
    const buildS = (performance.now() - t) / 1000;
    const opened = await VectorIndex.open(path);
    t = performance.now();
    await opened.search(queries, { topK: 10 });
    const queryS = (performance.now() - t) / 1000;
    await opened.close();
    console.log(`index ${precision.padEnd(8)} build ${(emb.rows / buildS).toFixed(0).padStart(7)} rows/s   search ${(queries.rows / queryS).toFixed(0).padStart(6)} queries/s (top 10, rescore ×${precision === "float32" ? 1 : 4})`);
  }
} finally {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
