import { NonRetriableError } from "inngest";
import { describe, expect, it } from "vitest";
import { contactCreated, flowExit, tagAdded } from "../events";
import { eventData } from "./event-data";

const workspaceId = "00000000-0000-4000-8000-000000000001";
const contactId = "00000000-0000-4000-8000-000000000002";

/** What eventData threw, for assertions on its class and message. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected eventData to throw");
}

describe("eventData", () => {
  it("returns the payload parsed by the schema of the event's own declared type", () => {
    const d = eventData({ name: "contact/tag.added", data: { workspaceId, contactId, tag: "vip" } }, contactCreated, tagAdded);
    expect(d).toEqual({ workspaceId, contactId, tag: "vip" });
    // Unknown keys are left out, as the schema says.
    expect(eventData({ name: "flow/exit", data: { workspaceId, enrollmentId: contactId, reason: "goal", extra: 1 } }, flowExit)).toEqual({
      workspaceId,
      enrollmentId: contactId,
      reason: "goal",
    });
  });

  it("fails a payload that does not fit without retries, naming the field", () => {
    const err = thrown(() => eventData({ name: "flow/exit", data: { workspaceId: "not-a-uuid", enrollmentId: contactId, reason: "goal" } }, flowExit));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect((err as Error).message).toMatch(/^flow\/exit: data\.workspaceId: /);

    const missing = thrown(() => eventData({ name: "contact/tag.added", data: { workspaceId, contactId } }, contactCreated, tagAdded));
    expect(missing).toBeInstanceOf(NonRetriableError);
    expect((missing as Error).message).toMatch(/^contact\/tag\.added: data\.tag: /);

    expect(thrown(() => eventData({ name: "flow/exit", data: null }, flowExit))).toBeInstanceOf(NonRetriableError);
  });

  it("fails an event of a type the function does not take", () => {
    const err = thrown(() => eventData({ name: "contact/created", data: { workspaceId, contactId, source: "api" } }, flowExit));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect((err as Error).message).toBe("contact/created: not an event this function takes (flow/exit)");
  });
});
