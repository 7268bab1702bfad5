/** Stand-in models for evaluator tests: fixed embeddings / scores per text, and a record of calls. */
import type { EncodeOptions } from "../../models/sentence-transformer.js";
import { DenseMatrix } from "../../tensor/dense.js";
import type { PairScorer, QueryDocumentEncoder } from "../evaluator.js";

export interface EncodeCall {
  kind: "encode" | "query" | "document";
  texts: readonly string[];
  opts: EncodeOptions;
}

/** Embeds each text as `vectors[text]` (throws for unknown texts), with the given similarity function. */
export class LookupEncoder implements QueryDocumentEncoder {
  readonly calls: EncodeCall[] = [];

  constructor(
    private readonly vectors: Readonly<Record<string, readonly number[]>>,
    readonly similarityFnName = "cosine",
  ) {}

  encode(texts: readonly string[], opts: EncodeOptions): Promise<DenseMatrix> {
    return this.embed("encode", texts, opts);
  }

  encodeQuery(texts: readonly string[], opts: EncodeOptions): Promise<DenseMatrix> {
    return this.embed("query", texts, opts);
  }

  encodeDocument(texts: readonly string[], opts: EncodeOptions): Promise<DenseMatrix> {
    return this.embed("document", texts, opts);
  }

  private embed(kind: EncodeCall["kind"], texts: readonly string[], opts: EncodeOptions): Promise<DenseMatrix> {
    this.calls.push({ kind, texts, opts });
    return Promise.resolve(
      DenseMatrix.fromRows(
        texts.map((t) => {
          const v = this.vectors[t];
          if (!v) throw new Error(`no vector for "${t}"`);
          return opts.truncateDim === undefined ? v : v.slice(0, opts.truncateDim);
        }),
      ),
    );
  }
}

/** Scores a pair as `scores[doc]` (one label) or `rows[doc]` (several labels). */
export class LookupScorer implements PairScorer {
  readonly calls: (readonly (readonly [string, string])[])[] = [];

  constructor(
    private readonly table: Readonly<Record<string, number | readonly number[]>>,
    readonly numLabels = 1,
  ) {}

  predict(pairs: readonly (readonly [string, string])[]): Promise<Float32Array | DenseMatrix> {
    this.calls.push(pairs);
    const value = (doc: string): number | readonly number[] => {
      const v = this.table[doc];
      if (v === undefined) throw new Error(`no score for "${doc}"`);
      return v;
    };
    if (this.numLabels === 1) return Promise.resolve(Float32Array.from(pairs, ([, d]) => value(d) as number));
    return Promise.resolve(DenseMatrix.fromRows(pairs.map(([, d]) => value(d) as readonly number[])));
  }
}
