/**
 * The entry point the model classes use: a folder path is used as is, anything else that looks
 * like `org/name` goes to the hub. The hub client (and `@huggingface/hub`) is imported only then,
 * so loading a local folder costs nothing extra.
 *
 * @example
 * const dir = await resolveModelDir("sentence-transformers/all-MiniLM-L6-v2"); // …/snapshots/<commit>
 * await resolveModelDir("./my-model"); // "./my-model"
 */
import { SbertError } from "../errors.js";
import { pathExists } from "../io/exists.js";
import { looksLikeRepoId } from "./names.js";
import type { HubOptions } from "./resolve.js";

/**
 * A model folder for `nameOrPath`: an existing path is returned as is; otherwise it must be a hub
 * id `org/name`, resolved with `downloadModel`.
 * @throws SbertError FILE_NOT_FOUND (a path that does not exist), INVALID_INPUT (a malformed id),
 *   NOT_FOUND_ON_HUB, HUB_ACCESS_DENIED, NETWORK_ERROR, OFFLINE
 */
export async function resolveModelDir(nameOrPath: string, opts: HubOptions = {}): Promise<string> {
  if (typeof nameOrPath !== "string" || nameOrPath === "") throw new SbertError("INVALID_INPUT", "a model folder or Hugging Face model id (org/name) is required");
  if (await pathExists(nameOrPath)) return nameOrPath;
  if (!looksLikeRepoId(nameOrPath)) {
    const hint = nameOrPath.includes("/") ? "" : ' (a Hugging Face model id has the form "org/name")';
    throw new SbertError("FILE_NOT_FOUND", `model folder "${nameOrPath}" does not exist${hint}`);
  }
  const { downloadModel } = await import("./resolve.js");
  try {
    return (await downloadModel(nameOrPath, opts)).dir;
  } catch (e) {
    if (e instanceof SbertError && ["INVALID_INPUT", "NOT_FOUND_ON_HUB", "OFFLINE", "NETWORK_ERROR"].includes(e.code)) {
      throw new SbertError(e.code, `${e.message} (and no local folder "${nameOrPath}" exists)`, { cause: e });
    }
    throw e;
  }
}

/**
 * The hub options within a model's load options. With `backend: "onnx"` (or an explicit
 * `onnxFile`) the ONNX file the backend reads (default `model.onnx`) is fetched instead of the
 * Transformer's safetensors weights.
 */
export function hubLoadOptions(opts: HubOptions & { backend?: string; onnxCache?: string | false }): HubOptions {
  const { backend, onnxFile, onnxCache: _engineOnly, ...hub } = opts;
  if (backend === "onnx" || onnxFile !== undefined) return { ...hub, onnxFile: onnxFile ?? "model.onnx" };
  return hub;
}
