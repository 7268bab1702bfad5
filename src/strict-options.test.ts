import { describe, expect, it } from "vitest";
import { SbertError } from "./errors.js";
import { checkOptions, nearestKey, optionKeys } from "./strict-options.js";

interface Opts {
  batchSize?: number;
  normalizeEmbeddings?: boolean;
  showProgressBar?: boolean;
}
const KEYS = optionKeys<Opts>({ batchSize: true, normalizeEmbeddings: true, showProgressBar: true });

describe("checkOptions", () => {
  it("accepts known keys, undefined and null", () => {
    checkOptions({ batchSize: 2, normalizeEmbeddings: undefined }, KEYS, "encode");
    checkOptions(undefined, KEYS, "encode");
    checkOptions(null, KEYS, "encode");
  });
  it.each([
    ["normalize", "normalizeEmbeddings"],
    ["batch_size", "batchSize"],
    ["show_progress_bar", "showProgressBar"],
    ["batchsize", "batchSize"],
    ["bachSize", "batchSize"],
  ])("rejects %s and suggests %s", (key, near) => {
    let err: unknown;
    try {
      checkOptions({ [key]: 1 }, KEYS, "encode");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SbertError);
    expect((err as SbertError).code).toBe("INVALID_INPUT");
    expect((err as SbertError).message).toContain(`"${key}"`);
    expect((err as SbertError).message).toContain(`"${near}"`);
  });
  it("lists the valid keys when nothing is near, and refuses non-objects", () => {
    expect(() => checkOptions({ zzzzzzzzzz: 1 }, KEYS, "encode")).toThrow(/Valid options: batchSize, normalizeEmbeddings, showProgressBar/);
    expect(() => checkOptions([1], KEYS, "encode")).toThrow(/must be an object/);
    expect(() => checkOptions(3, KEYS, "encode")).toThrow(/must be an object/);
    expect(nearestKey("qqq", KEYS)).toBeUndefined();
  });
});
