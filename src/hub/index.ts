/**
 * `sbert-ts/hub`: Hugging Face hub model ids resolved through the cache shared with Python
 * (`HF_HOME`, `HF_HUB_CACHE`, `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE`). `load("org/name")` does
 * this by itself; these are for fetching ahead of time. Nothing here is imported from inside src/:
 * this file is the public entry only.
 */
export { resolveModelDir } from "./model-dir.js";
export { downloadModel, type HubOptions, type ResolvedModel } from "./resolve.js";
export { progressBar, type ProgressBarOptions } from "./progress.js";
export { hubEnv, type HubEnv } from "./env.js";
export type { DownloadProgress } from "./download-file.js";
