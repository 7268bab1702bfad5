#!/usr/bin/env node
/**
 * Builds the optional native GEMM kernel (native/ → native/build/Release/sbert_gemm.node) with the
 * node-gyp that npm bundles. npm runs it as the `install` script, both in a clone (`npm install`)
 * and when sbert-ts is installed as a dependency; it passes its node-gyp and its `nodedir` setting,
 * so the build works offline against the installed Node headers. To build (again) later:
 * `npm run build:native` in a clone, `npm rebuild sbert-ts --foreground-scripts` in a project that
 * depends on sbert-ts (when that project's `allowScripts` denies sbert-ts:
 * `npm explore sbert-ts -- npm run build:native`).
 *
 * It never fails the install: without a C compiler, Python or node-gyp it prints one line and the
 * library uses the JavaScript kernel. SBERT_REQUIRE_NATIVE=1 makes a failed build exit 1 (for CI
 * that must exercise the native kernel); SBERT_SKIP_NATIVE_BUILD=1 or SBERT_KERNEL=js skips it.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = join(root, "native");
const addon = join(nativeDir, "build", "Release", "sbert_gemm.node");
const required = process.env.SBERT_REQUIRE_NATIVE === "1";

function done(message, ok) {
  console.log(`sbert-ts: ${message}`);
  process.exit(ok || !required ? 0 : 1);
}

if (process.env.SBERT_SKIP_NATIVE_BUILD === "1" || process.env.SBERT_KERNEL === "js") {
  done("native GEMM kernel skipped (SBERT_SKIP_NATIVE_BUILD / SBERT_KERNEL=js); using the JavaScript kernel", true);
}
if (!existsSync(join(nativeDir, "binding.gyp"))) done("native/binding.gyp is missing; using the JavaScript kernel", false);

const nodeGyp = process.env.npm_config_node_gyp;
if (!nodeGyp || !existsSync(nodeGyp)) {
  done(
    "native GEMM kernel not built: run this through npm, which provides node-gyp (`npm run build:native` in a clone of sbert-ts, " +
      "`npm rebuild sbert-ts` in a project that depends on it); using the JavaScript kernel",
    false,
  );
}

const build = spawnSync(process.execPath, [nodeGyp, "rebuild", "--directory", nativeDir], {
  cwd: root,
  encoding: "utf8",
  timeout: 300_000,
  env: process.env,
});
if (build.status !== 0 || !existsSync(addon)) {
  const log = `${build.stdout ?? ""}${build.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
  if (log) console.log(log);
  done(`native GEMM kernel not built (${build.error?.message ?? `node-gyp exited ${build.status}`}); using the JavaScript kernel`, false);
}

// Load it in a child process and multiply one small matrix, so that a broken binary is caught here.
const check = spawnSync(
  process.execPath,
  [
    "-e",
    `const g = require(${JSON.stringify(addon)});
     const out = new Float32Array(2);
     g.gemmNT(new Float32Array([1, 2, 3]), new Float32Array([1, 0, 1, 0, 1, 0]), out, 1, 3, 2);
     if (out[0] !== 4 || out[1] !== 2) throw new Error("wrong product " + out);
     console.log(g.info().isa);`,
  ],
  { encoding: "utf8", timeout: 60_000 },
);
if (check.status !== 0) {
  done(`native GEMM kernel built but failed its check (${(check.stderr || check.stdout).trim().split("\n")[0]}); using the JavaScript kernel`, false);
}
done(`native GEMM kernel built (${check.stdout.trim()})`, true);
