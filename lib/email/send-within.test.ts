import { describe, expect, it } from "vitest";
import { marketingDeferral } from "./policy";
import { deferralCause, heldPastLimit, sendWithinDeadline, sendWithinLabel } from "./send-within";

const H = 3_600_000;

describe("the send-within limit", () => {
  it("runs from when the contact reached the node; null is no limit", () => {
    expect(sendWithinDeadline(1000, null)).toBeNull();
    expect(sendWithinDeadline(1000, 2)).toBe(1000 + 2 * H);
    expect(sendWithinLabel(48)).toBe("2-day");
    expect(sendWithinLabel(36)).toBe("36-hour");
  });

  it("names what held the message, in the words the sending policy uses", () => {
    const cap = marketingDeferral({ frequencyCap: { max: 1, windowHours: 24 } }, { now: 0, timeZone: "UTC", recentSends: [-H] });
    const quiet = marketingDeferral({ quietHours: { start: "00:00", end: "08:00" } }, { now: H, timeZone: "UTC", recentSends: [] });
    expect(deferralCause(cap!.detail)).toBe("the frequency cap");
    expect(deferralCause(quiet!.detail)).toBe("quiet hours");
  });

  it("skips a deferral past the limit, waits for one within it", () => {
    const q = { hours: 48, deadline: 48 * H, at: 0, detail: "Deferred by the frequency cap (1 per 24 h) until …" };
    expect(heldPastLimit({ ...q, until: 48 * H })).toBeNull();
    expect(heldPastLimit({ ...q, until: 48 * H + 1 })).toBe("Not sent: the frequency cap held it past its 2-day send-within limit");
    expect(heldPastLimit({ ...q, hours: null, deadline: null, until: 1000 * H })).toBeNull();
  });
});
