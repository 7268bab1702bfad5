/**
 * The one "is something there" check. `pathExists` and `isFile` follow symbolic links, so a link whose target is gone
 * (a Hugging Face snapshot entry whose blob was deleted) counts as absent, and neither throws:
 * an unreadable parent folder answers false as well. `entryExists` does not follow them, for a
 * caller that must refuse a dangling link with its own message instead of calling the file missing.
 *
 * @example
 * if (await pathExists(join(dir, "modules.json"))) ...; // file or folder
 * if (await isFile(join(dir, "onnx", "model.onnx"))) ...; // a regular file only
 */
import { lstat, stat } from "node:fs/promises";

/** True when `path` names an existing file, folder or other entry (links followed). */
export async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** True when `path` names a regular file (links followed). */
export async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** True when anything, even a dangling symbolic link, is at `path` (links not followed). */
export async function entryExists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
