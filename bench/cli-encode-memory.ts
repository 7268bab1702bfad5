/**
 * Peak memory of `sbert encode` on a long input: the streamed CLI against a baseline CLI (e.g. an
 * older checkout's src/cli/main.ts) on the same input, each in its own process under
 * `/usr/bin/time -v` (Linux), its output to a file.
 *
 *   npx tsx bench/cli-encode-memory.ts [--n 200000] [--model test/fixtures/st-bert-mean] [--baseline /path/to/old/src/cli/main.ts] [--extra "--precision int8"]
 *
 * Prints the peak RSS of each run, their ratio, and whether the outputs are byte-identical.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const ROOT = join(import.meta.dirname, "..");
const N = Number(arg("--n", "200000"));
const MODEL = arg("--model", join(ROOT, "test/fixtures/st-bert-mean"));
const BASELINE = arg("--baseline", "");
const EXTRA = arg("--extra", "").split(" ").filter((s) => s !== "");
const TSX = join(ROOT, "node_modules/tsx/dist/cli.mjs");

const WORDS = "the a cat dog sits runs on mat quickly slowly red blue house tree river over under big small".split(" ");
let seed = 7;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

const dir = mkdtempSync(join(tmpdir(), "sbert-mem-"));
try {
  const input = join(dir, "texts.txt");
  const lines: string[] = [];
  for (let i = 0; i < N; i++) lines.push(Array.from({ length: 3 + Math.floor(rnd() * 20) }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(" "));
  writeFileSync(input, lines.join("\n") + "\n");

  const measure = (label: string, main: string): { rssMb: number; seconds: number; out: Buffer } => {
    const out = join(dir, `${label}.jsonl`);
    const child = spawnSync("/usr/bin/time", ["-v", process.execPath, TSX, main, "encode", "-m", MODEL, "-i", input, "-o", out, ...EXTRA], {
      encoding: "utf8",
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, SBERT_KERNEL: "js", SBERT_PROGRESS: "0" },
    });
    if (child.status !== 0) throw new Error(`${label} failed: ${child.stderr}`);
    const report = child.stderr;
    const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(report)?.[1]);
    const wall = /Elapsed \(wall clock\) time \([^)]*\): (?:(\d+):)?(\d+):([\d.]+)/.exec(report);
    const seconds = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
    return { rssMb: kb / 1024, seconds, out: readFileSync(out) };
  };

  const ours = measure("streamed", join(ROOT, "src/cli/main.ts"));
  console.log(`${N} lines, ${MODEL} ${EXTRA.join(" ")}`);
  console.log(`streamed: peak RSS ${ours.rssMb.toFixed(1)} MB, ${ours.seconds.toFixed(1)} s, output ${(ours.out.length / 1e6).toFixed(1)} MB`);
  if (BASELINE) {
    const base = measure("baseline", BASELINE);
    console.log(`baseline: peak RSS ${base.rssMb.toFixed(1)} MB, ${base.seconds.toFixed(1)} s`);
    console.log(`peak RSS ratio streamed / baseline: ${(ours.rssMb / base.rssMb).toFixed(3)}; outputs byte-identical: ${ours.out.equals(base.out)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
