import { describe, expect, it } from "vitest";
import { jsonSyntaxDetail } from "./json-syntax.js";

function detail(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return jsonSyntaxDetail(e);
  }
  throw new Error("parsed");
}

describe("jsonSyntaxDetail", () => {
  it("never repeats input characters", () => {
    for (const text of ["root:x:0:0:root:/root:/bin/bash\n", "[1,]", '{"a":"secret"}trailing', "secret", "'secret'"]) {
      const d = detail(text);
      expect(d).not.toMatch(/root|secret|trailing|\[1/);
    }
  });

  it("keeps the grammar and the position when V8 gives them", () => {
    expect(detail('{"a" 1}')).toMatch(/^Expected ':' after property name in JSON at position 5/);
    expect(detail('{"a": 1,')).toMatch(/^Expected double-quoted property name in JSON at position 8/);
    expect(detail("")).toBe("Unexpected end of JSON input");
  });
});
