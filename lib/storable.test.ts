import { describe, expect, it } from "vitest";
import { mayHoldUnstorable, storableTime, unstorableField, unstorablePath, unstorableText } from "./storable";

describe("unstorablePath", () => {
  it.each([
    ["a NUL in a nested value", { a: ["x", "y\u0000"] }, "a.1"],
    ["a NUL in a key", { attributes: { ["k\u0000"]: 1 } }, "attributes.k\\u0000"],
    ["a lone low surrogate at the top", "\udc00", ""],
    ["a lone high surrogate deep down", { p: { q: [{ r: "ok" }, { s: "x\ud83d" }] } }, "p.q.1.s"],
    ["the first of two, in document order", { a: "fine", b: "\u0000", c: "\u0000" }, "b"],
    ["a pair (emoji)", { e: "\ud83d\ude00" }, undefined],
    ["plain values", { a: 1, b: null, c: "ok", d: [true, 2.5] }, undefined],
  ])("finds %s", (_what, value, path) => {
    expect(unstorablePath(value)).toBe(path);
    // The cheap test on the JSON text never misses what the search finds.
    if (path !== undefined) expect(mayHoldUnstorable(JSON.stringify(value))).toBe(true);
  });

  it("walks a document nested far deeper than the call stack allows", () => {
    let deep: unknown = "\u0000";
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(unstorablePath(deep)).toBe(Array.from({ length: 200_000 }, () => "0").join("."));
  });
});

describe("unstorableField", () => {
  it("names the field by its name, whichever of its values holds the character", () => {
    const form = new URLSearchParams("email=a%40b.co&topics=news&topics=x%00y");
    expect(unstorableField(form)).toBe("topics");
    expect(unstorableField(new URLSearchParams("q=fine"))).toBeUndefined();
    expect(unstorableField([["na\u0000me", "v"]])).toBe("na\\u0000me");
  });

  it("skips files (not text)", () => {
    const fd = new FormData();
    fd.append("upload", new Blob(["\u0000"]), "a.bin");
    fd.append("name", "ok");
    expect(unstorableField(fd)).toBeUndefined();
  });
});

describe("unstorableText and storableTime", () => {
  it("tell what Postgres refuses", () => {
    expect(unstorableText("a\u0000")).toBe(true);
    expect(unstorableText("\ud800")).toBe(true);
    expect(unstorableText("Ærøskøbing 😀")).toBe(false);
    expect(storableTime(new Date("2026-01-01T00:00:00Z"))).toBe(true);
    expect(storableTime(new Date("0001-01-01T00:00:00Z"))).toBe(true);
    expect(storableTime(new Date("0000-12-31T23:00:00Z"))).toBe(false);
    expect(storableTime(new Date("9999-12-31T23:59:59-01:00"))).toBe(false);
    expect(storableTime(new Date(8.64e15))).toBe(false);
    expect(storableTime(new Date(NaN))).toBe(false);
  });
});
