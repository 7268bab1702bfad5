import type { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import type { EncoderConfig } from "./config.js";
import type { Architecture, ArchitectureWeights } from "./definition.js";
import { EagerOps } from "./eager-ops.js";
import { firstTokenHead } from "./encoder-layer.js";
import { DropoutState, type Encoder, type EncoderBatch } from "./encoder.js";
import { checkSequenceLength, noClassifier, sequenceLimit } from "./layers.js";
import { hasMlmHead, loadMlmHead, mlmHead, type MlmHeadWeights } from "./mlm-head.js";
import type { ParamStore } from "./params.js";

/** An architecture's definition run by the eager engine over a checkpoint: native inference and training. */
export class EagerEncoder<W extends ArchitectureWeights> implements Encoder {
  readonly config: EncoderConfig;
  readonly params: ParamStore;
  readonly maxSequenceLength: number;
  private readonly arch: Architecture<W>;
  private readonly weights: W;
  private readonly drop: DropoutState;
  private readonly base: ParamStore;
  private mlm: MlmHeadWeights | undefined;

  /** `base` holds the encoder's weights, `root` the whole checkpoint (the classifier lives outside the base prefix). */
  constructor(arch: Architecture<W>, config: EncoderConfig, base: ParamStore, root: ParamStore) {
    this.arch = arch;
    this.config = config;
    this.params = root;
    this.maxSequenceLength = sequenceLimit(config, arch.positionOffset(config));
    this.weights = arch.load(config, base, root);
    this.base = base;
    this.drop = new DropoutState(config);
  }

  setDropout(rng: Rng | undefined): void {
    this.drop.rng = rng;
  }

  get hasClassifier(): boolean {
    return this.weights.head !== undefined;
  }

  forward(batch: EncoderBatch): Tensor {
    checkSequenceLength(batch.seqLen, this.maxSequenceLength, this.config, `a batch of ${batch.seqLen}-token sequences`);
    return this.arch.forward(new EagerOps(batch, this.drop), this.weights, this.config);
  }

  get hasMlmHead(): boolean {
    return hasMlmHead(this.config, this.params);
  }

  /** The masked-LM head's weights (read on first use: bi-encoders never load them). */
  mlmHeadWeights(): MlmHeadWeights {
    const word = { key: this.base.prefix + "embeddings.word_embeddings.weight", tensor: this.base.get("embeddings.word_embeddings.weight", [this.config.vocabSize, this.config.hiddenSize]) };
    return (this.mlm ??= loadMlmHead(this.config, this.params, word));
  }

  mlmLogits(hidden: Tensor, batch: EncoderBatch): Tensor {
    return mlmHead(new EagerOps(batch, this.drop), hidden, this.mlmHeadWeights());
  }

  classify(hidden: Tensor, batch: EncoderBatch): Tensor {
    if (!this.weights.head) return noClassifier(this.config.modelType);
    return firstTokenHead(new EagerOps(batch, this.drop), hidden, this.weights.head);
  }
}
