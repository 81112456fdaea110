import "server-only";
import type { Db } from "@/db/client";
import { ledgerForRules, topicStateByKey } from "@/db/queries/consent";
import { consentFacts, contactTagNames } from "@/db/queries/contacts";
import { contactEventsBetween } from "@/db/queries/events";
import { listMembers } from "@/db/queries/members";
import { contactEngagement, recentMarketingSends, sendingContext } from "@/db/queries/messages";
import { contactSegmentIds } from "@/db/queries/segments";
import { templateClasses } from "@/db/queries/templates";
import { DRY_RUN_EVENT_LIMIT, FREQUENCY_WINDOW_MAX_MS, type DryRunFacts, type DryRunQuery } from "@/lib/dry-run/facts";

/**
 * A real contact's state as the flow runner reads it when it decides (docs/flows.md#the-dry-run),
 * for the editor's dry run: the same queries the runner's condition and send steps make, at one
 * instant. Undefined when the contact is not the workspace's.
 */
export async function loadDryRunFacts(db: Db, q: DryRunQuery & { workspaceId: string; at: Date }): Promise<DryRunFacts | undefined> {
  const scope = { workspaceId: q.workspaceId, contactId: q.contact };
  const facts = await consentFacts(db, scope);
  if (!facts) return undefined;
  const [tags, segments, events, emails, ledger, templates, ctx, recent, members] = await Promise.all([
    contactTagNames(db, scope),
    contactSegmentIds(db, { ...scope, segmentIds: q.segments, now: q.at }),
    contactEventsBetween(db, { ...scope, names: q.events, after: null, upTo: q.at, limit: DRY_RUN_EVENT_LIMIT, newest: true }),
    // No enrollment yet: none of these engagements belongs to one of this run's sends.
    contactEngagement(db, { ...scope, enrollmentId: "", upTo: q.at }),
    ledgerForRules(db, scope),
    templateClasses(db, { workspaceId: q.workspaceId, templateIds: q.templates }),
    sendingContext(db, { workspaceId: q.workspaceId, flowId: null }),
    recentMarketingSends(db, { ...scope, since: new Date(q.at.getTime() - FREQUENCY_WINDOW_MAX_MS) }),
    listMembers(db, { workspaceId: q.workspaceId }),
  ]);
  const topicKeys = [...new Set(templates.flatMap((t) => (t.topic ? [t.topic] : [])))];
  const topicStates = await Promise.all(topicKeys.map((key) => topicStateByKey(db, { ...scope, key })));
  return {
    at: q.at.getTime(),
    workspaceTimeZone: facts.workspaceTimeZone,
    contact: {
      id: facts.contactId,
      email: facts.email,
      firstName: facts.firstName,
      lastName: facts.lastName,
      timeZone: facts.timeZone,
      attributes: facts.attributes,
      tags,
      segments,
    },
    events: events.map((e) => ({ name: e.name, at: e.occurredAt.getTime(), properties: e.properties })),
    emails: emails.map((e) => ({ templateId: e.templateId, action: e.action, at: e.at })),
    consent: { status: facts.status, ledger, suppression: facts.suppression, postalAddress: facts.postalAddress },
    topics: Object.fromEntries(topicKeys.map((k, i) => [k, topicStates[i] ?? null])),
    templates: Object.fromEntries(templates.map((t) => [t.id, { class: t.class, topic: t.topic }])),
    recentSends: recent,
    sendingPolicy: ctx?.sendingPolicy ?? {},
    members: members.map((m) => m.userId),
  };
}
