import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signTrackingToken } from "./tracking";
import { signViewToken, verifyViewToken, viewUrl } from "./view-link";

describe("view-in-browser tokens", () => {
  const secret = "s".repeat(40);
  const t = { workspaceId: randomUUID(), messageId: randomUUID() };

  it("verify with the workspace's secret only, and name one message", () => {
    const token = signViewToken(secret, t);
    expect(verifyViewToken(secret, token)).toEqual(t);
    expect(verifyViewToken("another secret of forty characters......", token)).toBeNull();
    expect(viewUrl("https://app.example", secret, t)).toBe(`https://app.example/v/${token}`);
  });

  it("refuse tampering, garbage and another kind of token of ours", () => {
    const token = signViewToken(secret, t);
    const [body, sig] = token.split(".");
    const other = Buffer.from(JSON.stringify({ w: t.workspaceId, m: randomUUID() })).toString("base64url");
    expect(verifyViewToken(secret, `${other}.${sig}`)).toBeNull();
    expect(verifyViewToken(secret, `${body}.${sig![0] === "A" ? "B" : "A"}${sig!.slice(1)}`)).toBeNull();
    for (const g of ["", ".", "a.b.c", "%%%.x", "x".repeat(400)]) expect(verifyViewToken(secret, g)).toBeNull();
    // An open-pixel token names the same workspace and message, but is signed for tracking.
    expect(verifyViewToken(secret, signTrackingToken(secret, t))).toBeNull();
  });
});
