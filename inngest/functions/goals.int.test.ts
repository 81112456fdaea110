import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TestDatabase } from "@/e2e/fixtures/database";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, createTemplate, grantConsent, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { flowTotals } from "@/db/queries/flow-reports";
import { listEnrollments } from "@/db/queries/enrollments";
import { insertEvent } from "@/db/queries/events";
import { conversions, emailEvents, messages } from "@/db/schema/index";
import { now } from "@/lib/clock";
import type { LocalExecutor } from "../local/server";
import type { TestApp } from "../local/test-app";

/**
 * Goals with a conversion window, through the real goal watcher on the local executor: a purchase
 * after the flow ended still converts inside the window, credited to the last human click, with
 * the revenue from the event; outside the window, or with only scanner clicks, it does not.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let h: FlowHarness;
let db: TestDatabase;
let ex: LocalExecutor;
let app: TestApp;

beforeAll(async () => {
  h = await startFlowHarness();
  ({ db, ex, app } = h);
});

afterAll(() => h?.stop());

it("converts within the window after the last message, credits the last human click, takes the revenue", async () => {
  const ws = await seedWorkspace(db.db, { contacts: 3 });
  await grantConsent(db.db, ws.workspace.id, ws.contacts);
  const t = await createTemplate(db.db, ws.workspace.id, "New boots");
  const { flowId } = await createLiveFlow(db.db, {
    workspaceId: ws.workspace.id,
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["s", "send-email", { templateId: t }],
        ["x", "exit", { reason: "done" }],
        [
          "g",
          "goal",
          {
            name: "Ordered",
            event: { name: "Order Completed", filters: [{ property: "revenue", op: "gt", value: 0 }] },
            windowMs: 3 * DAY,
            windowFrom: "message",
            attribution: "click",
            revenueProperty: "revenue",
          },
        ],
      ],
      [
        ["t", "next", "s"],
        ["s", "next", "x"],
      ],
    ),
  });
  const [clicker, scanned, late] = ws.contacts;
  await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: ws.contacts.map((c) => c.id) } });
  await ex.idle();
  const sent = await db.db.select().from(messages).where(and(eq(messages.workspaceId, ws.workspace.id), eq(messages.flowId, flowId)));
  expect(sent.filter((m) => m.sentAt !== null)).toHaveLength(3);
  const msgOf = (contactId: string) => sent.find((m) => m.contactId === contactId)!;
  // The flow is over for everyone: conversions now come only from the window.
  for (const c of ws.contacts) expect((await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId, contactId: c.id }))[0]!.status).not.toBe("active");

  await ex.advanceClock(HOUR);
  let k = 0;
  const click = (contactId: string, machine: boolean) =>
    db.db.insert(emailEvents).values({
      workspaceId: ws.workspace.id,
      messageId: msgOf(contactId).id,
      contactId,
      type: "clicked",
      url: "https://shop.example/boots",
      machine,
      occurredAt: now(),
      dedupeKey: `click-${k++}`,
    });
  await click(clicker!.id, false);
  await click(scanned!.id, true);
  await ex.advanceClock(DAY);

  const track = async (contactId: string, properties: Record<string, unknown>) => {
    const at = now();
    const { id } = await insertEvent(db.db, { workspaceId: ws.workspace.id, contactId, name: "Order Completed", properties, occurredAt: at });
    await app.inngest.send({ name: "contact/event.tracked", data: { workspaceId: ws.workspace.id, contactId, eventId: id, name: "Order Completed", properties, occurredAt: at.getTime() } });
    await ex.idle();
  };
  await track(clicker!.id, { revenue: "129.90", currency: "nok" });
  await track(clicker!.id, { revenue: 50 }); // a second order converts nothing twice
  await track(scanned!.id, { revenue: 80 });
  await ex.advanceClock(3 * DAY);
  await track(late!.id, { revenue: 60 }); // four days after the mail: outside the window

  const rows = await db.db.select().from(conversions).where(eq(conversions.workspaceId, ws.workspace.id));
  expect(rows.map((r) => ({ contact: r.contactId, message: r.messageId, via: r.attributedVia, revenue: r.revenue, currency: r.currency, goal: r.goalName })).sort((x, y) => (x.revenue! < y.revenue! ? -1 : 1))).toEqual([
    { contact: scanned!.id, message: null, via: null, revenue: 80, currency: null, goal: "Ordered" },
    { contact: clicker!.id, message: msgOf(clicker!.id).id, via: "click", revenue: 129.9, currency: "NOK", goal: "Ordered" },
  ]);
  const day = now().toISOString().slice(0, 10);
  const totals = await flowTotals(db.db, { workspaceId: ws.workspace.id, flowId, from: "2020-01-01", to: day });
  expect(totals).toEqual({ enrolled: 3, conversions: 2, revenue: 209.9, attributed: 1 });
});
