import { SbertError } from "../../errors.js";
import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { geluErf, geluErfGrad, geluTanh, geluTanhGrad } from "../math.js";
import { opKernels } from "../op-kernels.js";
import { Tensor, checkShape, shapeSize } from "../tensor.js";
import { scratch32 } from "../arena.js";

/**
 * The broadcasting rule of the binary elementwise ops (`add`, `sub`, `mul`): the two shapes are
 * equal, or one is a trailing part (a suffix) of the other and is repeated over the missing leading
 * dimensions — torch / numpy broadcasting restricted to absent leading dimensions. So a bias (H)
 * goes over (..., H), a (T, H) table over (B, T, H), a 0-d scalar (shape []) over anything, and the
 * result has the longer shape. Size-1 stretching (torch's (N, 1) against (N, D)) is not done; it
 * and every other pair is SHAPE_MISMATCH naming the op and both shapes. Backward: the repeated
 * operand's gradient is the output gradient summed over the leading dimensions it was repeated
 * over (float64 sums). Cost of the check: O(rank).
 *
 * @example
 * broadcastShape("add", Tensor.zeros([2, 3, 4]), Tensor.zeros([4])); // [2, 3, 4]
 * broadcastShape("add", Tensor.zeros([2, 3]), Tensor.zeros([3, 2])); // throws SHAPE_MISMATCH
 */
export function broadcastShape(op: string, a: Tensor, b: Tensor): readonly number[] {
  const [long, short] = a.shape.length >= b.shape.length ? [a.shape, b.shape] : [b.shape, a.shape];
  const lead = long.length - short.length;
  let ok = true;
  for (let i = 0; i < short.length; i++) if (long[lead + i] !== short[i]) ok = false;
  checkShape(ok, op, `shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] are neither equal nor one a trailing part of the other`);
  return long;
}

/**
 * The gradient of an operand of `size` values repeated over an output gradient `g` (the
 * `broadcastShape` rule): `g` itself when nothing was repeated, else Σ over the repeats (float64).
 */
function sumRepeats(g: ArrayLike<number>, size: number): ArrayLike<number> {
  if (g.length === size) return g; // also every empty case: a 0-sized suffix empties the long side too
  const d = new Float64Array(size);
  for (let o = 0; o < g.length; o += size) for (let j = 0; j < size; j++) d[j] = (d[j] as number) + (g[o + j] as number);
  return d;
}

/** a + b, equal shapes or one broadcast over the other's leading dimensions (`broadcastShape`). */
export function add(a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShape("add", a, b);
  const [ad, bd, am, bm] = [a.data, b.data, a.size, b.size];
  const out = scratch32(shapeSize(shape));
  if (am === bm) opKernels().add(ad, bd, out);
  else for (let i = 0; i < out.length; i++) out[i] = (ad[i % am] as number) + (bd[i % bm] as number);
  const y = new Tensor(out, shape);
  if (!needsGrad(a, b)) return y;
  return record(y, [a, b], (g) => {
    accumulateGrad(a, sumRepeats(g, am));
    accumulateGrad(b, sumRepeats(g, bm));
  });
}

/** a − b, equal shapes or one broadcast over the other's leading dimensions (`broadcastShape`). */
export function sub(a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShape("sub", a, b);
  const [ad, bd, am, bm] = [a.data, b.data, a.size, b.size];
  const out = scratch32(shapeSize(shape));
  if (am === bm) for (let i = 0; i < out.length; i++) out[i] = (ad[i] as number) - (bd[i] as number);
  else for (let i = 0; i < out.length; i++) out[i] = (ad[i % am] as number) - (bd[i % bm] as number);
  const y = new Tensor(out, shape);
  if (!needsGrad(a, b)) return y;
  return record(y, [a, b], (g) => {
    accumulateGrad(a, sumRepeats(g, am));
    if (b.requiresGrad) accumulateGrad(b, sumRepeats(g.map((v) => -v), bm), true);
  });
}

/**
 * a ⊙ b (elementwise product), equal shapes or one broadcast over the other's leading dimensions
 * (`broadcastShape`). `mul(x, x)` squares (both uses get a gradient).
 */
export function mul(a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShape("mul", a, b);
  const [ad, bd, am, bm] = [a.data, b.data, a.size, b.size];
  const out = scratch32(shapeSize(shape));
  if (am === bm) opKernels().mul(ad, bd, out);
  else for (let i = 0; i < out.length; i++) out[i] = (ad[i % am] as number) * (bd[i % bm] as number);
  const y = new Tensor(out, shape);
  if (!needsGrad(a, b)) return y;
  return record(y, [a, b], (g) => {
    if (a.requiresGrad) accumulateGrad(a, sumRepeats(g.map((v, i) => v * (bd[i % bm] as number)), am), true);
    if (b.requiresGrad) accumulateGrad(b, sumRepeats(g.map((v, i) => v * (ad[i % am] as number)), bm), true);
  });
}

/** |x| elementwise; the gradient at 0 is 0, as torch's sign(x). */
export function abs(x: Tensor): Tensor {
  const y = new Tensor(x.data.map(Math.abs), x.shape);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => accumulateGrad(x, g.map((v, i) => v * Math.sign(x.data[i] as number)), true));
}

/** x · s for a constant s. */
export function scale(x: Tensor, s: number): Tensor {
  const y = new Tensor(x.data.map((v) => v * s), x.shape);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => accumulateGrad(x, g.map((v) => v * s), true));
}

/** x + s for a constant s. */
export function addScalar(x: Tensor, s: number): Tensor {
  const y = new Tensor(x.data.map((v) => v + s), x.shape);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => accumulateGrad(x, g));
}

/** Elementwise activation functions by the names configs use. */
export type ActivationName =
  | "identity"
  | "gelu"
  | "gelu_tanh"
  | "relu"
  | "tanh"
  | "sigmoid"
  | "silu"
  // --- clipmodel ops ---
  /** x · sigmoid(1.702 x): transformers' `QuickGELUActivation` (CLIP's `hidden_act: quick_gelu`). */
  | "quick_gelu";

const scalarFns: Record<ActivationName, (x: number) => number> = {
  identity: (x) => x,
  gelu: geluErf,
  gelu_tanh: geluTanh,
  relu: (x) => (x > 0 ? x : 0),
  tanh: (x) => Math.tanh(x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  silu: (x) => x / (1 + Math.exp(-x)),
  quick_gelu: (x) => x / (1 + Math.exp(-1.702 * x)),
};

/** d activation / dx from the input x and the (float32) output y. */
const derivatives: Record<ActivationName, (x: number, y: number) => number> = {
  identity: () => 1,
  gelu: geluErfGrad,
  gelu_tanh: geluTanhGrad,
  relu: (x) => (x > 0 ? 1 : 0),
  tanh: (_x, y) => 1 - y * y,
  sigmoid: (_x, y) => y * (1 - y),
  silu: (x) => {
    const s = 1 / (1 + Math.exp(-x));
    return s * (1 + x * (1 - s));
  },
  // d/dx x·σ(ax) = σ(ax) + a·x·σ(ax)(1 − σ(ax)), a = 1.702
  quick_gelu: (x) => {
    const s = 1 / (1 + Math.exp(-1.702 * x));
    return s * (1 + 1.702 * x * (1 - s));
  },
};

/**
 * Applies a named activation elementwise; same shape out. `identity` returns `x` itself. The two
 * GELU forms run through `opKernels()` (native when the addon is loaded, the same numbers).
 */
export function activation(x: Tensor, name: ActivationName): Tensor {
  const f = scalarFns[name];
  if (name === "identity") return x;
  const out = scratch32(x.size);
  const isGelu = name === "gelu" || name === "gelu_tanh";
  if (isGelu) opKernels().geluForward(x.data, out, name === "gelu_tanh");
  else for (let i = 0; i < out.length; i++) out[i] = f(x.data[i] as number);
  const y = new Tensor(out, x.shape);
  if (!needsGrad(x)) return y;
  const df = derivatives[name];
  return record(y, [x], (g) => {
    if (!x.requiresGrad) return;
    const dx = scratch32(x.size);
    if (isGelu) opKernels().geluBackward(x.data, g, dx, name === "gelu_tanh");
    else for (let i = 0; i < dx.length; i++) dx[i] = (g[i] as number) * df(x.data[i] as number, out[i] as number);
    accumulateGrad(x, dx, true);
  });
}

/**
 * The one activation-name table. Reading: Hugging Face `hidden_act` values and the last part of
 * the class paths sentence-transformers stores (`torch.nn.modules.activation.Tanh`), lower-cased.
 */
const ACTIVATION_NAMES: Readonly<Record<string, ActivationName>> = {
  identity: "identity",
  linear: "identity",
  gelu: "gelu",
  gelu_python: "gelu",
  gelu_new: "gelu_tanh",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_fast: "gelu_tanh",
  relu: "relu",
  tanh: "tanh",
  sigmoid: "sigmoid",
  silu: "silu",
  swish: "silu",
  quick_gelu: "quick_gelu",
  quickgeluactivation: "quick_gelu",
};

/**
 * Writing: the torch module class of each activation, as Python's `fullname(module)` stores it
 * (Dense `activation_function`, a loss's `activation_fn`). `gelu_tanh` shares GELU's class: the
 * path cannot carry `approximate="tanh"`, so it reads back as `gelu`.
 */
const TORCH_ACTIVATION_CLASSES: Readonly<Record<ActivationName, string>> = {
  identity: "torch.nn.modules.linear.Identity",
  gelu: "torch.nn.modules.activation.GELU",
  gelu_tanh: "torch.nn.modules.activation.GELU",
  relu: "torch.nn.modules.activation.ReLU",
  tanh: "torch.nn.modules.activation.Tanh",
  sigmoid: "torch.nn.modules.activation.Sigmoid",
  silu: "torch.nn.modules.activation.SiLU",
  quick_gelu: "transformers.activations.QuickGELUActivation",
};

/** Our name for a config's activation (`gelu_new`, `torch.nn.modules.activation.Tanh`, `Tanh()`), or undefined. */
export function activationNameOf(raw: string): ActivationName | undefined {
  const short = raw.split(".").pop() ?? raw;
  return ACTIVATION_NAMES[short.replace(/\(\)$/, "").toLowerCase()];
}

/** `activationNameOf`, or UNSUPPORTED_FORMAT naming the accepted spellings. */
export function parseActivationName(raw: string): ActivationName {
  const name = activationNameOf(raw);
  if (!name) {
    throw new SbertError("UNSUPPORTED_FORMAT", `activation "${raw}" is not supported; supported: ${Object.keys(ACTIVATION_NAMES).join(", ")}`);
  }
  return name;
}

/**
 * The torch class path stored for `name`. A Python loader instantiates it without arguments, so it
 * computes `name` exactly only when `parseActivationName(torchActivationClass(name)) === name`.
 *
 * @example
 * torchActivationClass("tanh"); // "torch.nn.modules.activation.Tanh"
 */
export function torchActivationClass(name: ActivationName): string {
  return TORCH_ACTIVATION_CLASSES[name];
}
