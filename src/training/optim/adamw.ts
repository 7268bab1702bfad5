import { SbertError } from "../../errors.js";
import { dropGrad, recycleGrad } from "../../tensor/autograd.js";
import { opKernels } from "../../tensor/op-kernels.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { ParameterGroup } from "../parameters.js";

export interface AdamWOptions {
  /** Learning rate (the schedule's base rate). */
  lr: number;
  /** (beta1, beta2), default (0.9, 0.999). */
  betas?: readonly [number, number];
  /** Added to the denominator, default 1e-8. */
  eps?: number;
  /** Decoupled weight decay for groups that do not set their own, default 0.01 (torch's default). */
  weightDecay?: number;
}

/** One optimizer group: its parameters, weight decay and current learning rate. */
export interface AdamWGroup {
  readonly params: readonly Tensor[];
  readonly weightDecay: number;
  /** Current learning rate; a scheduler rewrites it before each step. */
  lr: number;
  /** The rate the group started with (what a schedule multiplies). */
  readonly initialLr: number;
}

interface ParamState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
}

/**
 * Optimizer state (per parameter, in group order) for checkpoints: the moments stay float32
 * (`checkpoint.ts` writes them to safetensors as they are; a `number[]` copy of a 110M-parameter
 * model's moments would be ~1.8 GB of JS numbers). `loadStateDict` also takes plain arrays.
 */
export interface AdamWState {
  lrs: number[];
  params: Array<{ step: number; expAvg: Float32Array; expAvgSq: Float32Array } | null>;
}

/** What `loadStateDict` accepts: `AdamWState`, or the same with the moments as number arrays. */
export interface AdamWStateInput {
  lrs: readonly number[];
  params: ReadonlyArray<{ step: number; expAvg: ArrayLike<number>; expAvgSq: ArrayLike<number> } | null>;
}

/**
 * AdamW with PyTorch's semantics (`torch.optim.AdamW`, single-tensor path): per parameter with a
 * gradient, step t += 1, then
 *   p ← p · (1 − lr·wd)                               (decoupled weight decay)
 *   m ← m + (1 − β1)(g − m);  v ← β2·v + (1 − β2)·g²   (float32 state)
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (sqrt(v) / sqrt(1 − β2ᵗ) + eps)
 * Parameters whose `grad` is undefined are skipped entirely (no decay, no step), as torch does.
 *
 * @example
 * const opt = new AdamW(weightDecayGroups(named, 0.01), { lr: 2e-5 });
 * loss.backward(); opt.step(); opt.zeroGrad();
 */
export class AdamW {
  readonly groups: AdamWGroup[];
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly state = new Map<Tensor, ParamState>();

  constructor(params: readonly Tensor[] | readonly ParameterGroup[], opts: AdamWOptions) {
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    const eps = opts.eps ?? 1e-8;
    const wd = opts.weightDecay ?? 0.01;
    if (!(opts.lr >= 0)) throw new SbertError("INVALID_INPUT", `learning rate must be ≥ 0, got ${opts.lr}`);
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new SbertError("INVALID_INPUT", `betas must be in [0, 1), got (${b1}, ${b2})`);
    if (!(eps >= 0)) throw new SbertError("INVALID_INPUT", `eps must be ≥ 0, got ${eps}`);
    this.beta1 = b1;
    this.beta2 = b2;
    this.eps = eps;
    const groups: ParameterGroup[] = isGroupList(params) ? [...params] : [{ params: params as readonly Tensor[], weightDecay: wd, names: [] }];
    const seen = new Set<Tensor>();
    this.groups = groups.map((g) => {
      for (const p of g.params) {
        if (seen.has(p)) throw new SbertError("INVALID_INPUT", "a parameter appears in more than one optimizer group");
        seen.add(p);
      }
      return { params: g.params, weightDecay: g.weightDecay, lr: opts.lr, initialLr: opts.lr };
    });
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    const { beta1, beta2, eps } = this;
    for (const group of this.groups) {
      const { lr, weightDecay } = group;
      for (const p of group.params) {
        const g = p.grad;
        if (!g) continue;
        let st = this.state.get(p);
        if (!st) {
          st = { step: 0, expAvg: new Float32Array(p.size), expAvgSq: new Float32Array(p.size) };
          this.state.set(p, st);
        }
        st.step += 1;
        const stepSize = lr / (1 - beta1 ** st.step);
        const bc2Sqrt = Math.sqrt(1 - beta2 ** st.step);
        const decay = 1 - lr * weightDecay;
        // the element loop is opKernels().adamw (tensor/op-kernels.ts; native when the addon is loaded)
        opKernels().adamw(p.data, g, st.expAvg, st.expAvgSq, beta1, beta2, stepSize, bc2Sqrt, decay, eps);
      }
    }
  }

  /**
   * Drops every gradient of the optimized parameters (`set_to_none`, as torch) and any recycled
   * buffer. `recycle`: keep
   * the buffers for the next backward pass (`recycleGrad`), which overwrites them — what a
   * training loop wants; then do not hold on to a `.grad` array across the call.
   */
  zeroGrad(opts: { recycle?: boolean } = {}): void {
    for (const g of this.groups) {
      for (const p of g.params) {
        if (opts.recycle) recycleGrad(p);
        else dropGrad(p);
      }
    }
  }

  /** Sets every group's learning rate to its initial rate times `factor` (what schedulers call). */
  setLrFactor(factor: number): void {
    for (const g of this.groups) g.lr = g.initialLr * factor;
  }

  /** A copy of the optimizer state for a checkpoint (float32 moments, exact). */
  stateDict(): AdamWState {
    return {
      lrs: this.groups.map((g) => g.lr),
      params: this.groups.flatMap((g) =>
        g.params.map((p) => {
          const st = this.state.get(p);
          return st ? { step: st.step, expAvg: st.expAvg.slice(), expAvgSq: st.expAvgSq.slice() } : null;
        }),
      ),
    };
  }

  /** Restores `stateDict()` output onto the same parameters in the same group order. */
  loadStateDict(s: AdamWStateInput): void {
    const params = this.groups.flatMap((g) => g.params);
    if (s.params.length !== params.length || s.lrs.length !== this.groups.length) {
      throw new SbertError("INVALID_INPUT", `optimizer state holds ${s.params.length} parameters in ${s.lrs.length} groups, the optimizer has ${params.length} in ${this.groups.length}`);
    }
    this.state.clear();
    params.forEach((p, i) => {
      const st = s.params[i];
      if (!st) return;
      if (st.expAvg.length !== p.size || st.expAvgSq.length !== p.size) {
        throw new SbertError("INVALID_INPUT", `optimizer state of parameter ${i} has ${st.expAvg.length} values, the parameter ${p.size}`);
      }
      this.state.set(p, { step: st.step, expAvg: Float32Array.from(st.expAvg), expAvgSq: Float32Array.from(st.expAvgSq) });
    });
    this.groups.forEach((g, i) => (g.lr = s.lrs[i] as number));
  }
}

function isGroupList(x: readonly Tensor[] | readonly ParameterGroup[]): x is readonly ParameterGroup[] {
  return x.length > 0 && "weightDecay" in (x[0] as object);
}
