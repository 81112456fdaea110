import { describe, expect, it } from "vitest";
import { exitsFor, isTriggerKind, nodeCatalog, nodeGroups, nodeKinds, triggerKinds } from "./catalog";

describe("node catalog", () => {
  it("covers the kinds the issue asks for, each in a known group", () => {
    expect(nodeKinds.sort()).toEqual(
      [
        "form-submitted",
        "contact-created",
        "tag-added",
        "event-tracked",
        "segment-entered",
        "date-anniversary",
        "manual-enrol",
        "delay",
        "wait-until",
        "wait-window",
        "wait-for-event",
        "condition",
        "random-split",
        "send-email",
        "add-tag",
        "remove-tag",
        "update-attribute",
        "webhook",
        "notify-team",
        "goal",
        "exit",
      ].sort(),
    );
    for (const kind of nodeKinds) {
      const def = nodeCatalog[kind];
      expect(nodeGroups).toContain(def.group);
      expect(def.label.length).toBeGreaterThan(0);
      expect(def.description.length).toBeGreaterThan(0);
    }
    expect(triggerKinds).toHaveLength(7);
    expect(isTriggerKind("delay")).toBe(false);
    expect(isTriggerKind("tag-added")).toBe(true);
    expect(isTriggerKind("toString")).toBe(false);
  });

  it("gives fresh defaults that parse wherever nothing must be filled in by the marketer", () => {
    const needsInput = new Set(["tag-added", "event-tracked", "segment-entered", "wait-until", "wait-for-event", "condition", "send-email", "add-tag", "remove-tag", "update-attribute", "webhook", "notify-team"]);
    for (const kind of nodeKinds) {
      const def = nodeCatalog[kind];
      expect(def.defaults()).not.toBe(def.defaults());
      expect(def.configSchema.safeParse(def.defaults()).success, kind).toBe(!needsInput.has(kind));
    }
  });

  it("lists static exits", () => {
    expect(exitsFor("send-email", {}).map((e) => e.handle)).toEqual(["next"]);
    expect(exitsFor("wait-for-event", {}).map((e) => e.handle)).toEqual(["matched", "timeout"]);
    expect(exitsFor("exit", {})).toEqual([]);
    expect(exitsFor("goal", {})).toEqual([]);
    expect(exitsFor("no-such-kind", {})).toEqual([]);
  });

  it("derives condition and split exits from config, even half-edited", () => {
    expect(exitsFor("condition", { mode: "yes-no" }).map((e) => e.handle)).toEqual(["yes", "no"]);
    expect(exitsFor("condition", { mode: "branches", branches: [{ id: "vip", label: "" }, { id: "eu", label: "Europe" }] })).toEqual([
      { handle: "branch:vip", label: "vip" },
      { handle: "branch:eu", label: "Europe" },
      { handle: "else", label: "Else" },
    ]);
    expect(exitsFor("random-split", nodeCatalog["random-split"].defaults()).map((e) => e.handle)).toEqual(["split:a", "split:b"]);
    expect(exitsFor("random-split", { branches: "nonsense" })).toEqual([]);
  });

  it("marks which nodes surely make time pass", () => {
    const always = nodeKinds.filter((k) => nodeCatalog[k].pauses === "always").sort();
    expect(always).toEqual(["delay", "wait-for-event"]);
  });

  it("validates update-attribute by operation", () => {
    const schema = nodeCatalog["update-attribute"].configSchema;
    expect(schema.safeParse({ attribute: "score", op: "increment", value: 1 }).success).toBe(true);
    expect(schema.safeParse({ attribute: "score", op: "increment", value: "1" }).success).toBe(false);
    expect(schema.safeParse({ attribute: "plan", op: "set" }).success).toBe(false);
    expect(schema.safeParse({ attribute: "plan", op: "unset" }).success).toBe(true);
  });

  it("refuses webhook headers the HTTP client owns", () => {
    const schema = nodeCatalog.webhook.configSchema;
    expect(schema.safeParse({ url: "https://example.com/h", headers: { Authorization: "Bearer x" } }).success).toBe(true);
    expect(schema.safeParse({ url: "https://example.com/h", headers: { Host: "internal" } }).success).toBe(false);
  });
});

describe("send-email's send-within limit", () => {
  const base = { templateId: "t1" };
  it("is optional, null by default, whole hours from 1 to 2160", () => {
    expect(nodeCatalog["send-email"].configSchema.parse(base).sendWithinHours).toBeNull();
    expect(nodeCatalog["send-email"].configSchema.parse({ ...base, sendWithinHours: 48 }).sendWithinHours).toBe(48);
    expect(nodeCatalog["send-email"].configSchema.parse({ ...base, sendWithinHours: 2160 }).sendWithinHours).toBe(2160);
    for (const bad of [0, -1, 2161, 1.5, "48", Number.NaN]) {
      const r = nodeCatalog["send-email"].configSchema.safeParse({ ...base, sendWithinHours: bad });
      expect(r.success, String(bad)).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(["sendWithinHours"]);
    }
    expect(nodeCatalog["send-email"].defaults()).toEqual({ templateId: "", sendWithinHours: null });
  });
});

describe("notify team", () => {
  const schema = nodeCatalog["notify-team"].configSchema;
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  it("takes 1 to 50 distinct member ids and a plain note of at most 1,000 characters, and exits to next", () => {
    expect(schema.parse({ memberIds: [id(1)], message: " Hot lead: call today " })).toEqual({ memberIds: [id(1)], message: "Hot lead: call today" });
    const bad: [unknown, string][] = [
      [{ memberIds: [], message: "x" }, "memberIds"],
      [{ memberIds: Array.from({ length: 51 }, (_, i) => id(i)), message: "x" }, "memberIds"],
      [{ memberIds: [id(1), id(1)], message: "x" }, "memberIds"],
      [{ memberIds: ["not-an-id"], message: "x" }, "memberIds"],
      [{ memberIds: [id(1)], message: "" }, "message"],
      [{ memberIds: [id(1)], message: "x".repeat(1001) }, "message"],
    ];
    for (const [config, field] of bad) {
      const r = schema.safeParse(config);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path[0]).toBe(field);
    }
    expect(nodeCatalog["notify-team"].group).toBe("actions");
    expect(exitsFor("notify-team", {})).toEqual([{ handle: "next", label: "Next" }]);
  });
});
