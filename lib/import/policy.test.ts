import { describe, expect, it } from "vitest";
import type { Mapping } from "./mapping";
import { admitRows, screenRows } from "./policy";

const mapping: Mapping = [{ target: "email" }, { target: "external_id" }];

describe("the import's decision per row", () => {
  it("screens a chunk: bad rows and repeats of an address or external_id are report lines naming the earlier row", () => {
    const { issues, good } = screenRows([["a@example.com", "x1"], ["nope", ""], ["A@Example.com ", "x2"], ["b@example.com", "x1"], ["c@example.com", ""]], 10, mapping, { 14: 3 });
    expect(good.map((g) => g.n)).toEqual([10]);
    expect(issues.map((i) => [i.rowNumber, i.outcome, i.reason])).toEqual([
      [11, "rejected", expect.stringContaining("email")],
      [12, "rejected", "same address as row 10"],
      [13, "rejected", "same external_id as row 10"],
      [14, "rejected", "same address as row 3"],
    ]);
  });

  it("admits from stored facts: erased never, suppressed not as new, another's external_id not, existing skipped in skip mode", () => {
    const { good } = screenRows([["erased@x.io", ""], ["unsub@x.io", ""], ["kept@x.io", ""], ["taken@x.io", "e1"], ["old@x.io", ""], ["new@x.io", ""]], 1, mapping);
    const facts = {
      suppressed: new Map([["erased@x.io", "erased"], ["unsub@x.io", "unsubscribed"], ["kept@x.io", "bounced"]]),
      existing: new Set(["kept@x.io", "old@x.io", "erased@x.io"]),
      owners: new Map([["e1", "someone@x.io"]]),
    };
    const update = admitRows(good, facts, "update");
    expect(update.apply.map((g) => g.c.email)).toEqual(["kept@x.io", "old@x.io", "new@x.io"]);
    expect(update.issues.map((i) => [i.rowNumber, i.reason])).toEqual([
      [1, "this address was erased at the person's request and cannot be imported again"],
      [2, "this address is suppressed (unsubscribed): an import does not restore consent"],
      [4, "external_id e1 belongs to another contact"],
    ]);
    const skip = admitRows(good, facts, "skip");
    expect(skip.apply.map((g) => g.c.email)).toEqual(["new@x.io"]);
    expect(skip.issues.filter((i) => i.outcome === "skipped").map((i) => i.rowNumber)).toEqual([3, 5]);
  });
});
