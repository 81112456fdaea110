import { describe, expect, it } from "vitest";
import { parseAttributeRows, typeOf } from "./attributes";

describe("parseAttributeRows", () => {
  it("reads typed rows and skips blank ones", () => {
    const r = parseAttributeRows({
      attr_name_0: "plan_tier", attr_type_0: "string", attr_value_0: "gold",
      attr_name_1: "lifetime_value", attr_type_1: "number", attr_value_1: "1299.5",
      attr_name_2: "", attr_type_2: "string", attr_value_2: "",
      attr_name_3: "vip", attr_type_3: "boolean", attr_value_3: "true",
      attr_name_4: "birthday", attr_type_4: "date", attr_value_4: "1990-05-17",
    });
    expect(r).toEqual({ ok: true, value: { plan_tier: "gold", lifetime_value: 1299.5, vip: true, birthday: "1990-05-17" } });
  });

  it.each([
    [{ attr_name_0: "Plan Tier", attr_type_0: "string", attr_value_0: "x" }, "attr_name_0", "lower-case"],
    [{ attr_name_0: "ltv", attr_type_0: "number", attr_value_0: "lots" }, "attr_value_0", "ltv must be a number"],
    [{ attr_name_0: "vip", attr_type_0: "boolean", attr_value_0: "yes" }, "attr_value_0", "vip must be true or false"],
    [{ attr_name_0: "birthday", attr_type_0: "date", attr_value_0: "17/05/1990" }, "attr_value_0", "birthday must be a date"],
    [{ attr_name_0: "x", attr_type_0: "json", attr_value_0: "{}" }, "attr_type_0", "choose a type"],
  ])("refuses %j naming the field", (form, field, message) => {
    const r = parseAttributeRows(form);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe(field);
      expect(r.message).toContain(message);
    }
  });

  it("infers the type shown for a stored value", () => {
    expect([typeOf(3), typeOf(false), typeOf("2026-01-02"), typeOf("gold")]).toEqual(["number", "boolean", "date", "string"]);
  });
});
