import type { TextInput, TextTokenizer, TokenBatch, TokenRow } from "../tokenizers/text-tokenizer.js";
import type { PipelineModule } from "./module.js";

/**
 * The first module of a text pipeline, which turns texts into a `TokenBatch` (Python's
 * `InputModule`): the Transformer, or StaticEmbedding. `SentenceTransformer.encode`, training and
 * the batch planner ask these members and never the module's class.
 *
 * @example
 * const first = firstInputModule(modules, dir);
 * const out = await first.forward({ batch: first.tokenize(["a text"]) });
 */
export interface InputModule extends PipelineModule {
  readonly tokenizer: TextTokenizer;
  /** What the module outputs: embeddings, a classification head's logits, or masked-LM vocabulary logits per token. */
  readonly task: "feature-extraction" | "sequence-classification" | "fill-mask";
  /** Longest token sequence the module reads (`Infinity`: no truncation); setting it may be refused. */
  maxSeqLength: number;
  /** Threads the module's compute uses (the batch planner overlaps tokenizing only when a core is left). */
  readonly computeThreads: number;
  /** Tokenizes and pads a batch as `encode` does. */
  tokenize(inputs: readonly TextInput[]): TokenBatch;
  /** The unpadded rows `tokenize` pads. */
  tokenizeRows(inputs: readonly TextInput[]): TokenRow[];
  /** `tokenizeRows`, on a worker thread where the module has one. */
  tokenizeRowsInThread(inputs: readonly TextInput[]): Promise<TokenRow[]>;
  /** Pads rows from `tokenizeRows` into one batch. */
  padRows(rows: readonly TokenRow[]): TokenBatch;
  outputDimension(): number;
  /** Releases what the module holds (a runtime session, a thread); unusable afterwards. */
  dispose(): Promise<void>;
}

/** Whether `m` declares the input-module members (a tokenizer and `tokenizeRows`). */
export function isInputModule(m: PipelineModule | undefined): m is InputModule {
  const c = m as Partial<InputModule> | undefined;
  return c !== undefined && typeof c.tokenizeRows === "function" && typeof c.padRows === "function" && c.tokenizer !== undefined;
}
