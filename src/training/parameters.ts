import { SbertError } from "../errors.js";
import type { NamedParameter } from "../tensor/named-parameter.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * Named parameters from a name → tensor map (a `ParamStore`'s `tensors`, a loss's own weights),
 * with an optional name prefix (`"classifier."`, ...). Insertion order is kept.
 *
 * @example
 * const params = namedParameters(store.tensors); // [{ name: "embeddings.word_embeddings.weight", tensor }, ...]
 */
export function namedParameters(tensors: ReadonlyMap<string, Tensor> | Iterable<readonly [string, Tensor]>, prefix = ""): NamedParameter[] {
  const out: NamedParameter[] = [];
  for (const [name, tensor] of tensors) out.push({ name: prefix + name, tensor });
  return out;
}

/** Sets `requiresGrad` on every parameter (`true` before training; `false` freezes them). */
export function setRequiresGrad(params: Iterable<NamedParameter | Tensor>, on = true): void {
  for (const p of params) tensorOf(p).requiresGrad = on;
}

/** Drops every gradient (PyTorch's `zero_grad(set_to_none=True)`). */
export function zeroGrad(params: Iterable<NamedParameter | Tensor>): void {
  for (const p of params) tensorOf(p).grad = undefined;
}

/**
 * True for parameters the Hugging Face trainer leaves out of weight decay: names containing
 * `bias`, `layernorm` or `rmsnorm` (case-insensitive), and the weights of LayerNorm modules,
 * which HF finds by type (`nn.LayerNorm`) and we by their checkpoint names
 * (`LayerNorm`, DistilBERT's `sa_layer_norm` / `output_layer_norm`, `...norm.weight`).
 */
export function isNoDecayParameter(name: string): boolean {
  const n = name.toLowerCase();
  return /bias|layernorm|rmsnorm|layer_norm|(^|[._])norm\.weight$/.test(n);
}

/** A set of parameters sharing optimizer settings (torch `param_groups`). */
export interface ParameterGroup {
  readonly params: readonly Tensor[];
  readonly weightDecay: number;
  /** Names in the same order as `params` (for logs and checkpoints). */
  readonly names: readonly string[];
}

/**
 * Splits parameters into a decayed and an undecayed group, as `Trainer.create_optimizer`:
 * `weightDecay` for the rest, 0 for biases and LayerNorm weights. With `decayAll` every parameter
 * decays, as `torch.optim.AdamW(model.parameters(), weight_decay=...)` (the training fixtures).
 * Empty groups are dropped; a name used twice is an error.
 */
export function weightDecayGroups(params: readonly NamedParameter[], weightDecay: number, opts: { decayAll?: boolean } = {}): ParameterGroup[] {
  if (!(weightDecay >= 0)) throw new SbertError("INVALID_INPUT", `weight decay must be ≥ 0, got ${weightDecay}`);
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.name)) throw new SbertError("INVALID_INPUT", `parameter "${p.name}" is listed twice`);
    seen.add(p.name);
  }
  if (opts.decayAll) return [{ params: params.map((p) => p.tensor), names: params.map((p) => p.name), weightDecay }];
  const decay = params.filter((p) => !isNoDecayParameter(p.name));
  const noDecay = params.filter((p) => isNoDecayParameter(p.name));
  const groups: ParameterGroup[] = [
    { params: decay.map((p) => p.tensor), names: decay.map((p) => p.name), weightDecay },
    { params: noDecay.map((p) => p.tensor), names: noDecay.map((p) => p.name), weightDecay: 0 },
  ];
  return groups.filter((g) => g.params.length > 0);
}

function tensorOf(p: NamedParameter | Tensor): Tensor {
  return "tensor" in p ? p.tensor : p;
}
