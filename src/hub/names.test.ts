import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { looksLikeRepoId, normalizeEtag, validateCommitHash, validateRepoFilename, validateRepoId, validateRevision } from "./names.js";

const code = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as SbertError).code;
  }
};

describe("hub names", () => {
  it("accepts org/name ids as the hub does and refuses the rest", () => {
    for (const ok of ["sentence-transformers/all-MiniLM-L6-v2", "BAAI/bge-small-en-v1.5", "a/b", "org_1/x.y_z-2"]) expect(code(() => validateRepoId(ok)), ok).toBeUndefined();
    for (const bad of ["name", "a/b/c", "/a", "a/", "-a/b", "a/b-", ".a/b", "a/b.", "a--b/c", "a/b..c", "a/b.git", "a b/c", "a/b\0", `a/${"x".repeat(97)}`, "../x", "a/.."]) {
      expect(code(() => validateRepoId(bad)), bad).toBe("INVALID_INPUT");
    }
  });

  it("tells ids from paths that do not exist", () => {
    expect(looksLikeRepoId("org/name")).toBe(true);
    for (const path of ["./org/name", "../name", "/abs/name", "~/x", "name", "a/b/c", "C:/x", "a\\b", "org/"]) expect(looksLikeRepoId(path), path).toBe(false);
  });

  it("revisions may be branches, tags, refs/pr/N or commits, never paths out of refs/", () => {
    for (const ok of ["main", "v1.0", "refs/pr/1", "a".repeat(40)]) expect(code(() => validateRevision(ok)), ok).toBeUndefined();
    for (const bad of ["", "..", "../x", "a/../../b", "/main", "main/", "a//b", "a\\b", "c:x", "x\0"]) expect(code(() => validateRevision(bad)), bad).toBe("INVALID_INPUT");
  });

  it("repo file names cannot escape the folder under POSIX or Windows rules", () => {
    for (const ok of ["config.json", "1_Pooling/config.json", "onnx/model.onnx", "a..b/c"]) expect(code(() => validateRepoFilename(ok)), ok).toBeUndefined();
    for (const bad of ["", "..", "../x", "a/../../x", "/etc/passwd", "\\\\host\\share", "C:\\x", "D:x", "a\\..\\..\\x", "a//b", "./a", "a/", "x\0"]) {
      expect(code(() => validateRepoFilename(bad)), bad).toBe("INVALID_MODEL_FILE");
    }
    expect(code(() => validateRepoFilename("../x", "extra file", "INVALID_INPUT"))).toBe("INVALID_INPUT");
  });

  it("ETags and commits must be plain hashes to name cache entries", () => {
    expect(normalizeEtag('W/"abc123"', "hub")).toBe("abc123");
    expect(normalizeEtag(`"${"a".repeat(64)}"`, "hub")).toBe("a".repeat(64));
    for (const bad of [null, "", '"../x"', '"a/b"', '"."']) expect(code(() => normalizeEtag(bad, "hub")), String(bad)).toBe("INVALID_MODEL_FILE");
    expect(validateCommitHash("0".repeat(40), "hub")).toBe("0".repeat(40));
    expect(() => validateCommitHash("../../x", "hub")).toThrow(SbertError);
  });
});
