import { expect } from "vitest";
import { SbertError } from "../../src/errors.js";

/** Asserts that `fn` throws an SbertError with code INVALID_INPUT (and fails when it does not throw). */
export function expectInvalidInput(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected an SbertError INVALID_INPUT").toBeInstanceOf(SbertError);
  expect((caught as SbertError).code).toBe("INVALID_INPUT");
}

/** Awaits `p`, asserts it rejected with an SbertError and returns that error. */
export async function failure(p: Promise<unknown>): Promise<SbertError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(SbertError);
  return e as SbertError;
}
