import { describe, expect, it } from "vitest";
import { fieldText } from "./form-text";

describe("fieldText", () => {
  it("keeps a string as sent, spaces included", () => {
    expect(fieldText(" gold ")).toBe(" gold ");
    expect(fieldText("")).toBe("");
  });

  it("reads a file, a missing field or a non-string as empty, never as [object …]", () => {
    for (const v of [new File(["x"], "a.txt"), null, undefined, { a: 1 }, ["a"], 3]) expect(fieldText(v)).toBe("");
  });
});
