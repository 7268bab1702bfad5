/**
 * The keys of the options every model `load` takes (engine + hub), for the strict options check.
 * A key added to `BackendOptions` or `HubOptions` must be added here too (a compile error otherwise).
 */
import type { BackendOptions } from "../backends/backend.js";
import type { HubOptions } from "../hub/resolve.js";
import { optionKeys } from "../strict-options.js";

/** Every key of `BackendOptions & HubOptions`, to spread into a larger key record. */
export const MODEL_LOAD_KEY_RECORD: { [K in keyof Required<BackendOptions & HubOptions>]: true } = {
  backend: true,
  threads: true,
  onnxFile: true,
  onnxCache: true,
  revision: true,
  cacheDir: true,
  endpoint: true,
  token: true,
  offline: true,
  checkForUpdates: true,
  extraFiles: true,
  onProgress: true,
  env: true,
  fetch: true,
  lockStaleMs: true,
  maxRetries: true,
  retryBaseMs: true,
  etagTimeout: true,
  downloadTimeout: true,
};

/** `BackendOptions & HubOptions` keys: what `CrossEncoder.load` accepts. */
export const MODEL_LOAD_KEYS = optionKeys<BackendOptions & HubOptions>(MODEL_LOAD_KEY_RECORD);
