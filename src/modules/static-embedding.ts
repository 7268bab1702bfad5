/**
 * StaticEmbedding: a tokenizer and one trained vector per token; a text's embedding is the mean of
 * its tokens' vectors (`nn.EmbeddingBag(mode="mean")`), with no encoder and no backend — the
 * static-retrieval-mrl / model2vec "potion" models. Ported from sentence-transformers
 * `sentence_transformers/sentence_transformer/modules/static_embedding.py` (5.x; formerly
 * `models/StaticEmbedding.py`): `preprocess` = `tokenizer.encode_batch(texts,
 * add_special_tokens=False)` with padding off, `forward` = `self.embedding(input_ids, offsets)`,
 * `max_seq_length` = `math.inf`, `save` = `model.safetensors` (`embedding.weight`) + tokenizer.json,
 * `load` = `embedding.weight`, or model2vec's `embeddings` folded with its optional `mapping` and
 * per-token `weights` (`_fold_model2vec_weights`).
 *
 * @example
 * const m = await StaticEmbedding.load("test/fixtures/st-static-embedding");
 * m.forward({ batch: m.tokenize(["a text"]) }).sentenceEmbedding; // (1, 32)
 */
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { type TensorRecord, readSafetensors, toNumbers } from "../io/safetensors.js";
import { embeddingBagMean } from "../tensor/ops/embedding.js";
import { Tensor } from "../tensor/tensor.js";
import { TextTokenizer } from "../tokenizers/text-tokenizer.js";
import type { InputModule } from "./input-module.js";
import type { Features, ModuleSaveOptions } from "./module.js";
import { LookupInputModule } from "./lookup-input-module.js";
import { writeModuleWeights } from "./module-files.js";
import { copyTokenizerFiles } from "./transformer-files.js";
import { loadParamStore } from "./weights.js";

/** The safetensors key of the table, as Python's `state_dict()` names it. */
const WEIGHT_KEY = "embedding.weight";

export class StaticEmbedding extends LookupInputModule implements InputModule {
  readonly typeName = "StaticEmbedding";
  /** (vocab, dim): row i is token i's vector; trainable. */
  readonly weight: Tensor;
  /** The folder the module was loaded from: `save` copies the tokenizer files from it. */
  readonly sourceDir: string;

  constructor(tokenizer: TextTokenizer, weight: Tensor, sourceDir: string) {
    super(tokenizer);
    if (weight.shape.length !== 2 || weight.dim(0) === 0 || weight.dim(1) === 0) {
      throw new SbertError("INVALID_MODEL_FILE", `${sourceDir}: the StaticEmbedding table must be 2-D (vocab, dim), got [${weight.shape.join(", ")}]`);
    }
    this.weight = weight;
    this.sourceDir = sourceDir;
  }

  /**
   * Reads tokenizer.json and `model.safetensors` of the module folder.
   * @throws SbertError FILE_NOT_FOUND (no tokenizer.json or weights), INVALID_MODEL_FILE (neither
   *   `embedding.weight` nor model2vec's `embeddings`, inconsistent mapping / weights)
   */
  static async load(dir: string): Promise<StaticEmbedding> {
    const [tokenizer, store] = await Promise.all([TextTokenizer.fromFolder(dir), loadParamStore(dir)]);
    if (store.has(WEIGHT_KEY)) return new StaticEmbedding(tokenizer, store.get(WEIGHT_KEY), dir);
    if (!store.has("embeddings")) {
      throw new SbertError("INVALID_MODEL_FILE", `${store.source} has neither "${WEIGHT_KEY}" (sentence-transformers) nor "embeddings" (model2vec); it is not a StaticEmbedding module`);
    }
    return new StaticEmbedding(tokenizer, await foldModel2vec(dir, store.get("embeddings"), store.tensors.get("weights")), dir);
  }

  /** Python's `max_seq_length` is `math.inf` (every token is read), unless tokenizer.json itself sets a truncation length. */
  get maxSeqLength(): number {
    return this.tokenizer.storedMaxLength ?? Number.POSITIVE_INFINITY;
  }

  /** Refused (INVALID_OPERATION): Python's StaticEmbedding has no max_seq_length to set. */
  set maxSeqLength(_n: number) {
    throw new SbertError("INVALID_OPERATION", "a StaticEmbedding model reads every token of a text (max_seq_length is inf in sentence-transformers) and cannot be given a maximum sequence length");
  }

  outputDimension(): number {
    return this.weight.dim(1);
  }

  /** None: Python's StaticEmbedding saves no config file. */
  getConfigDict(): undefined {
    return undefined;
  }

  /** `embedding.weight` (vocab, dim). */
  parameters(): ReadonlyMap<string, Tensor> {
    return new Map([[WEIGHT_KEY, this.weight]]);
  }

  /** Writes `model.safetensors` (`embedding.weight`, trained values included) and copies the tokenizer files. */
  async save(dir: string, opts: ModuleSaveOptions = {}): Promise<void> {
    await copyTokenizerFiles(opts.sourceDir ?? this.sourceDir, dir);
    await writeModuleWeights(dir, this.parameters());
  }


  /** `sentenceEmbedding` (batch, dim): the mean of each row's attended token vectors; an empty text gives zeros. */
  forward(features: Features): Features {
    const { batch } = features;
    const sentenceEmbedding = embeddingBagMean(this.weight, batch.inputIds, batch.attentionMask, batch.batchSize, batch.seqLen, {
      what: "token id",
      hint: "the tokenizer can produce ids past the StaticEmbedding table; tokenizer.json belongs to another model",
    });
    return { ...features, sentenceEmbedding };
  }
}

/**
 * model2vec's layout folded into one row per token id, as `_fold_model2vec_weights`:
 * row[id] = embeddings[mapping[id]] · weights[id] (float32), each factor optional.
 */
async function foldModel2vec(dir: string, embeddings: Tensor, weights: Tensor | undefined): Promise<Tensor> {
  const path = join(dir, "model.safetensors");
  if (embeddings.shape.length !== 2) throw new SbertError("INVALID_MODEL_FILE", `${path}: "embeddings" must be 2-D (rows, dim), got [${embeddings.shape.join(", ")}]`);
  const file = await readSafetensors(path);
  const mapping = file.has("mapping") ? toNumbers(file.get("mapping") as TensorRecord) : undefined;
  const [rows, dim] = [embeddings.dim(0), embeddings.dim(1)];
  const vocab = mapping?.length ?? rows;
  if (mapping?.some((r) => !(Number.isInteger(r) && r >= 0 && r < rows))) {
    throw new SbertError("INVALID_MODEL_FILE", `${path}: "mapping" points outside the ${rows} rows of "embeddings"`);
  }
  const w = weights?.data;
  if (w && w.length !== vocab) {
    throw new SbertError("INVALID_MODEL_FILE", `${path}: "weights" has ${w.length} values for ${vocab} tokens`);
  }
  const out = new Float32Array(vocab * dim);
  for (let id = 0; id < vocab; id++) {
    const src = mapping ? (mapping[id] as number) : id;
    const scale = w ? (w[id] as number) : 1;
    for (let j = 0; j < dim; j++) out[id * dim + j] = (embeddings.data[src * dim + j] as number) * scale;
  }
  return new Tensor(out, [vocab, dim]);
}
