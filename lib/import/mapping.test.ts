import { describe, expect, it } from "vitest";
import { guessMapping, mappingSchema, rowToContact, type Mapping } from "./mapping";

const mapping: Mapping = [
  { target: "email" },
  { target: "first_name" },
  { target: "attribute", attribute: "age", type: "number" },
  { target: "attribute", attribute: "vip", type: "boolean" },
  { target: "attribute", attribute: "signed_up", type: "date" },
  { target: "ignore" },
];

describe("rowToContact", () => {
  it("types attributes and leaves empty cells unset", () => {
    expect(rowToContact([" ada@example.com ", "Ada", "36", "yes", "2024-02-29T10:00:00Z", "x"], mapping)).toEqual({
      ok: true,
      contact: { email: "ada@example.com", firstName: "Ada", lastName: null, externalId: null, timeZone: null, attributes: { age: 36, vip: true, signed_up: "2024-02-29" } },
    });
    expect(rowToContact(["b@example.com", "", "", "", "", ""], mapping)).toMatchObject({ ok: true, contact: { firstName: null, attributes: {} } });
  });
  it("names the reason a row cannot be a contact", () => {
    expect(rowToContact(["not-an-address", "A", "", "", "", ""], mapping)).toEqual({ ok: false, reason: 'not a valid email address: "not-an-address"' });
    expect(rowToContact(["", "A"], mapping)).toEqual({ ok: false, reason: "no email address" });
    expect(rowToContact(["a@example.com", "A", "thirty"], mapping)).toEqual({ ok: false, reason: 'age is not a number: "thirty"' });
    expect(rowToContact(["a@example.com", "A", "", "maybe"], mapping)).toMatchObject({ ok: false, reason: expect.stringContaining("vip") });
    expect(rowToContact(["a@example.com", "A", "", "", "2023-02-30"], mapping)).toMatchObject({ ok: false, reason: expect.stringContaining("signed_up") });
    expect(rowToContact([""], mapping)).toEqual({ ok: false, reason: "empty row" });
  });
});

describe("mapping", () => {
  it("guesses email, names and attribute types from the header and sample", () => {
    const m = guessMapping(["E-mail", "First Name", "Plan", "Seats", "Joined"], [["a@x.io", "A", "pro", "3", "2024-01-01"]]);
    expect(m).toEqual([
      { target: "email" },
      { target: "first_name" },
      { target: "attribute", attribute: "plan", type: "string" },
      { target: "attribute", attribute: "seats", type: "number" },
      { target: "attribute", attribute: "joined", type: "date" },
    ]);
    expect(mappingSchema.safeParse(m).success).toBe(true);
  });
  it("refuses a mapping without exactly one email column or with a name twice", () => {
    expect(mappingSchema.safeParse([{ target: "first_name" }]).error?.issues[0]?.message).toBe("map one column to Email");
    expect(mappingSchema.safeParse([{ target: "email" }, { target: "attribute", attribute: "a", type: "string" }, { target: "attribute", attribute: "a", type: "number" }]).success).toBe(false);
  });
});
