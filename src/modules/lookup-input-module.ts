import type { TextInput, TextTokenizer, TokenBatch, TokenRow } from "../tokenizers/text-tokenizer.js";
import { prepareInputs } from "../tokenizers/token-rows.js";

/**
 * The tokenizing half of an input module that only looks tokens up in a table (StaticEmbedding,
 * SparseStaticEmbedding): texts tokenized without special tokens, truncated to `maxSeqLength`,
 * padded to the longest row (padding is masked out), on the calling thread (a lookup costs less
 * than a thread hand-off), nothing to release.
 */
export abstract class LookupInputModule {
  readonly task = "feature-extraction";
  readonly computeThreads = 1;
  readonly tokenizer: TextTokenizer;
  abstract maxSeqLength: number;

  constructor(tokenizer: TextTokenizer) {
    this.tokenizer = tokenizer;
  }

  tokenize(inputs: readonly TextInput[]): TokenBatch {
    return this.padRows(this.tokenizeRows(inputs));
  }

  /** The unpadded rows: `encode_batch(texts, add_special_tokens=False)`. */
  tokenizeRows(inputs: readonly TextInput[]): TokenRow[] {
    return this.tokenizer.encodeRows(prepareInputs(inputs, false), { maxLength: this.maxSeqLength, addSpecialTokens: false });
  }

  tokenizeRowsInThread(inputs: readonly TextInput[]): Promise<TokenRow[]> {
    return Promise.resolve().then(() => this.tokenizeRows(inputs));
  }

  padRows(rows: readonly TokenRow[]): TokenBatch {
    return this.tokenizer.padRows(rows);
  }

  async dispose(): Promise<void> {}
}
