import type { EncoderConfig } from "./config.js";
import type { FirstTokenHead } from "./encoder-layer.js";
import type { ArchOps } from "./ops.js";
import type { ParamStore } from "./params.js";

/** The weights an architecture reads: its own layout, plus the classifier head when the checkpoint has one. */
export interface ArchitectureWeights {
  head: FirstTokenHead | undefined;
}

/**
 * One architecture, written once: the checkpoint names and shapes it reads (`load`) and its
 * forward against the op interface (`forward`). Every engine runs this same definition — the
 * eager engine for native inference and training (`EagerEncoder`), the ONNX graph builder for the
 * onnx backend and `sbert export-onnx` (`onnx/graph-ops.ts`). Adding an architecture is a file
 * exporting one of these and a line in `registry.ts`.
 */
export interface Architecture<W extends ArchitectureWeights = ArchitectureWeights> {
  /** Rows of the position table before position 0 (padding_idx + 1 for RoBERTa-style position ids). */
  positionOffset(config: EncoderConfig): number;
  /** Reads and shape-checks the weights: `base` holds the encoder's (prefix stripped), `root` the whole checkpoint (task heads live outside the base prefix). */
  load(config: EncoderConfig, base: ParamStore, root: ParamStore): W;
  /** Whether the forward reads `token_type_ids` (the graph then takes that input; Optimum leaves it out otherwise). */
  usesTokenTypeIds(weights: W): boolean;
  /** The last hidden state (B, T, H). */
  forward<V, M>(o: ArchOps<V, M>, weights: W, config: EncoderConfig): V;
}
