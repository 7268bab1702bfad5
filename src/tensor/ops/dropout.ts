import { SbertError } from "../../errors.js";
import { accumulateGrad, needsGrad, record } from "../autograd.js";
import type { Rng } from "../random.js";
import { opKernels } from "../op-kernels.js";
import { Tensor } from "../tensor.js";
import { scratch32 } from "../arena.js";

/**
 * Inverted dropout, as `torch.nn.functional.dropout(x, p, training=True)`: each element is zeroed
 * with probability p and the survivors are scaled by 1 / (1 − p), drawing from the seeded `rng`.
 * p = 0 returns `x` itself (no draw, no copy): inference and dropout-free training are unchanged.
 * Backward: the same mask and scale applied to the gradient.
 */
export function dropout(x: Tensor, p: number, rng: Rng): Tensor {
  if (!(p >= 0 && p < 1)) throw new SbertError("INVALID_INPUT", `dropout probability must be in [0, 1), got ${p}`);
  if (p === 0) return x;
  const keep = 1 / (1 - p);
  const mask = scratch32(x.size);
  opKernels().dropoutMask(rng, mask, p, keep);
  const out = scratch32(x.size);
  opKernels().mul(x.data, mask, out);
  const y = new Tensor(out, x.shape);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => {
    const dx = scratch32(g.length);
    opKernels().mul(g, mask, dx);
    accumulateGrad(x, dx, true);
  });
}
