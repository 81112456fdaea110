import { describe, expect, it } from "vitest";
import { UNSTORABLE_MESSAGE, UNSTORABLE_TIME_MESSAGE } from "../storable";
import { contactFieldsFromTraits, groupAttributes, MAX_CALL_BYTES, MAX_GROUP_TRAITS, normalizeBatch, normalizeMessage, writeKeyOf } from "./segment";

const received = new Date("2026-11-23T12:00:10.000Z");
const ids = () => {
  let n = 0;
  return () => `gen-${++n}`;
};

describe("normalizeMessage", () => {
  it("maps track to an event with its properties", () => {
    const r = normalizeMessage(
      { userId: "u1", event: "Product Added", properties: { cartId: "c9", price: 49 }, messageId: "m1", timestamp: "2026-11-23T12:00:00.000Z" },
      "track",
      received,
    );
    expect(r).toEqual({
      ok: true,
      item: {
        type: "track",
        messageId: "m1",
        userId: "u1",
        anonymousId: undefined,
        name: "Product Added",
        properties: { cartId: "c9", price: 49 },
        traits: {},
        occurredAt: new Date("2026-11-23T12:00:00.000Z"),
      },
    });
  });

  it("corrects the sender's clock skew with sentAt", () => {
    // The sender's clock runs 1 h behind: it stamped 11:00:00 and sent at 11:00:05; we got it at 12:00:10.
    const r = normalizeMessage(
      { anonymousId: "a1", event: "Viewed", timestamp: "2026-11-23T11:00:00.000Z", sentAt: "2026-11-23T11:00:05.000Z" },
      "track",
      received,
    );
    expect(r.ok && r.item.occurredAt.toISOString()).toBe("2026-11-23T12:00:05.000Z");
  });

  it("uses the receive time when the sender gives none", () => {
    const r = normalizeMessage({ anonymousId: "a1", event: "Viewed" }, "track", received, {}, ids());
    expect(r.ok && r.item.occurredAt).toEqual(received);
    expect(r.ok && r.item.messageId).toBe("gen-1");
  });

  it("accepts numeric ids as strings", () => {
    const r = normalizeMessage({ userId: 42, traits: { email: "a@example.com" } }, "identify", received);
    expect(r.ok && r.item.userId).toBe("42");
    expect(r.ok && r.item.traits).toEqual({ email: "a@example.com" });
  });

  it("maps page to Page Viewed with the page context and name", () => {
    const r = normalizeMessage(
      { anonymousId: "a1", name: "Pricing", properties: { path: "/pricing" }, context: { page: { url: "https://x.example/pricing", referrer: "" } } },
      "page",
      received,
    );
    expect(r.ok && r.item.name).toBe("Page Viewed");
    expect(r.ok && r.item.properties).toEqual({ url: "https://x.example/pricing", referrer: "", path: "/pricing", name: "Pricing" });
  });

  it.each([
    [{ event: "X" }, "track", "userId or anonymousId is required"],
    [{ userId: "u1" }, "track", "event is required"],
    [{ userId: "u1", event: "   " }, "track", "event is required"],
    [{ userId: "u1", event: "X", properties: [1, 2] }, "track", "properties: must be a JSON object"],
    [{ userId: "u1", event: "X", properties: null }, "track", "properties: must be a JSON object"],
    [{ userId: "u1", event: "X", context: "web" }, "track", "context: must be a JSON object"],
    [{ userId: "u1", event: "X", timestamp: "yesterday" }, "track", "timestamp: must be an ISO-8601 date"],
    [{ userId: "u1", traits: "x" }, "identify", "traits: must be a JSON object"],
  ] as const)("refuses %j as %s naming the problem", (raw, type, message) => {
    const r = normalizeMessage(raw, type, received);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain(message);
  });
});

describe("normalizeBatch", () => {
  it("keeps valid items beside invalid ones and reports those by index", () => {
    const r = normalizeBatch(
      {
        sentAt: "2026-11-23T12:00:10.000Z",
        batch: [
          { type: "track", userId: "u1", event: "A" },
          { type: "track", event: "B" },
          { type: "video", userId: "u1" },
          { type: "identify", anonymousId: "a", traits: { email: "x@example.com" } },
          { userId: "u1" },
        ],
      },
      received,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.items.map((i) => i.name)).toEqual(["A", "Identified"]);
    expect(r.errors).toEqual([
      { index: 1, message: "userId or anonymousId is required" },
      { index: 2, message: 'type "video" is not supported (identify, track, page, screen, group, alias)' },
      { index: 4, message: "type is required" },
    ]);
  });

  it("refuses a message over 32 KB inside a batch", () => {
    const big = { type: "track", userId: "u1", event: "Big", properties: { blob: "x".repeat(MAX_CALL_BYTES) } };
    const r = normalizeBatch({ batch: [big, { type: "track", userId: "u1", event: "Small" }] }, received);
    expect(r.ok && r.errors).toEqual([{ index: 0, message: "message is larger than 32 KB" }]);
    expect(r.ok && r.items.map((i) => i.name)).toEqual(["Small"]);
  });

  it("refuses a message with text Postgres cannot store, naming the field, keeping the others", () => {
    const r = normalizeBatch(
      {
        batch: [
          { type: "track", userId: "u1", event: "Nul", properties: { note: "a\u0000b" } },
          { type: "track", userId: "u1", event: "Half", properties: { ["k\ud800"]: 1 } },
          { type: "track", userId: "u1", event: "Emoji \ud83d\ude00" },
        ],
      },
      received,
    );
    expect(r.ok && r.errors).toEqual([
      { index: 0, message: `properties.note: ${UNSTORABLE_MESSAGE}` },
      { index: 1, message: `properties.k\\ud800: ${UNSTORABLE_MESSAGE}` },
    ]);
    expect(r.ok && r.items.map((i) => i.name)).toEqual(["Emoji \ud83d\ude00"]);
  });

  it("refuses times Postgres cannot store, also once corrected by sentAt", () => {
    const r = normalizeBatch(
      {
        batch: [
          { type: "track", userId: "u1", event: "Year 0", timestamp: "0000-06-01T00:00:00Z" },
          { type: "track", userId: "u1", event: "Far", timestamp: "+275760-09-13T00:00:00Z" },
          { type: "track", userId: "u1", event: "Skewed", timestamp: "9999-12-31T00:00:00Z", sentAt: "0001-01-01T00:00:00Z" },
          { type: "track", userId: "u1", event: "Fine", timestamp: "2026-11-23T11:00:00Z" },
        ],
      },
      received,
    );
    expect(r.ok && r.errors).toEqual([
      { index: 0, message: `timestamp: ${UNSTORABLE_TIME_MESSAGE}` },
      { index: 1, message: `timestamp: ${UNSTORABLE_TIME_MESSAGE}` },
      { index: 2, message: `timestamp: ${UNSTORABLE_TIME_MESSAGE} once corrected by sentAt` },
    ]);
    expect(r.ok && r.items.map((i) => i.name)).toEqual(["Fine"]);
  });

  it("applies the envelope's sentAt to skew correction", () => {
    const r = normalizeBatch(
      { sentAt: "2026-11-23T11:00:10.000Z", batch: [{ type: "track", userId: "u", event: "E", timestamp: "2026-11-23T11:00:00.000Z" }] },
      received,
    );
    expect(r.ok && r.items[0]!.occurredAt.toISOString()).toBe("2026-11-23T12:00:00.000Z");
  });

  it.each([[null], [[]], [{}], [{ batch: "x" }]])("refuses %j as a batch", (body) => {
    expect(normalizeBatch(body, received).ok).toBe(false);
  });
});

describe("writeKeyOf", () => {
  it("reads Basic auth's user name, then the body's writeKey", () => {
    expect(writeKeyOf(`Basic ${btoa("tk_pub_abc:")}`, {})).toBe("tk_pub_abc");
    expect(writeKeyOf(undefined, { writeKey: "tk_pub_body" })).toBe("tk_pub_body");
    expect(writeKeyOf("Basic !!!not-base64", {})).toBeUndefined();
    expect(writeKeyOf("Bearer x", null)).toBeUndefined();
  });
});

describe("contactFieldsFromTraits", () => {
  it("takes Segment's reserved traits in either case style, and only a plausible address", () => {
    expect(contactFieldsFromTraits({ email: " kari@example.com ", first_name: "Kari", lastName: "Nordmann" })).toEqual({
      email: "kari@example.com",
      firstName: "Kari",
      lastName: "Nordmann",
    });
    expect(contactFieldsFromTraits({ email: "not an address" }).email).toBeUndefined();
  });
});

describe("screen, group and alias", () => {
  it("maps a screen like a page, without the page context", () => {
    const r = normalizeMessage({ userId: "u1", name: "Home", properties: { tab: 2 }, context: { page: { path: "/x" } } }, "screen", received);
    expect(r.ok && r.item).toMatchObject({ type: "screen", name: "Screen Viewed", properties: { tab: 2, name: "Home" } });
  });

  it("keeps a group's id and traits, and needs a groupId", () => {
    const r = normalizeMessage({ userId: "u1", groupId: 42, traits: { name: "Acme" } }, "group", received);
    expect(r.ok && r.item).toMatchObject({ name: "Group Joined", groupId: "42", traits: { name: "Acme" }, properties: { groupId: "42", name: "Acme" } });
    expect(normalizeMessage({ userId: "u1" }, "group", received)).toEqual({ ok: false, message: "groupId is required" });
  });

  it("needs an alias's userId and previousId", () => {
    const r = normalizeMessage({ userId: "u1", previousId: "anon-1", anonymousId: "anon-1" }, "alias", received);
    expect(r.ok && r.item).toMatchObject({ name: "Aliased", userId: "u1", previousId: "anon-1" });
    expect(normalizeMessage({ anonymousId: "a", previousId: "p" }, "alias", received)).toEqual({ ok: false, message: "userId is required" });
    expect(normalizeMessage({ userId: "u1" }, "alias", received)).toEqual({ ok: false, message: "previousId is required" });
  });
});

describe("groupAttributes", () => {
  it("keeps the group id and flat traits as company_ attributes, drops nested ones", () => {
    expect(
      groupAttributes("g-1", { name: "Acme", employeeCount: 40, paying: true, address: { city: "Oslo" }, tags: ["a"], id: "x", "Plan Tier": "pro", bad: Number.NaN }),
    ).toEqual({ company_id: "g-1", company_name: "Acme", company_employee_count: 40, company_paying: true, company_plan_tier: "pro" });
  });

  it("keeps at most MAX_GROUP_TRAITS traits", () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`t${i}`, i]));
    expect(Object.keys(groupAttributes("g", many))).toHaveLength(MAX_GROUP_TRAITS + 1);
  });
});
