/**
 * GEMM kernel throughput: the JavaScript kernel (float64 accumulation) against the native kernel
 * (src/tensor/kernels-fast.ts), both measured in this run, on one thread unless --threads is given.
 * Shapes: one large product and the matmuls of a MiniLM-L6 forward pass (hidden 384, FFN 1536,
 * 6 layers) at batch 32 × 32 tokens (M = 1024 rows), plus the two backward products of each Linear.
 * GFLOP/s = 2·M·K·N / best time per call; % of peak against the measured fp32 FMA peak of one
 * core (bench/lib/peak.ts; pass --peak to give it).
 *
 *   npx tsx bench/gemm.ts [--threads N] [--peak GFLOPS] [--quick]
 */
import { cpus } from "node:os";
import { fastKernelInfo, loadFastKernel, setFastKernelThreads } from "../src/tensor/kernels-fast.js";
import { type GemmKernel, jsGemmKernel } from "../src/tensor/kernels.js";
import { peakNote, peakPerCore } from "./lib/peak.js";
import { rng } from "./lib/random.js";

interface Shape {
  name: string;
  /** "NT": out = a · bᵀ with b (N × K), the Linear layout; "NN": b (K × N). */
  op: "NT" | "NN";
  m: number;
  k: number;
  n: number;
  /** How many times a MiniLM-L6 forward runs it (0: not part of the forward). */
  perForward: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

const PEAK_GIVEN = process.argv.includes("--peak");
const PEAK = PEAK_GIVEN ? arg("--peak", 1) : peakPerCore().gflops;
const THREADS = arg("--threads", 1);
const QUICK = process.argv.includes("--quick");
const ROWS = 32 * 32;
const [H, FFN, LAYERS] = [384, 1536, 6];

const SHAPES: Shape[] = [
  { name: "[2048×384]·[384×1536]", op: "NT", m: 2048, k: 384, n: 1536, perForward: 0 },
  { name: "[2048×384]·[384×1536] (NN)", op: "NN", m: 2048, k: 384, n: 1536, perForward: 0 },
  { name: "q, k, v, attn-out  1024×384·384ᵀ", op: "NT", m: ROWS, k: H, n: H, perForward: 4 * LAYERS },
  { name: "FFN up  1024×384·1536ᵀ", op: "NT", m: ROWS, k: H, n: FFN, perForward: LAYERS },
  { name: "FFN down  1024×1536·384ᵀ", op: "NT", m: ROWS, k: FFN, n: H, perForward: LAYERS },
  { name: "backward dX (FFN up)  1024×1536·384", op: "NT", m: ROWS, k: FFN, n: H, perForward: 0 },
  { name: "backward dW (FFN up)  1536×1024·384", op: "NT", m: FFN, k: ROWS, n: H, perForward: 0 },
];

/** Best seconds per call: at least `minReps` calls and `minSeconds` of calls, after one warm-up. */
function time(kernel: GemmKernel, s: Shape, a: Float32Array, b: Float32Array, out: Float32Array, minReps: number, minSeconds: number): number {
  const call = (): void => (s.op === "NT" ? kernel.gemmNT(a, b, out, s.m, s.k, s.n) : kernel.gemmNN(a, b, out, s.m, s.k, s.n));
  call();
  let best = Infinity;
  const start = performance.now();
  for (let rep = 0; rep < minReps || performance.now() - start < minSeconds * 1e3; rep++) {
    const t0 = performance.now();
    call();
    best = Math.min(best, (performance.now() - t0) / 1e3);
  }
  return best;
}

const fast = loadFastKernel();
if (fast && THREADS !== 1) setFastKernelThreads(THREADS);
const info = fastKernelInfo();
console.log(`CPU: ${cpus()[0]?.model ?? "?"} · Node ${process.version} · ${PEAK_GIVEN ? `peak ${PEAK} GFLOP/s per core (--peak)` : peakNote()}`);
console.log(fast ? `native kernel: ${info?.isa}, ${info?.threads} thread(s)` : "native kernel: not available (npm run build:native); JS only");

const fmt = (x: number, d = 1): string => x.toFixed(d);
const rows: string[][] = [["shape", "JS GFLOP/s", "native GFLOP/s", "native / JS", "native % of peak"]];
let jsForward = 0;
let fastForward = 0;
let forwardFlops = 0;
const rand = rng(1);
for (const s of SHAPES) {
  const a = Float32Array.from({ length: s.m * s.k }, () => rand() * 2 - 1);
  const b = Float32Array.from({ length: s.k * s.n }, () => rand() * 2 - 1);
  const out = new Float32Array(s.m * s.n);
  const flops = 2 * s.m * s.k * s.n;
  const tJs = time(jsGemmKernel, s, a, b, out, QUICK ? 1 : 2, QUICK ? 0 : 1);
  const tFast = fast ? time(fast, s, a, b, out, 5, QUICK ? 0.2 : 1) : Number.NaN;
  const [gJs, gFast] = [flops / tJs / 1e9, flops / tFast / 1e9];
  rows.push([s.name, fmt(gJs), fast ? fmt(gFast) : "—", fast ? `${fmt(gFast / gJs)}×` : "—", fast ? `${fmt((100 * gFast) / (PEAK * THREADS), 0)}%` : "—"]);
  jsForward += s.perForward * tJs;
  fastForward += s.perForward * tFast;
  forwardFlops += s.perForward * flops;
}
if (fast) {
  const [gJs, gFast] = [forwardFlops / jsForward / 1e9, forwardFlops / fastForward / 1e9];
  rows.push([
    `MiniLM-L6 forward GEMMs (${fmt(forwardFlops / 1e9, 2)} GFLOP): ${fmt(jsForward * 1e3, 0)} ms → ${fmt(fastForward * 1e3, 0)} ms`,
    fmt(gJs),
    fmt(gFast),
    `${fmt(gFast / gJs)}×`,
    `${fmt((100 * gFast) / (PEAK * THREADS), 0)}%`,
  ]);
}

const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
for (const [i, r] of rows.entries()) {
  console.log(`| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(" | ")} |`);
  if (i === 0) console.log(`|${widths.map((w, c) => (c === 0 ? ":" : "-") + "-".repeat(w) + (c === 0 ? "-" : ":")).join("|")}|`);
}
