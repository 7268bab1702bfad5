/**
 * The two embedded ANN engines considered for src/index/, measured in one run on the same
 * vectors: usearch (HNSW, f32 / i8 / b1 storage) and hnswlib-node (HNSW, float32 only).
 * Vectors: n unit vectors in `dim` dimensions of intrinsic dimension 24 (as sentence embeddings
 * are); queries: 200 more from the same distribution. Reports build time,
 * queries per second (one thread), recall@10 against exact cosine search, and file size.
 *
 *   npm install --no-save hnswlib-node@3.0.0   # the comparison engine (a native build; not a dependency)
 *   npx tsx bench/index-engines.ts [--n 20000] [--dim 384]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normal, rng } from "./lib/random.js";

const require = createRequire(import.meta.url);
const usearch = require("usearch") as typeof import("usearch");
/** The part of hnswlib-node's API this comparison uses (it is installed for the run only). */
interface HnswlibIndex {
  initIndex(opts: { maxElements: number; m: number; efConstruction: number; randomSeed: number }): void;
  addPoint(point: number[], label: number): void;
  setEf(ef: number): void;
  searchKnn(query: number[], k: number): { neighbors: number[] };
  writeIndexSync(path: string): void;
}
let hnswlib: { HierarchicalNSW: new (space: "cosine", dim: number) => HnswlibIndex };
try {
  hnswlib = require("hnswlib-node") as typeof hnswlib;
} catch {
  console.error("hnswlib-node is not installed: npm install --no-save hnswlib-node@3.0.0");
  process.exit(1);
}

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("--n", 20000), DIM = arg("--dim", 384), Q = 200, K = 10;

/** Unit vectors of low intrinsic dimension, as sentence embeddings are: a 24-dim Gaussian latent projected by `proj` (24 × DIM), plus a little noise. */
function lowRank(rand: () => number, n: number, proj: Float32Array): Float32Array {
  const L = proj.length / DIM;
  const z = normal(rand, n * L, 1);
  const out = normal(rand, n * DIM, 0.02);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < DIM; d++) {
      let v = out[i * DIM + d]!;
      for (let l = 0; l < L; l++) v += z[i * L + l]! * proj[l * DIM + d]!;
      out[i * DIM + d] = v;
      norm += v * v;
    }
    for (let d = 0; d < DIM; d++) out[i * DIM + d]! /= Math.sqrt(norm);
  }
  return out;
}

const rand = rng(11);
const proj = normal(rand, 24 * DIM, 1 / Math.sqrt(DIM));
const corpus = lowRank(rand, N, proj);
const queries = lowRank(rand, Q, proj);

function exactTopK(): number[][] {
  const out: number[][] = [];
  for (let q = 0; q < Q; q++) {
    const s: [number, number][] = [];
    for (let i = 0; i < N; i++) {
      let d = 0;
      for (let j = 0; j < DIM; j++) d += queries[q * DIM + j]! * corpus[i * DIM + j]!;
      s.push([d, i]);
    }
    s.sort((a, b) => b[0] - a[0]);
    out.push(s.slice(0, K).map(([, i]) => i));
  }
  return out;
}
const truth = exactTopK();
const recall = (found: number[][]): number =>
  found.reduce((acc, f, q) => acc + f.filter((i) => truth[q]!.includes(i)).length, 0) / (Q * K);

const dir = mkdtempSync(join(tmpdir(), "sbert-engines-"));
const time = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const r = f();
  return [r, (performance.now() - t) / 1000];
};
const rows: string[] = [];
const report = (name: string, buildS: number, queryS: number, r: number, file: string): void => {
  rows.push(`${name.padEnd(28)} build ${buildS.toFixed(2)} s  ${(Q / queryS).toFixed(0).padStart(6)} q/s  recall@10 ${r.toFixed(3)}  file ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB`);
};

try {
  const keys = BigUint64Array.from({ length: N }, (_, i) => BigInt(i));
  for (const [label, metric, quant, k] of [
    ["usearch f32 cos", "cos", "f32", K],
    ["usearch i8 cos", "cos", "i8", K],
    ["usearch i8 cos (k×4)", "cos", "i8", 4 * K],
    ["usearch b1 hamming (k×4)", "hamming", "b1", 4 * K],
  ] as const) {
    const index = new usearch.Index({ dimensions: DIM, metric: metric as never, quantization: quant as never, connectivity: 16, expansion_add: 128, expansion_search: 64, multi: false });
    const [, b] = time(() => index.add(keys, corpus, 1));
    const [found, s] = time(() => {
      const out: number[][] = [];
      for (let q = 0; q < Q; q++) {
        const m = index.search(queries.subarray(q * DIM, (q + 1) * DIM), k, 1);
        const cand = Array.from(m.keys, Number);
        // rescore the candidates with float32 (what src/index/ does)
        cand.sort((x, y) => dot(q, y) - dot(q, x));
        out.push(cand.slice(0, K));
      }
      return out;
    });
    const file = join(dir, `${label.replace(/\W+/g, "-")}.usearch`);
    index.save(file);
    report(label, b, s, recall(found), file);
  }
  const h = new hnswlib.HierarchicalNSW("cosine", DIM);
  const [, b] = time(() => {
    h.initIndex({ maxElements: N, m: 16, efConstruction: 128, randomSeed: 100 });
    for (let i = 0; i < N; i++) h.addPoint(Array.from(corpus.subarray(i * DIM, (i + 1) * DIM)), i);
  });
  h.setEf(64);
  const [found, s] = time(() => Array.from({ length: Q }, (_, q) => h.searchKnn(Array.from(queries.subarray(q * DIM, (q + 1) * DIM)), K).neighbors));
  const file = join(dir, "hnswlib.bin");
  h.writeIndexSync(file);
  report("hnswlib-node f32 cosine", b, s, recall(found), file);
  console.log(`n=${N} dim=${DIM} queries=${Q} (one thread)\n${rows.join("\n")}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function dot(q: number, i: number): number {
  let d = 0;
  for (let j = 0; j < DIM; j++) d += queries[q * DIM + j]! * corpus[i * DIM + j]!;
  return d;
}
