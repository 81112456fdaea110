import { describe, expect, it } from "vitest";
import { conversionWindow, currencyOf, revenueOf, type GoalRules } from "./goals";

const H = 3_600_000;
const base: GoalRules = { windowMs: null, windowFrom: "enrollment", attribution: "click-or-open", revenueProperty: null };

describe("conversion windows", () => {
  it("without a window: only while in the flow, only after entry", () => {
    expect(conversionWindow(base, { active: true, enteredAt: 1000, lastSentAt: null }, 5000)).toEqual({ since: 1000 });
    expect(conversionWindow(base, { active: true, enteredAt: 1000, lastSentAt: null }, 1000)).toBeNull();
    expect(conversionWindow(base, { active: false, enteredAt: 1000, lastSentAt: null }, 5000)).toBeNull();
  });
  it("from enrollment: inside the window even after leaving, not after it", () => {
    const r = { ...base, windowMs: 72 * H };
    expect(conversionWindow(r, { active: false, enteredAt: 0, lastSentAt: null }, 72 * H)).toEqual({ since: 0 });
    expect(conversionWindow(r, { active: true, enteredAt: 0, lastSentAt: null }, 72 * H + 1)).toBeNull();
  });
  it("from the last message: needs a message, and attribution looks back one window", () => {
    const r: GoalRules = { ...base, windowMs: 24 * H, windowFrom: "message" };
    expect(conversionWindow(r, { active: false, enteredAt: 0, lastSentAt: null }, 5 * H)).toBeNull();
    expect(conversionWindow(r, { active: false, enteredAt: 0, lastSentAt: 100 * H }, 110 * H)).toEqual({ since: 86 * H });
    expect(conversionWindow(r, { active: false, enteredAt: 0, lastSentAt: 100 * H }, 125 * H)).toBeNull();
  });
});

describe("revenue", () => {
  it("reads numbers and numeric strings at a path, rounded to cents", () => {
    expect(revenueOf({ revenue: 49.9 }, "revenue")).toBe(49.9);
    expect(revenueOf({ cart: { total: "120.456" } }, "cart.total")).toBe(120.46);
    expect(revenueOf({ revenue: "lots" }, "revenue")).toBeNull();
    expect(revenueOf({ revenue: 10 }, null)).toBeNull();
    expect(revenueOf({ revenue: Infinity }, "revenue")).toBeNull();
    expect(currencyOf({ currency: "nok" })).toBe("NOK");
    expect(currencyOf({ currency: "kroner" })).toBeNull();
  });
});
