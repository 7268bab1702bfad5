import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the golden fixtures made by Python sentence-transformers (see test/fixtures/README_FIXTURES.md). */
export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

export type Golden = Record<string, unknown>;

export interface Fixture {
  name: string;
  dir: string;
  golden: Golden;
}

export function readGolden(dir: string): Golden {
  return JSON.parse(readFileSync(join(dir, "golden.json"), "utf8")) as Golden;
}

/** Every fixture folder with a golden.json (discovered, so new fixtures are tested without edits). */
export function allFixtures(): Fixture[] {
  return readdirSync(FIXTURES)
    .filter((n) => statSync(join(FIXTURES, n)).isDirectory() && existsSync(join(FIXTURES, n, "golden.json")))
    .sort()
    .map((name) => ({ name, dir: join(FIXTURES, name), golden: readGolden(join(FIXTURES, name)) }));
}

/**
 * Bi-encoder fixtures: a model folder whose golden holds `embeddings`. The CLIP fixtures (goldens
 * with `text_embeddings` / `image_embeddings`) are left out on purpose: their image rows need the
 * image preprocessing, so test/clip-model.golden.test.ts checks them; sparse encoders hold
 * `*sparse_embeddings` and are not picked either.
 */
export function biEncoderFixtures(): Fixture[] {
  return allFixtures().filter((f) => Array.isArray(f.golden["embeddings"]) && existsSync(join(f.dir, "config.json")));
}

/** Multi-vector (ColBERT) fixtures: a model folder whose golden holds per-token query embeddings. */
export function multiVectorFixtures(): Fixture[] {
  return allFixtures().filter((f) => Array.isArray(f.golden["query_token_embeddings"]) && existsSync(join(f.dir, "config.json")));
}

/** Sparse-encoder fixtures (SPLADE, inference-free): golden sparse rows instead of dense `embeddings`. */
export function sparseEncoderFixtures(): Fixture[] {
  return allFixtures().filter((f) => Object.keys(f.golden).some((k) => k.endsWith("sparse_embeddings")) && existsSync(join(f.dir, "modules.json")));
}

/** Cross-encoder fixtures: a model folder whose golden holds pair logits. */
export function crossEncoderFixtures(): Fixture[] {
  return allFixtures().filter((f) => Array.isArray(f.golden["pairs"]) && Array.isArray(f.golden["logits_identity_activation"]));
}

/** Training fixtures: golden `runs` with model folders `initial_model/` and `trained_model_*`. */
export function trainingFixtures(): Fixture[] {
  return allFixtures().filter((f) => Array.isArray(f.golden["runs"]) && existsSync(join(f.dir, "initial_model")));
}

/** Largest |a - b| over two equally shaped (nested) numeric arrays; Infinity on shape mismatch. */
export function maxAbsDiff(a: unknown, b: unknown): number {
  const fa = flatten(a);
  const fb = flatten(b);
  if (fa.length !== fb.length) return Infinity;
  let m = 0;
  for (let i = 0; i < fa.length; i++) {
    const x = fa[i] as number;
    const y = fb[i] as number;
    if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    if (x === y) continue;
    m = Math.max(m, Math.abs(x - y));
  }
  return m;
}

function flatten(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.flatMap(flatten);
  if (v && typeof v === "object" && "toArray" in v && typeof (v as { toArray: unknown }).toArray === "function") {
    return flatten((v as { toArray: () => unknown }).toArray());
  }
  throw new Error(`cannot flatten ${typeof v}`);
}
