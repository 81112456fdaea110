import { describe, expect, it } from "vitest";
import { memoTry } from "./send-try";

describe("memoTry", () => {
  it("reads this runner's tries: done ends the node, a wait and a give-up are kept", () => {
    expect(memoTry({ kind: "done", outcome: "sent", detail: "Sent" })).toBeNull();
    const wait = { kind: "wait" as const, until: 5_000, wait: { failures: 1, waitedMs: 30_000 }, detail: "Resend unavailable" };
    expect(memoTry(wait)).toEqual(wait);
    expect(memoTry({ t: wait })).toEqual(wait);
    expect(memoTry({ t: { kind: "give-up", reason: "Resend unavailable for 24 h" } })).toEqual({ kind: "give-up", reason: "Resend unavailable for 24 h" });
  });

  it("reads what runs memoized before provider waits existed as the deferrals they were", () => {
    expect(memoTry(1_700_000_000_000)).toEqual({ kind: "wait", until: 1_700_000_000_000, wait: null, detail: "" });
    expect(memoTry(0)).toBeNull();
    expect(memoTry({ until: 1_700_000_000_000 })).toMatchObject({ kind: "wait", until: 1_700_000_000_000 });
    expect(memoTry({ until: null })).toBeNull();
  });
});
