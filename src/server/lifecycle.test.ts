/**
 * The server's state machine without HTTP: transitions, admission (503 reasons, permits, 429) and
 * draining, with a fake timer standing in for the drain timeout (no test here waits on the clock).
 */
import { describe, expect, it } from "vitest";
import { type ScheduleTimer, ServerLifecycle } from "./lifecycle.js";

/** A timer that fires only when told: `fire()` runs every pending callback. */
function fakeTimer(): { timer: ScheduleTimer; pending: () => number[]; fire: () => void } {
  const scheduled: { fn: () => void; ms: number; live: boolean }[] = [];
  return {
    timer: (fn, ms) => {
      const t = { fn, ms, live: true };
      scheduled.push(t);
      return () => (t.live = false);
    },
    pending: () => scheduled.filter((t) => t.live).map((t) => t.ms),
    fire: () => {
      for (const t of scheduled.filter((s) => s.live)) {
        t.live = false;
        t.fn();
      }
    },
  };
}

/** Whether `p` has settled once pending microtasks have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

const lifecycle = (maxConcurrentRequests = 2, timer = fakeTimer().timer): ServerLifecycle<string> => new ServerLifecycle<string>({ maxConcurrentRequests, drainTimeoutMs: 30_000, timer });

describe("ServerLifecycle states", () => {
  it("loading → ready → draining → closed, keeping what was loaded", () => {
    const lc = lifecycle();
    expect(lc.state).toBe("loading");
    expect(lc.resources).toBeUndefined();
    lc.loaded("model");
    expect(lc.state).toBe("ready");
    expect(lc.resources).toBe("model");
    expect(lc.draining).toBe(false);
    lc.beginDrain();
    expect(lc.state).toBe("draining");
    expect(lc.draining).toBe(true);
    lc.closed();
    expect(lc.state).toBe("closed");
    expect(lc.draining).toBe(true);
    lc.beginDrain();
    expect(lc.state).toBe("closed");
    expect(lc.resources).toBe("model");
  });

  it("loading → failed; a failed server can still drain and close", () => {
    const lc = lifecycle();
    lc.loadFailed();
    expect(lc.state).toBe("failed");
    lc.loaded("late");
    expect(lc.state).toBe("failed");
    lc.beginDrain();
    expect(lc.state).toBe("draining");
  });

  it("a load that ends while draining keeps its resources (to release them) but the state stays draining", () => {
    const lc = lifecycle();
    lc.beginDrain();
    lc.loaded("model");
    expect(lc.state).toBe("draining");
    expect(lc.resources).toBe("model");
    lc.loadFailed();
    expect(lc.state).toBe("draining");
  });
});

describe("ServerLifecycle admission", () => {
  it("refuses with the state's reason while loading, failed or draining", () => {
    const loading = lifecycle();
    expect(loading.enter().admit(true)).toBe("loading");
    expect(loading.enter().admit(false)).toBe("loading");
    const failed = lifecycle();
    failed.loadFailed();
    expect(failed.enter().admit(true)).toBe("failed");
    const draining = lifecycle();
    draining.loaded("m");
    draining.beginDrain();
    expect(draining.enter().admit(true)).toBe("draining");
    expect(draining.inFlight).toBe(0);
  });

  it("a POST takes a permit until it leaves; beyond the limit it is overloaded; GETs take none", () => {
    const lc = lifecycle(2);
    lc.loaded("m");
    const a = lc.enter();
    const b = lc.enter();
    expect(a.admit(true)).toBe("admitted");
    expect(a.admit(true)).toBe("admitted"); // a second ask takes no second permit
    expect(lc.inFlight).toBe(1);
    expect(lc.saturated).toBe(false);
    expect(b.admit(true)).toBe("admitted");
    expect(lc.inFlight).toBe(2);
    expect(lc.saturated).toBe(true);
    const c = lc.enter();
    expect(c.admit(true)).toBe("overloaded");
    expect(c.permit).toBe(false);
    expect(c.admit(false)).toBe("admitted");
    expect(lc.active).toBe(3);
    a.leave();
    a.leave(); // idempotent
    expect(lc.inFlight).toBe(1);
    expect(lc.active).toBe(2);
    expect(lc.saturated).toBe(false);
    expect(c.admit(true)).toBe("admitted");
    expect(c.permit).toBe(true);
    b.leave();
    c.leave();
    expect({ active: lc.active, inFlight: lc.inFlight }).toEqual({ active: 0, inFlight: 0 });
  });

  it("is never saturated unless ready: a full server that drains refuses as draining, not overloaded", () => {
    const lc = lifecycle(1);
    lc.loaded("m");
    const a = lc.enter();
    a.admit(true);
    expect(lc.saturated).toBe(true);
    lc.beginDrain();
    expect(lc.saturated).toBe(false);
    expect(lc.enter().admit(true)).toBe("draining");
  });
});

describe("ServerLifecycle draining", () => {
  it("with nothing open the drain is over at once and no timer is set", async () => {
    const t = fakeTimer();
    const lc = lifecycle(2, t.timer);
    lc.loaded("m");
    lc.beginDrain();
    expect(await lc.drained()).toEqual({ timedOut: false });
    expect(t.pending()).toEqual([]);
  });

  it("waits for every open request, including ones that arrived while draining, then cancels the timer", async () => {
    const t = fakeTimer();
    const lc = lifecycle(2, t.timer);
    lc.loaded("m");
    const accepted = lc.enter();
    expect(accepted.admit(true)).toBe("admitted");
    lc.beginDrain();
    const over = lc.drained();
    expect(t.pending()).toEqual([30_000]);
    const late = lc.enter(); // answered 503 while draining, but open until its response closes
    expect(late.admit(true)).toBe("draining");
    accepted.leave();
    expect(await settled(over)).toBe(false);
    late.leave();
    expect(await over).toEqual({ timedOut: false });
    expect(t.pending()).toEqual([]);
  });

  it("the timeout ends the drain with the number of requests still open", async () => {
    const t = fakeTimer();
    const lc = lifecycle(2, t.timer);
    lc.loaded("m");
    const stuck = [lc.enter(), lc.enter()];
    for (const s of stuck) s.admit(true);
    lc.beginDrain();
    const over = lc.drained();
    expect(await settled(over)).toBe(false);
    t.fire();
    expect(await over).toEqual({ timedOut: true, open: 2 });
    for (const s of stuck) s.leave(); // closing the connections afterwards is harmless
    expect(lc.active).toBe(0);
  });
});
