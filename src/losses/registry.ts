import { checkOptions, optionKeys } from "../strict-options.js";
import { SbertError } from "../errors.js";
import type { Rng } from "../tensor/random.js";
import { CoSENTLoss, CosineSimilarityLoss } from "./cosine-similarity.js";
import { BinaryCrossEntropyLoss, CrossEntropyLoss } from "./cross-encoder.js";
import { ContrastiveLoss, TripletLoss } from "./distance.js";
import type { EmbeddingLoss, LogitsLoss } from "./loss.js";
import { MatryoshkaLoss } from "./matryoshka.js";
import { MSELoss } from "./mse.js";
import { MultipleNegativesRankingLoss } from "./multiple-negatives-ranking.js";
import { SoftmaxLoss } from "./softmax.js";

/** What a loss may need from the model and the command line; each loss reads only its own keys. */
export interface LossFactoryOptions {
  /** The model's sentence embedding size (SoftmaxLoss). */
  embeddingDimension?: number;
  /** Classes (SoftmaxLoss). */
  numLabels?: number;
  /** Seeded generator for the loss's own random choices (SoftmaxLoss init, Matryoshka sampling). */
  rng?: Rng;
  /** MatryoshkaLoss: the wrapped loss's name and the dimensions. */
  innerLoss?: string;
  matryoshkaDims?: readonly number[];
}

const KEYS = optionKeys<LossFactoryOptions>({ embeddingDimension: true, numLabels: true, rng: true, innerLoss: true, matryoshkaDims: true });

/** Bi-encoder losses by their Python class names. */
export const EMBEDDING_LOSS_NAMES = [
  "SoftmaxLoss",
  "CosineSimilarityLoss",
  "CoSENTLoss",
  "MultipleNegativesRankingLoss",
  "MatryoshkaLoss",
  "TripletLoss",
  "MSELoss",
  "ContrastiveLoss",
] as const;

/** Cross-encoder losses by their Python class names. */
export const LOGITS_LOSS_NAMES = ["BinaryCrossEntropyLoss", "CrossEntropyLoss"] as const;

/** Builds a bi-encoder loss with Python's defaults from its class name (as `--loss NAME` gives it). */
export function createEmbeddingLoss(name: string, opts: LossFactoryOptions = {}): EmbeddingLoss {
  checkOptions(opts, KEYS, "createEmbeddingLoss");
  const rng = opts.rng ? { rng: opts.rng } : {};
  switch (name) {
    case "SoftmaxLoss": {
      const { embeddingDimension, numLabels } = opts;
      if (embeddingDimension === undefined || numLabels === undefined) {
        throw new SbertError("INVALID_INPUT", "SoftmaxLoss needs the embedding dimension and the number of labels (--num-labels)");
      }
      return new SoftmaxLoss({ embeddingDimension, numLabels, ...rng });
    }
    case "CosineSimilarityLoss":
      return new CosineSimilarityLoss();
    case "CoSENTLoss":
      return new CoSENTLoss();
    case "MultipleNegativesRankingLoss":
      return new MultipleNegativesRankingLoss();
    case "TripletLoss":
      return new TripletLoss();
    case "MSELoss":
      return new MSELoss();
    case "ContrastiveLoss":
      return new ContrastiveLoss();
    case "MatryoshkaLoss": {
      if (!opts.innerLoss || !opts.matryoshkaDims) throw new SbertError("INVALID_INPUT", "MatryoshkaLoss needs the wrapped loss's name and the dimensions");
      if (opts.innerLoss === "MatryoshkaLoss") throw new SbertError("INVALID_INPUT", "MatryoshkaLoss cannot wrap itself");
      return new MatryoshkaLoss(createEmbeddingLoss(opts.innerLoss, opts), { matryoshkaDims: opts.matryoshkaDims, ...rng });
    }
    default:
      throw new SbertError("INVALID_INPUT", `unknown loss "${name}"; bi-encoder losses: ${EMBEDDING_LOSS_NAMES.join(", ")}`);
  }
}

/** Builds a cross-encoder loss with Python's defaults from its class name. */
export function createLogitsLoss(name: string): LogitsLoss {
  if (name === "BinaryCrossEntropyLoss") return new BinaryCrossEntropyLoss();
  if (name === "CrossEntropyLoss") return new CrossEntropyLoss();
  throw new SbertError("INVALID_INPUT", `unknown cross-encoder loss "${name}"; use ${LOGITS_LOSS_NAMES.join(" or ")}`);
}
