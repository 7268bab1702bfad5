export { backward, enableGrad, isGradEnabled, noGrad } from "../tensor/autograd.js";
export { Rng } from "../tensor/random.js";
export {
  type NamedParameter,
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
