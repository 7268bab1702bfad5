import { describe, expect, it } from "vitest";
import { Tensor } from "../tensor/tensor.js";
import { AdamW } from "./optim/adamw.js";
import { LrScheduler, createSchedule, warmupStepsFromRatio } from "./schedules.js";

describe("learning-rate schedules (transformers.get_*_schedule_with_warmup)", () => {
  it("constant ignores warmup; constant_with_warmup ramps up first", () => {
    const c = createSchedule("constant", { warmupSteps: 4, totalSteps: 10 });
    expect([0, 3, 10].map(c)).toEqual([1, 1, 1]);
    const w = createSchedule("constant_with_warmup", { warmupSteps: 4, totalSteps: 10 });
    expect([0, 1, 3, 4, 9].map(w)).toEqual([0, 0.25, 0.75, 1, 1]);
  });

  it("linear: warmup to 1, then down to 0 at totalSteps", () => {
    const f = createSchedule("linear", { warmupSteps: 2, totalSteps: 10 });
    expect([0, 1, 2, 6, 10, 12].map(f)).toEqual([0, 0.5, 1, 0.5, 0, 0]);
    expect(createSchedule("linear", { warmupSteps: 0, totalSteps: 4 })(1)).toBe(0.75);
  });

  it("cosine: half a cosine from 1 to 0 after warmup", () => {
    const f = createSchedule("cosine", { warmupSteps: 2, totalSteps: 10 });
    expect(f(1)).toBe(0.5);
    expect(f(2)).toBe(1);
    expect(f(6)).toBeCloseTo(0.5, 12);
    expect(f(10)).toBeCloseTo(0, 12);
  });

  it("warmup steps from a ratio round up, as TrainingArguments.get_warmup_steps", () => {
    expect(warmupStepsFromRatio(0.1, 25)).toBe(3);
    expect(warmupStepsFromRatio(0, 25)).toBe(0);
    expect(() => warmupStepsFromRatio(1.5, 10)).toThrowError(/ratio/);
  });

  it("LrScheduler sets lr = base · λ(k) after k steps, starting at λ(0) (LambdaLR)", () => {
    const p = Tensor.from([1]);
    const opt = new AdamW([p], { lr: 0.1 });
    const sched = new LrScheduler(opt, createSchedule("linear", { warmupSteps: 2, totalSteps: 4 }));
    const lrs = [sched.currentLr()];
    for (let i = 0; i < 4; i++) {
      sched.step();
      lrs.push(sched.currentLr());
    }
    expect(lrs).toEqual([0, 0.05, 0.1, 0.05, 0]);
    sched.restore(1);
    expect(sched.currentLr()).toBe(0.05);
  });

  it("rejects unknown names and negative step counts", () => {
    expect(() => createSchedule("step" as never, { warmupSteps: 0, totalSteps: 1 })).toThrowError(/unknown scheduler/);
    expect(() => createSchedule("linear", { warmupSteps: -1, totalSteps: 1 })).toThrowError(/non-negative/);
  });
});
