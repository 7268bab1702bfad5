/** Hugging Face hub: model ids resolved through the cache shared with Python. */
export { resolveModelDir, hubLoadOptions } from "./model-dir.js";
export { downloadModel, type HubOptions, type ResolvedModel } from "./resolve.js";
export { hubEnv, type HubEnv } from "./env.js";
export { type DownloadProgress } from "./download-file.js";
export { progressBar, wantsProgressBar, type ProgressBarOptions } from "./progress.js";
