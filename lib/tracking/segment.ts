import { z } from "zod";
import { depthMessage, nestsTooDeep, tooDeepField } from "../json-depth";
import { mayHoldUnstorable, storableTime, UNSTORABLE_MESSAGE, UNSTORABLE_TIME_MESSAGE, unstorablePath } from "../storable";

/**
 * The Segment HTTP tracking spec, as Tillit accepts it: identify, track, page, screen, group,
 * alias and batch, so any existing Segment client (the server libraries and analytics.js in the
 * browser) works by changing only its host. Pure: no I/O, nothing from the project
 * but the shared JSON depth limit and storable-text checks.
 */

/** Segment's limits: 32 KB for one call, 500 KB for a batch request. */
export const MAX_CALL_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
export const MAX_BATCH_ITEMS = 2500;

export type MessageType = "identify" | "track" | "page" | "screen" | "group" | "alias";

export type TrackingItem = {
  type: MessageType;
  /** The sender's de-duplication id; generated when a sender omits it (then no de-duplication). */
  messageId: string;
  userId?: string;
  anonymousId?: string;
  /** track: the event name; page: "Page Viewed"; identify: "Identified". */
  name: string;
  properties: Record<string, unknown>;
  /** identify's traits (and context.traits on other calls): email, first_name … */
  traits: Record<string, unknown>;
  /** When it happened on the sender's clock, corrected for the sender's clock skew. */
  occurredAt: Date;
  /** group: the account's id (its traits are in `traits`). */
  groupId?: string;
  /** alias: the id (anonymous or an old user id) that becomes `userId`. */
  previousId?: string;
};

export type ItemError = { index: number; message: string };

const id = z.union([z.string().min(1).max(255), z.number()]).transform(String);
// Any JSON object, passed on as parsed: z.record would copy it key by key, per message.
const record = z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "must be a JSON object");
const isoDate = z
  .string()
  .max(64)
  .refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 date")
  .refine((s) => storableTime(new Date(s)), UNSTORABLE_TIME_MESSAGE);

const common = z.object({
  messageId: z.string().min(1).max(255).optional(),
  userId: id.optional().nullable(),
  anonymousId: id.optional().nullable(),
  timestamp: isoDate.optional(),
  originalTimestamp: isoDate.optional(),
  sentAt: isoDate.optional(),
  context: record.optional(),
  integrations: record.optional(),
  writeKey: z.string().optional(),
});

const schemas = {
  identify: common.extend({ traits: record.optional() }),
  track: common.extend({
    event: z.string({ error: "event is required" }).trim().min(1, "event is required").max(200, "event must be at most 200 characters"),
    properties: record.optional(),
  }),
  page: common.extend({ name: z.string().max(200).optional(), category: z.string().max(200).optional(), properties: record.optional() }),
  screen: common.extend({ name: z.string().max(200).optional(), category: z.string().max(200).optional(), properties: record.optional() }),
  group: common.extend({ groupId: id, traits: record.optional() }),
  alias: common.extend({ previousId: id }),
};

function firstIssue(err: z.ZodError): string {
  const issue = err.issues[0]!;
  const field = issue.path.join(".");
  if (issue.code === "invalid_type" && issue.input === undefined) return `${field} is required`;
  return field ? `${field}: ${issue.message}` : issue.message;
}

/**
 * Validates one message and maps it to a tracking item. `sentAt` may come from the batch
 * envelope; clock skew is corrected as Segment does: timestamp + (receivedAt − sentAt).
 */
export function normalizeMessage(
  raw: unknown,
  type: MessageType,
  receivedAt: Date,
  envelope: { sentAt?: string; context?: Record<string, unknown> } = {},
  newId: () => string = () => crypto.randomUUID(),
): { ok: true; item: TrackingItem } | { ok: false; message: string } {
  // Named before parsing: a missing id fails the union of text and number without saying so.
  const needs = type === "group" ? "groupId" : type === "alias" ? "previousId" : undefined;
  if (needs && typeof raw === "object" && raw !== null && (raw as Record<string, unknown>)[needs] == null) return { ok: false, message: `${needs} is required` };
  const parsed = schemas[type].safeParse(raw);
  if (!parsed.success) return { ok: false, message: firstIssue(parsed.error) };
  const m = parsed.data;
  const userId = m.userId ?? undefined;
  const anonymousId = m.anonymousId ?? undefined;
  if (!userId && !anonymousId) return { ok: false, message: "userId or anonymousId is required" };
  if (type === "alias" && !userId) return { ok: false, message: "userId is required" };

  const stamp = m.timestamp ?? m.originalTimestamp;
  const sentAt = m.sentAt ?? envelope.sentAt;
  let occurredAt = stamp ? new Date(stamp) : receivedAt;
  if (stamp && sentAt) occurredAt = new Date(occurredAt.getTime() + (receivedAt.getTime() - new Date(sentAt).getTime()));
  // Each time fits on its own; a far-off sentAt can still carry the corrected one out of range.
  if (!storableTime(occurredAt)) return { ok: false, message: `timestamp: ${UNSTORABLE_TIME_MESSAGE} once corrected by sentAt` };

  const context = envelope.context ? { ...envelope.context, ...m.context } : (m.context ?? {});
  const contextTraits = (context.traits as Record<string, unknown> | undefined) ?? {};
  // Items are built field by field: on Node 20, an object literal that spreads another object and
  // then adds keys ({ ...base, type }) costs ~10 µs, more than validating the message.
  const item = (name: string, properties: Record<string, unknown>, traits: Record<string, unknown>): TrackingItem => ({
    type,
    messageId: m.messageId ?? newId(),
    userId,
    anonymousId,
    name,
    properties,
    traits,
    occurredAt,
  });
  if (type === "identify") {
    const traits = { ...contextTraits, ...((m as z.infer<(typeof schemas)["identify"]>).traits ?? {}) };
    return { ok: true, item: item("Identified", {}, traits) };
  }
  if (type === "track") {
    const t = m as z.infer<(typeof schemas)["track"]>;
    return { ok: true, item: item(t.event, t.properties ?? {}, contextTraits) };
  }
  if (type === "group") {
    const g = m as z.infer<(typeof schemas)["group"]>;
    const traits = g.traits ?? {};
    const r = item("Group Joined", { groupId: g.groupId, ...traits }, traits);
    r.groupId = g.groupId;
    return { ok: true, item: r };
  }
  if (type === "alias") {
    const a = m as z.infer<(typeof schemas)["alias"]>;
    const r = item("Aliased", { previousId: a.previousId }, contextTraits);
    r.previousId = a.previousId;
    return { ok: true, item: r };
  }
  const p = m as z.infer<(typeof schemas)["page"]>;
  // A page's context.page (url, path, title …) is its properties' base; a screen has none.
  const page = type === "page" ? ((context.page as Record<string, unknown> | undefined) ?? {}) : {};
  const properties: Record<string, unknown> = Object.assign({}, page, p.properties);
  if (p.name) properties.name = p.name;
  if (p.category) properties.category = p.category;
  return { ok: true, item: item(type === "page" ? "Page Viewed" : "Screen Viewed", properties, contextTraits) };
}

const typeOf = z.enum(["identify", "track", "page", "screen", "group", "alias"]);

/** Most group traits kept on the contact, and the longest text value kept. */
export const MAX_GROUP_TRAITS = 50;
const MAX_GROUP_TEXT = 1000;

/**
 * A group call's account, as contact attributes (docs/runtime.md, "3. Tracking"): `company_id` is the group id,
 * and each top-level trait whose value is text, a number or a true/false becomes
 * `company_<trait>` (`name` → `company_name`, `plan` → `company_plan`). Attributes hold only such
 * values, so nested traits (an address object, a list) stay on the event, not the contact. Trait
 * names are kept as letters, digits and underscores; at most MAX_GROUP_TRAITS of them.
 */
export function groupAttributes(groupId: string, traits: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = { company_id: groupId };
  let n = 0;
  for (const [k, v] of Object.entries(traits)) {
    if (n >= MAX_GROUP_TRAITS) break;
    const name = k
      .trim()
      .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 60);
    if (!name || name === "id") continue;
    if (typeof v === "string") out[`company_${name}`] = v.slice(0, MAX_GROUP_TEXT);
    else if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean") out[`company_${name}`] = v;
    else continue;
    n++;
  }
  return out;
}

/**
 * A batch keeps its valid items and reports the invalid ones by index, so one bad message does
 * not cost the rest. A message of another type is refused by name.
 */
export function normalizeBatch(
  body: unknown,
  receivedAt: Date,
  newId?: () => string,
): { ok: true; items: TrackingItem[]; errors: ItemError[] } | { ok: false; message: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, message: "body must be a JSON object" };
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.batch)) return { ok: false, message: "batch must be an array of messages" };
  if (b.batch.length > MAX_BATCH_ITEMS) return { ok: false, message: `batch holds at most ${MAX_BATCH_ITEMS} messages` };
  const envelope = {
    sentAt: typeof b.sentAt === "string" && storableTime(new Date(b.sentAt)) ? b.sentAt : undefined,
    context: typeof b.context === "object" && b.context !== null ? (b.context as Record<string, unknown>) : undefined,
  };
  if (envelope.context && nestsTooDeep(envelope.context)) return { ok: false, message: depthMessage("context") };
  const badContext = envelope.context ? unstorablePath(envelope.context) : undefined;
  if (badContext !== undefined) return { ok: false, message: `${["context", badContext].filter(Boolean).join(".")}: ${UNSTORABLE_MESSAGE}` };
  const items: TrackingItem[] = [];
  const errors: ItemError[] = [];
  b.batch.forEach((raw, index) => {
    const t = typeOf.safeParse((raw as { type?: unknown } | null)?.type);
    if (!t.success) {
      const given = (raw as { type?: unknown } | null)?.type;
      errors.push({ index, message: given === undefined ? "type is required" : `type ${JSON.stringify(given)} is not supported (identify, track, page, screen, group, alias)` });
      return;
    }
    // Before anything walks it: serialising a value nested 10,000 deep overflows the stack.
    const deep = tooDeepField(raw);
    if (deep !== undefined) {
      errors.push({ index, message: depthMessage(deep) });
      return;
    }
    const json = JSON.stringify(raw);
    if (json.length > MAX_CALL_BYTES) {
      errors.push({ index, message: `message is larger than ${MAX_CALL_BYTES / 1024} KB` });
      return;
    }
    const bad = mayHoldUnstorable(json) ? unstorablePath(raw) : undefined;
    if (bad !== undefined) {
      errors.push({ index, message: `${bad}: ${UNSTORABLE_MESSAGE}` });
      return;
    }
    const r = normalizeMessage(raw, t.data, receivedAt, envelope, newId);
    if (r.ok) items.push(r.item);
    else errors.push({ index, message: r.message });
  });
  return { ok: true, items, errors };
}

/** The write key from `Authorization: Basic base64(writeKey:)`, or from the body's writeKey. */
export function writeKeyOf(authorization: string | undefined, body: unknown): string | undefined {
  if (authorization?.startsWith("Basic ")) {
    let decoded = "";
    try {
      decoded = atob(authorization.slice(6).trim());
    } catch {
      return undefined;
    }
    const user = decoded.split(":")[0];
    if (user) return user;
  }
  const k = (body as { writeKey?: unknown } | null)?.writeKey;
  return typeof k === "string" && k.length > 0 ? k : undefined;
}

/** The contact fields identify traits may carry, by Segment's reserved trait names. */
export function contactFieldsFromTraits(traits: Record<string, unknown>) {
  const str = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
  const email = str(traits.email);
  return {
    email: email && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : undefined,
    firstName: str(traits.firstName) ?? str(traits.first_name),
    lastName: str(traits.lastName) ?? str(traits.last_name),
  };
}
