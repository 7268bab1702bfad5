/**
 * Helpers for the package tests: run npm (and node) as a user would, and make sure `dist/` is
 * built before it is packed.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (where package.json is). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment a user's shell would give npm: this process's, minus what an enclosing
 * `npm test` adds (`npm_*`, `INIT_CWD`: npm would read them as config, e.g. a leaked
 * `npm_config_onnxruntime_node_install`) and minus `ONNXRUNTIME_NODE_INSTALL*` (users do not
 * set them), plus `extra`. npm writes no debug log (`~/.npm/_logs`); its package cache stays the
 * user's, so that `--prefer-offline` installs from it.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === "INIT_CWD" || /^ONNXRUNTIME_NODE_INSTALL/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, npm_config_logs_max: "0", npm_config_update_notifier: "false", ...extra };
}

/** Runs `file args` in `cwd`; never rejects (the exit code is in the result). */
export function run(file: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; stdin?: string }): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: opts.cwd, env: opts.env, maxBuffer: 64 * 1024 * 1024, shell: process.platform === "win32" },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(opts.stdin ?? "");
  });
}

/** Runs npm with `args` in `cwd`. */
export function npm(args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<RunResult> {
  return run("npm", args, opts);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Compiles `dist/` (tsc -p tsconfig.build.json, as `npm run build` does) when it is missing or
 * older than a file under src/, so that `npm pack --ignore-scripts` packs the current sources.
 * It does not empty dist/ first (other test files may be running the built CLI); files left from
 * an older build are reported by the file-list test, and `npm run build` removes them.
 */
export function ensureBuiltDist(): void {
  const main = join(ROOT, "dist", "index.js");
  if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(ROOT, "src"))) return;
  try {
    execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "pipe" });
  } catch (e) {
    // tsc still emits on type errors elsewhere in the tree; only a missing entry point is fatal.
    if (!existsSync(main)) throw e;
  }
}
