import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One measured configuration, run in its own process so load time and peak RSS are its own. */
export interface CaseResult {
  name: string;
  threads: number;
  items: number;
  seconds: number;
  loadMs: number;
  tokens: number;
  flops: number;
  peakRssMb: number;
  /** Share of padded positions in the batches our encode formed. */
  padding?: number;
  /** Time to tokenize the inputs once, as a share of the encode time. */
  tokenizeShare?: number;
  error?: string;
}

/** Runs `bench/<script> --case <name> ...args` in a child process and parses its JSON line. */
export async function runCase(script: string, name: string, args: string[]): Promise<CaseResult> {
  try {
    const { stdout } = await run(process.execPath, ["--import", "tsx", script, "--case", name, ...args], { maxBuffer: 1 << 26, timeout: 1_200_000 });
    const line = stdout.trim().split("\n").pop() ?? "{}";
    return JSON.parse(line) as CaseResult;
  } catch (e) {
    const msg = (e as { stderr?: string }).stderr?.trim().split("\n").slice(-3).join(" ") ?? (e as Error).message;
    return { name, threads: 0, items: 0, seconds: 0, loadMs: 0, tokens: 0, flops: 0, peakRssMb: 0, error: msg };
  }
}

/** Linear-layer FLOPs per token plus attention FLOPs (QKᵀ and PV) for a row padded to `t`. */
export function flopsPerToken(cfg: { hiddenSize: number; intermediateSize: number; numLayers: number }, t: number): number {
  const { hiddenSize: h, intermediateSize: ff, numLayers: l } = cfg;
  return l * (2 * (4 * h * h + 2 * h * ff) + 4 * t * h);
}

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] as string) : fallback;
}

/** Peak resident set size of this process in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** A fixed-width table row. */
export function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => String(c).padEnd(widths[i] ?? 12)).join(" ");
}
