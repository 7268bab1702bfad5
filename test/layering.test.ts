/**
 * The layering check (`npm run lint:deps`, .dependency-cruiser.cjs) must not pass silently: run
 * with the project's own config on tiny temporary trees, it fails on a cycle, an upward import,
 * the root barrel, an import of a subpath entry (src/training/index.ts, named by package.json
 * "exports") and server → training, and passes a tree that follows the layers.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DEPCRUISE = join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
const roots: string[] = [];

afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

/** Writes `files` (path below src/ → source) next to a copy of the config; returns the violated rule names. */
async function violations(files: Record<string, string>): Promise<{ rc: number; rules: string[]; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), "sbert-layering-"));
  roots.push(dir);
  await copyFile(join(ROOT, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
  await copyFile(join(ROOT, "package.json"), join(dir, "package.json")); // its "exports" name the subpath entries
  const tsconfig = { compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true }, include: ["src"] };
  await writeFile(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, "src", path)), { recursive: true });
    await writeFile(join(dir, "src", path), text);
  }
  // The command of `npm run lint:deps` (default `err` output: the exit code is the number of errors).
  return new Promise((resolve) => {
    execFile(process.execPath, [DEPCRUISE, "src", "--config", ".dependency-cruiser.cjs"], { cwd: dir }, (err, stdout) => {
      const rc = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ rc, rules: [...stdout.matchAll(/^\s*error (\S+):/gm)].map((m) => m[1] as string).sort(), output: stdout });
    });
  });
}

describe.concurrent("layering check (.dependency-cruiser.cjs)", () => {
  it("passes a tree that follows the layers", async () => {
    const { rc, rules, output } = await violations({
      "errors.ts": "export const E = 1;\n",
      "tensor/tensor.ts": 'import { E } from "../errors.js";\nexport const T = E;\n',
      "models/model.ts": 'import { T } from "../tensor/tensor.js";\nexport const M = T;\n',
      "training/trainer.ts": 'import { M } from "../models/model.js";\nexport const R = M;\n',
      "training/index.ts": 'export { R } from "./trainer.js";\n',
      "server/server.ts": 'import { M } from "../models/model.js";\nexport const S = M;\n',
      "cli/main.ts": 'import { S } from "../server/server.js";\nimport { R } from "../training/trainer.js";\nexport const C = S + R;\n',
      "index.ts": 'export { M } from "./models/model.js";\n',
    });
    expect(rules).toEqual([]);
    expect(output).toMatch(/no dependency violations found/);
    expect(rc).toBe(0);
  });

  it("fails on a cycle (through a type-only import), on upward and type-only upward imports, on the root barrel, on a subpath entry and on server → training", async () => {
    const { rc, rules } = await violations({
      "tensor/a.ts": 'import { B } from "./b.js";\nexport interface A { b: number }\nexport const AB = B;\n',
      "tensor/b.ts": 'import type { A } from "./a.js";\nexport const B = 1;\nexport type BA = A;\n',
      "tokenizers/t.ts": 'import type { M } from "../models/model.js";\nexport type T = M;\n',
      "models/model.ts": 'import { R } from "../training/trainer.js";\nexport type M = number;\nexport const MR = R;\n',
      "training/trainer.ts": "export const R = 1;\n",
      "training/index.ts": 'export { R } from "./trainer.js";\n',
      "cli/main.ts": 'import { R } from "../training/index.js";\nexport const C = R;\n',
      "server/server.ts": 'import { R } from "../training/trainer.js";\nimport { X } from "../index.js";\nexport const S = R + X;\n',
      "index.ts": "export const X = 1;\n",
    });
    expect(rc).toBe(rules.length);
    expect(rules).toEqual([
      "layer-models", // models → training
      "layer-tensor-tokenizers", // tokenizers → models (type-only)
      "no-circular", // tensor/a.ts → tensor/b.ts → (type-only) tensor/a.ts
      "no-public-entry", // cli/main.ts → training/index.ts
      "no-root-barrel",
      "server-is-inference",
    ]);
  });
});
