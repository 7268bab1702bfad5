import { access } from "node:fs/promises";
import { join } from "node:path";
import { ParamStore } from "../architectures/params.js";
import { SbertError } from "../errors.js";
import { pickleWeightsError, readSafetensors, toFloat32Array } from "../io/safetensors.js";
import { Tensor } from "../tensor/tensor.js";

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Loads the floating-point tensors of `dir/model.safetensors` as named parameters (integer
 * buffers such as `position_ids` are skipped). A folder with only `pytorch_model.bin` is refused:
 * unpickling runs arbitrary code.
 */
export async function loadParamStore(dir: string, fileName = "model.safetensors"): Promise<ParamStore> {
  const path = join(dir, fileName);
  if (!(await exists(path))) {
    const pickle = join(dir, "pytorch_model.bin");
    if (await exists(pickle)) throw pickleWeightsError(pickle);
    throw new SbertError("FILE_NOT_FOUND", `${path} is missing; the model folder has no weights`);
  }
  const file = await readSafetensors(path);
  const tensors = new Map<string, Tensor>();
  for (const [name, record] of file) {
    if (record.dtype === "F32" || record.dtype === "F16" || record.dtype === "BF16" || record.dtype === "F64") {
      tensors.set(name, new Tensor(toFloat32Array(record), record.shape));
    }
  }
  return new ParamStore(tensors, path);
}
