/**
 * `sbert-ts/training`: fine-tuning. The trainers (Python's SentenceTransformerTrainer and
 * CrossEncoderTrainer), the losses, datasets and their readers, and the pieces of a loop of one's
 * own (`noGrad`, AdamW, learning-rate schedules, gradient clipping, checkpoints).
 * Nothing here is imported from inside src/: this file is the public entry only.
 */
export { noGrad } from "../tensor/autograd.js";
export { Rng } from "../tensor/random.js";
export type { NamedParameter } from "../tensor/named-parameter.js";
export { namedParameters, setRequiresGrad, zeroGrad, type ParameterGroup } from "./parameters.js";
export { AdamW, type AdamWGroup, type AdamWOptions, type AdamWState, type AdamWStateInput } from "./optim/adamw.js";
export {
  type LrLambda,
  LrScheduler,
  type ScheduleName,
  constantSchedule,
  constantScheduleWithWarmup,
  cosineScheduleWithWarmup,
  createSchedule,
  linearScheduleWithWarmup,
} from "./schedules.js";
export { clipGradNorm } from "./clip.js";
export { type TrainingDataset, type Label, datasetFromRecords, datasetFromColumns } from "./data.js";
export { type DatasetFormat, readDataset, parseDataset } from "./data-readers.js";
export type { BatchSamplerName } from "./data-sampler.js";
export type { TrainingArguments } from "./trainer-args.js";
export { type TrainerOptions, type TrainResult, type StepPhases, type BaseTrainerOptions, SentenceTransformerTrainer } from "./trainer.js";
export { type CrossEncoderTrainerOptions, CrossEncoderTrainer } from "./trainer-cross-encoder.js";
export type { TrainableModel } from "./trainer-model.js";
export { type LogRecord, TrainingLog } from "./trainer-log.js";
export { type TrainerState, type BestMetric, latestCheckpoint, listCheckpoints } from "./checkpoint.js";
export type { EmbeddingLoss, LogitsLoss } from "../losses/loss.js";
export { SoftmaxLoss, type SoftmaxLossOptions } from "../losses/softmax.js";
export { CosineSimilarityLoss, CoSENTLoss, type CosineSimilarityLossOptions, type CoSENTLossOptions } from "../losses/cosine-similarity.js";
export {
  MultipleNegativesRankingLoss,
  type MultipleNegativesRankingLossOptions,
  type MnrlDirection,
  type MnrlHardnessMode,
} from "../losses/multiple-negatives-ranking.js";
export { MatryoshkaLoss, type MatryoshkaLossOptions } from "../losses/matryoshka.js";
export { TripletLoss, ContrastiveLoss, type TripletDistanceMetric, type SiameseDistanceMetric, type TripletLossOptions, type ContrastiveLossOptions } from "../losses/distance.js";
export { MSELoss } from "../losses/mse.js";
export { BinaryCrossEntropyLoss, CrossEntropyLoss, type BinaryCrossEntropyLossOptions, type CrossEntropyLossOptions } from "../losses/cross-encoder.js";
export { type LossFactoryOptions, createEmbeddingLoss, createLogitsLoss } from "../losses/registry.js";
