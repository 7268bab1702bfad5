import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * Starts the worker thread whose entry file is `name` (without extension) next to the module at
 * `here` (its `import.meta.url`). Compiled (dist/): `<name>.js`. From TypeScript sources (tests,
 * `tsx`): `<name>.ts`, loaded through tsx's loader registered inside the thread.
 */
export function startWorkerThread(here: string, name: string, workerData: unknown): Worker {
  // a worker inherits the process's flags; `--input-type` (node -e) would make loading its file fail
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));
  if (!here.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, here), { workerData, execArgv });
  const tsx = pathToFileURL(createRequire(here).resolve("tsx/esm/api")).href;
  const target = new URL(`./${name}.ts`, here).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(code, { eval: true, workerData, execArgv });
}
