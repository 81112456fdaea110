import type { Inngest } from "inngest";
import { getSegment, markRefreshed, refreshMembership, segmentsToRefresh, workspacesWithSegments } from "@/db/queries/segments";
import { now } from "@/lib/clock";
import {
  contactCreated,
  contactsImported,
  contactUnsubscribed,
  emailClicked,
  emailOpened,
  eventTracked,
  segmentEntered,
  segmentRefreshRequested,
  tagAdded,
} from "../events";
import type { FlowDeps } from "./deps";
import { eventData } from "./event-data";
import { SEND_BATCH } from "./flow-router";

/** Contacts re-evaluated per step: one statement each, and at most one send batch of entries. */
export const REFRESH_PAGE = SEND_BATCH;

/**
 * Segment membership on a schedule: every 15 minutes, ask for a refresh of every segment (time
 * alone moves people in and out of "in the last 7 days"). The refreshes run as their own runs,
 * one per segment, so a big workspace does not make one run of thousands of steps.
 */
export function createSegmentSchedule(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    { id: "segment-schedule", name: "Segment refresh schedule", triggers: [{ cron: "*/15 * * * *" }], retries: 3 },
    async ({ step }) => {
      const db = deps.db();
      const all = await step.run("segments", async () => {
        const out: { workspaceId: string; segmentId: string }[] = [];
        for (const workspaceId of await workspacesWithSegments(db)) {
          for (const s of await segmentsToRefresh(db, { workspaceId })) out.push({ workspaceId, segmentId: s.id });
        }
        return out;
      });
      for (let i = 0; i < all.length; i += SEND_BATCH) {
        await step.sendEvent(
          `refresh-${i / SEND_BATCH}`,
          all.slice(i, i + SEND_BATCH).map((d) => ({ name: segmentRefreshRequested.name, data: d })),
        );
      }
      return { segments: all.length };
    },
  );
}

/**
 * One segment, every contact, page by page inside steps: new matches enter (a
 * `contact/segment.entered` per page, ≤ 5000 contacts), non-matches leave. The first refresh of a
 * segment records its members without announcing them.
 */
export function createSegmentRefresh(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    {
      id: "segment-refresh",
      name: "Segment refresh",
      triggers: [segmentRefreshRequested],
      concurrency: [{ key: "event.data.segmentId", limit: 1 }],
      retries: 4,
    },
    async ({ event, step }) => {
      const db = deps.db();
      const { workspaceId, segmentId } = eventData(event, segmentRefreshRequested);
      const start = await step.run("start", async () => {
        const s = await getSegment(db, { workspaceId, segmentId });
        return s ? { at: now().getTime(), announce: s.baselinedAt !== null } : null;
      });
      if (!start) return { missing: true };
      let afterId: string | null = null;
      let entered = 0;
      for (let page = 0; ; page++) {
        const cursor: string | null = afterId;
        const r: { entered: string[]; last: string | null; scanned: number } = await step.run(`page-${page}`, async () => {
          const s = await getSegment(db, { workspaceId, segmentId });
          if (!s) return { entered: [], last: null, scanned: 0 };
          const x = await refreshMembership(db, { workspaceId, segmentId, definition: s.definition, now: new Date(start.at), afterId: cursor, limit: REFRESH_PAGE });
          return { entered: x.entered, last: x.last, scanned: x.scanned };
        });
        if (start.announce && r.entered.length > 0) {
          await step.sendEvent(`enter-${page}`, { name: segmentEntered.name, data: { workspaceId, segmentId, contactIds: r.entered } });
          entered += r.entered.length;
        }
        if (r.scanned < REFRESH_PAGE || r.last === null) break;
        afterId = r.last;
      }
      await step.run("done", () => markRefreshed(db, { workspaceId, segmentId, now: new Date(start.at) }));
      return { entered };
    },
  );
}

/**
 * Membership on events: whatever may change what a contact matches (a tracked event, a tag, an
 * open or click, consent) re-evaluates that contact against every segment of the workspace at
 * once, so a flow on "entered segment" starts within seconds rather than at the next schedule.
 */
export function createSegmentContactRefresh(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    {
      id: "segment-contact-refresh",
      name: "Segment membership on contact activity",
      triggers: [eventTracked, tagAdded, contactCreated, emailOpened, emailClicked, contactUnsubscribed],
      concurrency: [{ key: "event.data.contactId", limit: 1 }],
      retries: 4,
    },
    async ({ event, step }) => {
      const db = deps.db();
      const { workspaceId, contactId } = eventData(event, eventTracked, tagAdded, contactCreated, emailOpened, emailClicked, contactUnsubscribed);
      const entered = await step.run("evaluate", async () => {
        const at = now();
        const out: string[] = [];
        for (const s of await segmentsToRefresh(db, { workspaceId })) {
          // Not yet baselined: the first full refresh records members without announcing them.
          if (s.baselinedAt === null) continue;
          const r = await refreshMembership(db, { workspaceId, segmentId: s.id, definition: s.definition, now: at, contactIds: [contactId] });
          if (r.entered.length > 0) out.push(s.id);
        }
        return out;
      });
      if (entered.length > 0) {
        await step.sendEvent(
          "entered",
          entered.map((segmentId) => ({ name: segmentEntered.name, data: { workspaceId, segmentId, contactIds: [contactId] } })),
        );
      }
      return { entered };
    },
  );
}

/**
 * Membership for contacts an import created: a thousand per event, evaluated against every
 * segment of the workspace in one statement per segment (the same rule as a contact/created each).
 */
export function createSegmentImportRefresh(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    {
      id: "segment-import-refresh",
      name: "Segment membership on imported contacts",
      triggers: [contactsImported],
      retries: 4,
    },
    async ({ event, step }) => {
      const db = deps.db();
      const { workspaceId, contactIds } = eventData(event, contactsImported);
      const entered = await step.run("evaluate", async () => {
        const at = now();
        const out: { segmentId: string; contactIds: string[] }[] = [];
        for (const s of await segmentsToRefresh(db, { workspaceId })) {
          if (s.baselinedAt === null) continue;
          const r = await refreshMembership(db, { workspaceId, segmentId: s.id, definition: s.definition, now: at, contactIds });
          if (r.entered.length > 0) out.push({ segmentId: s.id, contactIds: r.entered });
        }
        return out;
      });
      if (entered.length > 0) {
        await step.sendEvent(
          "entered",
          entered.map((e) => ({ name: segmentEntered.name, data: { workspaceId, segmentId: e.segmentId, contactIds: e.contactIds } })),
        );
      }
      return { entered: entered.map((e) => e.segmentId) };
    },
  );
}
