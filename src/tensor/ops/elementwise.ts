import { SbertError } from "../../errors.js";
import { erf } from "../math.js";
import { Tensor, checkShape } from "../tensor.js";

/** a + b, same shapes. */
export function add(a: Tensor, b: Tensor): Tensor {
  checkShape(a.size === b.size, "add", `[${a.shape.join(", ")}] + [${b.shape.join(", ")}]`);
  const out = new Float32Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = (a.data[i] as number) + (b.data[i] as number);
  return new Tensor(out, a.shape);
}

/** Elementwise activation functions by the names configs use. */
export type ActivationName = "identity" | "gelu" | "gelu_tanh" | "relu" | "tanh" | "sigmoid" | "silu";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

const scalarFns: Record<ActivationName, (x: number) => number> = {
  identity: (x) => x,
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
  relu: (x) => (x > 0 ? x : 0),
  tanh: (x) => Math.tanh(x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  silu: (x) => x / (1 + Math.exp(-x)),
};

/** Applies a named activation elementwise; same shape out. */
export function activation(x: Tensor, name: ActivationName): Tensor {
  const f = scalarFns[name];
  if (name === "identity") return x;
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i] as number);
  return new Tensor(out, x.shape);
}

/**
 * Maps the activation names found in configs — Hugging Face `hidden_act` values and the
 * `torch.nn.modules.activation.Tanh`-style class paths sentence-transformers stores — to ours.
 */
export function parseActivationName(raw: string): ActivationName {
  const short = raw.split(".").pop() ?? raw;
  const key = short.replace(/\(\)$/, "").toLowerCase();
  const table: Record<string, ActivationName> = {
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
  };
  const name = table[key];
  if (!name) {
    throw new SbertError("UNSUPPORTED_FORMAT", `activation "${raw}" is not supported; supported: ${Object.keys(table).join(", ")}`);
  }
  return name;
}
