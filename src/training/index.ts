export { backward, enableGrad, isGradEnabled, noGrad } from "../tensor/autograd.js";
export { Rng } from "../tensor/random.js";
export type { NamedParameter } from "../tensor/named-parameter.js";
export {
  type ParameterGroup,
  isNoDecayParameter,
  namedParameters,
  setRequiresGrad,
  weightDecayGroups,
  zeroGrad,
} from "./parameters.js";
export { AdamW, type AdamWGroup, type AdamWOptions, type AdamWState } from "./optim/adamw.js";
export {
  type LrLambda,
  LrScheduler,
  type ScheduleName,
  constantSchedule,
  constantScheduleWithWarmup,
  cosineScheduleWithWarmup,
  createSchedule,
  linearScheduleWithWarmup,
  warmupStepsFromRatio,
} from "./schedules.js";
export { clipGradNorm, vectorNorm } from "./clip.js";
export { type TrainingDataset, type Label, type DataRequirements, LABEL_COLUMNS, datasetFromRecords, datasetFromColumns, dataRequirements, checkDataset } from "./data.js";
export { type DatasetFormat, DATASET_FORMATS, readDataset, parseDataset, datasetFormatForPath } from "./data-readers.js";
export { type BatchSamplerName, BATCH_SAMPLERS, epochBatches, epochOrder } from "./data-sampler.js";
export { type TrainingArguments } from "./trainer-args.js";
export { type TrainerOptions, type TrainResult, SentenceTransformerTrainer } from "./trainer.js";
export { type LogRecord, TrainingLog } from "./trainer-log.js";
export { type TrainerState, type BestMetric, latestCheckpoint, listCheckpoints, newestUsableCheckpoint, verifyCheckpoint } from "./checkpoint.js";
export { type BaseTrainerOptions, type TrainingTask, Trainer } from "./trainer.js";
export { type TrainableModel } from "./trainer-model.js";
export { type CrossEncoderTrainerOptions, CrossEncoderTrainer, TrainableCrossEncoder, checkCrossEncoderDataset, defaultCrossEncoderLoss, isCrossEncoderFolder } from "./trainer-cross-encoder.js";
