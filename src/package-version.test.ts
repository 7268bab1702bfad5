import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { packageVersion } from "./package-version.js";

describe("packageVersion", () => {
  it("is the version field of the root package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    expect(packageVersion()).toBe(pkg.version);
  });
});
