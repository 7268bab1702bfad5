import { describe, expect, it } from "vitest";
import { toInt64 } from "./onnx-backend.js";

describe("toInt64", () => {
  it("widens every int32, negatives and the extremes included, exactly as BigInt does", () => {
    const a = Int32Array.from([0, 1, -1, 101, 30521, -30522, 2147483647, -2147483648, 250001]);
    expect(Array.from(toInt64(a))).toEqual(Array.from(a, (v) => BigInt(v)));
    expect(toInt64(new Int32Array(0)).length).toBe(0);
  });
});
