import { SbertError } from "../errors.js";
import type { ActivationName } from "../tensor/ops/elementwise.js";
import type { Tensor } from "../tensor/tensor.js";
import { type Attr, DataType, type GraphSpec, type NodeSpec, type TensorSpec, type TensorValues, type ValueInfo } from "./graph.js";

/**
 * Builds an ONNX graph one op at a time. Every op returns the name of its output, so graph code
 * reads like the forward pass it mirrors:
 *
 * @example
 * const b = new GraphBuilder("encoder");
 * const x = b.input("x", DataType.FLOAT, ["batch_size", 4]);
 * b.output(b.op("Relu", [x]), "y", DataType.FLOAT, ["batch_size", 4]);
 */
export class GraphBuilder {
  readonly name: string;
  readonly nodes: NodeSpec[] = [];
  readonly initializers = new Map<string, TensorSpec>();
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private scope = "";
  private counter = 0;
  private readonly constants = new Map<string, string>();

  constructor(name: string) {
    this.name = name;
  }

  input(name: string, elemType: DataType, dims: ReadonlyArray<number | string>): string {
    this.inputs.push({ name, elemType, dims });
    return name;
  }

  /** Declares `value` a graph output under `name` (renaming the value everywhere it is used). */
  output(value: string, name: string, elemType: DataType, dims: ReadonlyArray<number | string>): void {
    if (value !== name) {
      if (this.inputs.some((i) => i.name === value) || this.initializers.has(value) || this.outputs.some((o) => o.name === value)) {
        this.op("Identity", [value], {}, { output: name });
      } else {
        for (const n of this.nodes) {
          n.inputs = n.inputs.map((i) => (i === value ? name : i));
          n.outputs = n.outputs.map((o) => (o === value ? name : o));
        }
      }
    }
    this.outputs.push({ name, elemType, dims });
  }

  /** Runs `fn` with node and value names prefixed by `scope` (e.g. `encoder.layer.0.attention`). */
  inScope<T>(scope: string, fn: () => T): T {
    const saved = this.scope;
    this.scope = saved ? `${saved}/${scope}` : scope;
    try {
      return fn();
    } finally {
      this.scope = saved;
    }
  }

  private freshName(opType: string): string {
    return `/${this.scope ? `${this.scope}/` : ""}${opType}_${this.counter++}`;
  }

  /** Adds one node with a single output and returns that output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, opts: { domain?: string; output?: string } = {}): string {
    const [out] = this.opN(opType, inputs, 1, attrs, opts);
    return out as string;
  }

  /** Adds one node with `n` outputs. */
  opN(opType: string, inputs: readonly string[], n: number, attrs: Record<string, Attr> = {}, opts: { domain?: string; output?: string } = {}): string[] {
    const name = this.freshName(opType);
    const outputs = Array.from({ length: n }, (_, i) => (i === 0 && opts.output ? opts.output : `${name}_output_${i}`));
    this.nodes.push({ name, opType, domain: opts.domain ?? "", inputs: [...inputs], outputs, attrs });
    return outputs;
  }

  /** Adds an initializer; its name must be new. */
  tensor(name: string, dataType: DataType, dims: readonly number[], values: TensorValues): string {
    if (this.initializers.has(name)) throw new SbertError("INVALID_OPERATION", `ONNX export: initializer "${name}" defined twice`);
    this.initializers.set(name, { name, dataType, dims, values });
    return name;
  }

  /** A parameter tensor as an initializer named by its safetensors key (added once). */
  param(key: string, t: Tensor): string {
    if (!this.initializers.has(key)) this.tensor(key, DataType.FLOAT, t.shape, t.data);
    return key;
  }

  /** A small float32 constant, shared by every use of the same values. */
  constF32(values: readonly number[], dims: readonly number[] = []): string {
    return this.constant("f32", DataType.FLOAT, dims, values, () => Float32Array.from(values));
  }

  /** A small int64 constant (shapes, axes, indices), shared by every use of the same values. */
  constI64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant("i64", DataType.INT64, dims, values, () => BigInt64Array.from(values, (v) => BigInt(v)));
  }

  private constant(kind: string, type: DataType, dims: readonly number[], values: readonly number[], make: () => TensorValues): string {
    const key = `${kind}[${dims.join(",")}]:${values.join(",")}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = `const_${kind}_${this.constants.size}`;
    this.tensor(name, type, dims, make());
    this.constants.set(key, name);
    return name;
  }

  /** The finished graph, without nodes and initializers that no output depends on. */
  build(): GraphSpec {
    const needed = new Set(this.outputs.map((o) => o.name));
    const kept: NodeSpec[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i] as NodeSpec;
      if (!n.outputs.some((o) => needed.has(o))) continue;
      kept.push(n);
      for (const input of n.inputs) needed.add(input);
    }
    const initializers = new Map([...this.initializers].filter(([name]) => needed.has(name)));
    return { name: this.name, nodes: kept.reverse(), initializers, inputs: this.inputs, outputs: this.outputs };
  }
}

/** (out, in) row-major → (in, out), the layout ONNX MatMul wants for x · Wᵀ. */
export function transposed(w: Tensor): Float32Array {
  const [rows, cols] = [w.dim(0), w.dim(1)];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w.data[r * cols + c] as number;
  return out;
}

/**
 * `nn.Linear` as MatMul(x, Wᵀ) + b. The transposed weight is stored as `<key>.T`
 * (e.g. `encoder.layer.0.attention.self.query.weight.T`), the bias under its own key.
 */
export function linear(b: GraphBuilder, x: string, key: string, weight: Tensor, bias: Tensor | undefined): string {
  const wName = `${key}.weight.T`;
  if (!b.initializers.has(wName)) b.tensor(wName, DataType.FLOAT, [weight.dim(1), weight.dim(0)], transposed(weight));
  const y = b.op("MatMul", [x, wName]);
  return bias ? b.op("Add", [y, b.param(`${key}.bias`, bias)]) : y;
}

/** LayerNormalization over the last axis (opset 17). */
export function layerNorm(b: GraphBuilder, x: string, key: string, weight: Tensor, bias: Tensor, eps: number): string {
  return b.op("LayerNormalization", [x, b.param(`${key}.weight`, weight), b.param(`${key}.bias`, bias)], { axis: { i: -1 }, epsilon: { f: eps } });
}

/** An activation by our names; exact GELU is 0.5 · x · (1 + erf(x / √2)), as torch computes it. */
export function activation(b: GraphBuilder, x: string, name: ActivationName): string {
  switch (name) {
    case "identity":
      return x;
    case "relu":
      return b.op("Relu", [x]);
    case "tanh":
      return b.op("Tanh", [x]);
    case "sigmoid":
      return b.op("Sigmoid", [x]);
    case "silu":
      return b.op("Mul", [x, b.op("Sigmoid", [x])]);
    case "gelu": {
      const erf = b.op("Erf", [b.op("Div", [x, b.constF32([Math.SQRT2])])]);
      return b.op("Mul", [b.op("Mul", [x, b.op("Add", [erf, b.constF32([1])])]), b.constF32([0.5])]);
    }
    case "gelu_tanh": {
      const cube = b.op("Mul", [b.op("Mul", [x, x]), x]);
      const inner = b.op("Mul", [b.op("Add", [x, b.op("Mul", [cube, b.constF32([0.044715])])]), b.constF32([Math.sqrt(2 / Math.PI)])]);
      return b.op("Mul", [b.op("Mul", [x, b.constF32([0.5])]), b.op("Add", [b.op("Tanh", [inner]), b.constF32([1])])]);
    }
    case "quick_gelu":
      return b.op("Mul", [x, b.op("Sigmoid", [b.op("Mul", [x, b.constF32([1.702])])])]);
  }
}
