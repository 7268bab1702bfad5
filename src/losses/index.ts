export { type EmbeddingLoss, type LogitsLoss, labelTensor, cosineSimilarity, pairwiseCosSim as pairwiseCosSimTensor } from "./loss.js";
export { SoftmaxLoss, type SoftmaxLossOptions } from "./softmax.js";
export { CosineSimilarityLoss, CoSENTLoss, type CosineSimilarityLossOptions, type CoSENTLossOptions } from "./cosine-similarity.js";
export {
  MultipleNegativesRankingLoss,
  type MultipleNegativesRankingLossOptions,
  type MnrlDirection,
  type MnrlHardnessMode,
} from "./multiple-negatives-ranking.js";
export { MatryoshkaLoss, type MatryoshkaLossOptions } from "./matryoshka.js";
export { TripletLoss, ContrastiveLoss, type TripletDistanceMetric, type SiameseDistanceMetric, type TripletLossOptions, type ContrastiveLossOptions } from "./distance.js";
export { MSELoss } from "./mse.js";
export { BinaryCrossEntropyLoss, CrossEntropyLoss, type BinaryCrossEntropyLossOptions, type CrossEntropyLossOptions } from "./cross-encoder.js";
export { EMBEDDING_LOSS_NAMES, LOGITS_LOSS_NAMES, type LossFactoryOptions, createEmbeddingLoss, createLogitsLoss } from "./registry.js";
