import { describe, expect, it } from "vitest";
import { broadcastDraftSchema, broadcastTagWarnings, sendTimeProblem, transitionRefusal, TRANSITIONS } from "./draft";

describe("a broadcast draft", () => {
  it("fills what is not set with null (the template's content, the workspace's sender) and trims", () => {
    expect(broadcastDraftSchema.parse({ name: "  May  ", subject: "", fromEmail: " " })).toEqual({
      name: "May",
      templateId: null,
      subject: null,
      preheader: null,
      fromName: null,
      fromEmail: null,
      replyTo: null,
      utm: null,
      audience: null,
      bypassCaps: false,
    });
  });

  it("refuses Liquid that does not parse or reads files, naming the field", () => {
    const bad = broadcastDraftSchema.safeParse({ name: "x", subject: "{{ contact.first_name" });
    expect(bad.error?.issues[0]?.path).toEqual(["subject"]);
    const file = broadcastDraftSchema.safeParse({ name: "x", preheader: "{% render 'x' %}" });
    expect(file.error?.issues[0]).toMatchObject({ path: ["preheader"], message: expect.stringMatching(/cannot read files/) });
  });

  it("warns of merge tags that render empty, but not of known ones", () => {
    const w = broadcastTagWarnings({ subject: "Hi {{ contact.first_name }} {{ contact.plan }}", preheader: "{{ nope }}" }, ["tier"]);
    expect(w.map((x) => x.tag)).toEqual(["contact.plan", "nope"]);
  });

  it("takes a send time in the future, or none for now", () => {
    const now = new Date("2030-01-01T00:00:00Z");
    expect(sendTimeProblem(null, now)).toBeNull();
    expect(sendTimeProblem(new Date("2030-01-01T00:00:01Z"), now)).toBeNull();
    expect(sendTimeProblem(now, now)).toMatch(/in the past/);
    expect(sendTimeProblem(new Date("2032-01-01T00:00:00Z"), now)).toMatch(/more than a year/);
    expect(sendTimeProblem(new Date("nonsense"), now)).toMatch(/not a valid time/);
  });

  it("moves only along draft → scheduled → sending ⇄ paused, and cancels from any live status", () => {
    expect(TRANSITIONS).toEqual({ schedule: ["draft"], cancel: ["scheduled", "sending", "paused"], pause: ["sending"], resume: ["paused"] });
    expect(transitionRefusal("pause", "scheduled")).toBe("a scheduled broadcast cannot be paused: only a sending one can");
  });
});
