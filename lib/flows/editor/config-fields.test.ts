import { describe, expect, it } from "vitest";
import { nodeKinds, type FieldWidget } from "../catalog";
import { MS } from "../duration";
import {
  configFieldSchema,
  discriminator,
  durationKind,
  fieldLabel,
  freshItem,
  headerLines,
  initial,
  parseHeaderLines,
  parseInUnit,
  parseSigned,
  placeholderFor,
  scalar,
  scalarText,
  suggestionsFor,
  type FieldSchema,
} from "./config-fields";

/** Every named field of a schema, wherever it sits (objects, union variants, nullable parts, list items). */
function fields(s: FieldSchema, path: string[] = []): { path: string[]; schema: FieldSchema }[] {
  const out: { path: string[]; schema: FieldSchema }[] = [];
  for (const [k, p] of Object.entries(s.properties ?? {})) out.push({ path: [...path, k], schema: p }, ...fields(p, [...path, k]));
  for (const v of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) out.push(...fields(v, path));
  if (s.items) out.push(...fields(s.items, [...path, "[]"]));
  return out;
}

/** A field's widget, looking through a nullable wrapper to the part the form renders. */
function widgetOf(s: FieldSchema): FieldWidget | undefined {
  return s.widget ?? (s.anyOf ?? s.oneOf)?.find((v) => v.type !== "null")?.widget;
}

const schemaOf = (kind: string) => {
  const s = configFieldSchema(kind);
  if (!s) throw new Error(`no schema for ${kind}`);
  return s;
};

describe("field widgets come from the catalog's metadata", () => {
  it("reach the JSON Schema the form is built from, nested and nullable parts included", () => {
    const at = (kind: string, ...path: string[]) => fields(schemaOf(kind)).find((f) => f.path.join(".") === path.join("."))?.schema;
    expect(widgetOf(at("send-email", "templateId")!)).toBe("template");
    expect(widgetOf(at("segment-entered", "segmentId")!)).toBe("segment");
    expect(widgetOf(at("wait-window", "days")!)).toBe("weekdays");
    expect(widgetOf(at("wait-window", "timeZone")!)).toBe("time-zone");
    expect(widgetOf(at("goal", "event", "name")!)).toBe("event");
    expect(widgetOf(at("goal", "windowMs")!)).toBe("duration");
    expect(widgetOf(at("wait-until", "offsetMs")!)).toBe("signed-duration");
    expect(widgetOf(at("condition", "rules", "[]", "sendNodeId")!)).toBe("send-node");
    expect(at("send-email", "utm")?.title).toBe("Own UTM parameters");
    expect(at("send-email", "utm", "off")?.title).toBe("No UTM parameters");
    expect(at("send-email", "utm", "campaign")?.anyOf?.[0]?.placeholder).toBe("the flow's name");
  });

  it("give every field the widget its name used to choose, and no other field a widget", () => {
    // The node panel once picked widgets by field name; the metadata must say the same.
    const byName = (name: string, path: string[]): FieldWidget | undefined => {
      if (name === "templateId") return "template";
      if (name === "segmentId") return "segment";
      if (name === "sendNodeId") return "send-node";
      if (name === "tag") return "tag";
      if (name === "event" || (name === "name" && path.includes("event"))) return "event";
      if (name === "attribute") return "attribute";
      if (name === "timeZone") return "time-zone";
      if (name === "from" || name === "to" || name === "time") return "time";
      if (name === "at") return "date-time";
      if (name === "days") return "weekdays";
      if (name === "offsetMs") return "signed-duration";
      // Fields that came with their widgets (no name rule ever chose them).
      if (name === "sendWithinHours") return "duration-hours";
      if (name === "memberIds") return "members";
      if (name.endsWith("Ms")) return "duration";
      return undefined;
    };
    let checked = 0;
    for (const kind of nodeKinds) {
      for (const f of fields(schemaOf(kind))) {
        const name = f.path[f.path.length - 1]!;
        const s = f.schema;
        // goal.event is an object (the switch around name and filters), not an event name.
        const expected = name === "event" && (s.type === "object" || s.anyOf?.some((v) => v.type === "object")) ? undefined : byName(name, f.path);
        expect(widgetOf(s), `${kind}: ${f.path.join(".")}`).toBe(expected);
        if (expected) checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("knows no schema for an unknown kind", () => {
    expect(configFieldSchema("no-such-kind")).toBeNull();
  });
});

describe("what a widget means to the form", () => {
  it("suggests lists and placeholders by widget, a hint's own placeholder first", () => {
    expect(suggestionsFor({ type: "string", widget: "tag" })).toBe("picker-tags");
    expect(suggestionsFor({ type: "string", widget: "time-zone" })).toBe("picker-zones");
    expect(suggestionsFor({ type: "string", widget: "template" })).toBeUndefined();
    expect(suggestionsFor({ type: "string" })).toBeUndefined();
    expect(placeholderFor({ type: "string", widget: "time" })).toBe("09:00");
    expect(placeholderFor({ type: "string", widget: "time-zone" })).toBe("workspace default");
    expect(placeholderFor({ type: "string", widget: "time", placeholder: "17:00" })).toBe("17:00");
    expect(placeholderFor({ type: "string" })).toBeUndefined();
    expect(durationKind({ type: "integer", widget: "duration" })).toEqual({ signed: false, unitMs: 1 });
    expect(durationKind({ type: "integer", widget: "signed-duration" })).toEqual({ signed: true, unitMs: 1 });
    expect(durationKind({ type: "integer", widget: "duration-hours" })).toEqual({ signed: false, unitMs: MS.hour });
    const hours = { signed: false, unitMs: MS.hour };
    expect(parseInUnit("2 days", hours)).toBe(48);
    expect(parseInUnit("36h", hours)).toBe(36);
    expect(parseInUnit("90 minutes", hours)).toBeNull();
    expect(parseInUnit("soon", hours)).toBeNull();
    expect(durationKind({ type: "integer" })).toBeNull();
  });

  it("labels a field by its hint's title, else its name in words", () => {
    expect(fieldLabel("timeoutMs")).toBe("Timeout");
    expect(fieldLabel("segmentId")).toBe("Segment");
    expect(fieldLabel("eventProperty")).toBe("Event property");
    expect(fieldLabel("utm", { title: "Own UTM parameters" })).toBe("Own UTM parameters");
  });
});

describe("initial values", () => {
  it("starts from the default (a copy), a constant, or an empty value of the type", () => {
    const def = { default: ["mon"] };
    expect(initial(def)).toEqual(["mon"]);
    expect(initial(def)).not.toBe(def.default);
    expect(initial({ const: "date" })).toBe("date");
    expect(initial({ anyOf: [{ type: "null" }, { type: "string" }] })).toBe("");
    expect(initial({ type: "string", enum: ["POST", "PUT"] })).toBe("POST");
    expect(initial({ type: "integer", minimum: 1 })).toBe(1);
    expect(initial({ type: "integer", minimum: -5 })).toBe(0);
    expect(initial({ type: "boolean" })).toBe(false);
    expect(initial({ type: "array" })).toEqual([]);
    expect(initial({ type: "object", required: ["a"], properties: { a: { type: "string" }, b: { type: "string" }, c: { type: "integer", default: 3 } } })).toEqual({ a: "", c: 3 });
  });

  it("starts a condition as its first mode with the required fields", () => {
    expect(initial(schemaOf("condition"))).toEqual({ mode: "yes-no", match: "all", rules: [] });
    expect(initial(schemaOf("wait-window"))).toEqual({ days: [], from: "", to: "", timeZone: null });
  });

  it("finds the tag of a tagged union, and none in a union of scalars", () => {
    const condition = schemaOf("condition");
    expect(discriminator(condition.oneOf ?? condition.anyOf ?? [])).toBe("mode");
    const rule = fields(condition).find((f) => f.path.join(".") === "rules")!.schema.items!;
    expect(discriminator(rule.oneOf ?? rule.anyOf ?? [])).toBe("type");
    expect(discriminator([{ type: "string" }, { type: "number" }])).toBeNull();
  });

  it("gives a new branch a fresh id and label, and a weight when branches have one", () => {
    const split = fields(schemaOf("random-split")).find((f) => f.path.join(".") === "branches")!.schema.items!;
    expect(freshItem(split, [{ id: "a" }, { id: "b3" }])).toEqual({ id: "b4", label: "Branch 4", weight: 50 });
    const branch = fields(schemaOf("condition")).find((f) => f.path.join(".") === "branches")!.schema.items!;
    expect(freshItem(branch, [{ id: "b2" }])).toMatchObject({ id: "b3", label: "Branch 3", match: "all", rules: [] });
    expect(freshItem(branch, [])).not.toHaveProperty("weight");
    expect(freshItem({ type: "string" }, ["x"])).toBe("");
  });
});

describe("reading typed text back", () => {
  it("reads durations, signed ones with a minus and an empty or zero as 0", () => {
    expect(parseSigned("3 days", false)).toBe(3 * MS.day);
    expect(parseSigned("-3 days", true)).toBe(-3 * MS.day);
    expect(parseSigned("-3 days", false)).toBeNull();
    expect(parseSigned("", true)).toBe(0);
    expect(parseSigned("0", true)).toBe(0);
    expect(parseSigned("", false)).toBeNull();
    expect(parseSigned("soon", true)).toBeNull();
  });

  it("reads scalars and lists, and writes them as the same text", () => {
    expect(scalar("")).toBeUndefined();
    expect(scalar(" 42 ")).toBe(42);
    expect(scalar("-1.5")).toBe(-1.5);
    expect(scalar("true")).toBe(true);
    expect(scalar("null")).toBeNull();
    expect(scalar("pro")).toBe("pro");
    expect(scalar("a, 2, false")).toEqual(["a", 2, false]);
    expect(scalarText(["a", 2, false])).toBe("a, 2, false");
    expect(scalarText(null)).toBe("");
    expect(scalarText({ a: 1 })).toBe('{"a":1}');
    for (const text of ["pro", "42", "a, 2, false", "true"]) expect(scalarText(scalar(text))).toBe(text);
  });

  it("reads header lines, keeping colons in values and dropping lines without a name", () => {
    expect(parseHeaderLines("X-Token: a:b\nAccept:  json \n: orphan\n\nX-Empty")).toEqual({ "X-Token": "a:b", Accept: "json", "X-Empty": "" });
    expect(headerLines({ "X-Token": "a:b", Accept: "json" })).toBe("X-Token: a:b\nAccept: json");
  });
});
