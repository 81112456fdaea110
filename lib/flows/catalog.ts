import { z } from "zod";
import { MS } from "./duration";
import { comparisonBase, propertyFiltersSchema, propertyPathSchema, refineComparison, scalarSchema } from "./filters";
import { isValidTimeZone, TIME_OF_DAY, weekdays } from "./time-zones";
import { checkWebhookUrl } from "./webhook-url";

/**
 * The node catalog: one entry per kind, client-safe (no Node APIs), read by the editor's palette
 * and side panel, by compile() and by the runner. Handlers with side effects live on the server;
 * this file only says what a node is, how it is configured and which exits it has. Every list of
 * kinds elsewhere is made from this object (docs/flows.md, "Adding a node kind").
 */

export const nodeGroups = ["triggers", "timing", "logic", "actions", "messages"] as const;
export type NodeGroup = (typeof nodeGroups)[number];

export type ExitDef = { handle: string; label: string };

/**
 * How the node panel shows a config field, carried in the field's zod metadata (`.meta()`, so it
 * reaches the panel through the JSON Schema the form is built from). Fields without one get the
 * widget their type implies: text, number, checkbox, select for an enum, a list for an array.
 */
export type FieldWidget =
  /** A select of the workspace's email templates. */
  | "template"
  /** A select of the workspace's segments. */
  | "segment"
  /** A select of this flow's send-email nodes; empty means any email (null). */
  | "send-node"
  /** Text, with the workspace's tags, tracked event names, contact attributes or IANA zones suggested. */
  | "tag"
  | "event"
  | "attribute"
  | "time-zone"
  /** A 24-hour wall-clock time, or a date and time with a zone offset. */
  | "time"
  | "date-time"
  /** Milliseconds typed as a human duration ("3 days", "2h 30m"); signed also takes "-3 days". */
  | "duration"
  | "signed-duration"
  /** A checkbox per weekday. */
  | "weekdays"
  /** Whole hours typed as a human duration ("2 days", "36 hours"). */
  | "duration-hours"
  /** A checkbox per workspace member (user ids). */
  | "members";

/**
 * What the node panel reads from a field's metadata; `title` replaces the label made from the
 * field's name, `help` is a line shown under the field.
 */
export type FieldHint = { widget?: FieldWidget; title?: string; placeholder?: string; help?: string };

/** A schema with its field hint: the same schema (a clone that carries the metadata), typed as before. */
export const hint = <S extends z.ZodType>(schema: S, h: FieldHint): S => schema.meta(h);

/**
 * How surely a node makes time pass. A cycle must contain an "always" node: a window or a date
 * wait may pass instantly (inside the window, date already past) and would let a loop spin.
 */
export type Pause = "always" | "maybe" | "never";

// Ids end up inside step ids (`${nodeId}#${visit}:${kind}`) and exit handles (`branch:<id>`),
// so they may not contain the separators.
export const idSchema = z
  .string()
  .min(1, "id is required")
  .max(64, "ids are at most 64 characters")
  .regex(/^[A-Za-z0-9_-]+$/, "ids use letters, digits, _ and -");

const name = (what: string) => z.string().trim().min(1, `${what} is required`).max(200, `${what} is at most 200 characters`);
const tag = () => hint(name("tag"), { widget: "tag" });
const eventName = () => hint(name("event name"), { widget: "event" });
const segmentRef = hint(z.string().min(1, "segment is required"), { widget: "segment" });
const attributeName = hint(
  z
    .string()
    .min(1, "attribute is required")
    .max(100)
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "attribute names start with a letter or _ and use letters, digits, _ . -"),
  { widget: "attribute" },
);
const durationMs = (what: string, max = 366 * MS.day) =>
  hint(
    z
      .number({ error: `${what} is required` })
      .int(`${what} must be whole milliseconds`)
      .min(MS.minute, `${what} must be at least 1 minute`)
      .max(max, `${what} must be at most ${Math.round(max / MS.day)} days`),
    { widget: "duration" },
  );
const withinMs = durationMs("the look-back window", 3660 * MS.day).nullable().default(null);
const timeOfDay = hint(z.string().regex(TIME_OF_DAY, "use a 24-hour time like 09:00"), { widget: "time" });
const timeZone = hint(z.string().refine(isValidTimeZone, "is not a known IANA time zone (like Europe/Oslo)"), { widget: "time-zone" });

// ---------------------------------------------------------------- config schemas

export const formSubmittedConfig = z.object({
  /** null: any form in the workspace. */
  formId: z.string().min(1).nullable().default(null),
});
export const contactCreatedConfig = z.object({
  source: z.enum(["any", "form", "api", "import", "manual", "tracking"]).default("any"),
});
export const tagAddedConfig = z.object({ tag: tag() });
export const eventTrackedConfig = z.object({ event: eventName(), filters: propertyFiltersSchema });
export const segmentEnteredConfig = z.object({ segmentId: segmentRef });
export const dateAnniversaryConfig = z.object({
  attribute: attributeName,
  /** -7 enrols a week before the date each year. */
  offsetDays: z.number().int().min(-60).max(60).default(0),
  /** Wall-clock time in the contact's zone. */
  time: timeOfDay.default("09:00"),
});
export const manualEnrolConfig = z.object({});

export const delayConfig = z.object({ durationMs: durationMs("the delay") });
export const waitUntilConfig = z.discriminatedUnion("mode", [
  z.object({
    mode: z.literal("date"),
    at: hint(z.iso.datetime({ offset: true, error: "use a date and time with a zone offset, like 2026-05-01T09:00:00+02:00" }), { widget: "date-time" }),
  }),
  z.object({
    mode: z.literal("attribute"),
    attribute: attributeName,
    /** Negative waits until before the date (3 days before renewal). */
    offsetMs: hint(z.number().int().min(-366 * MS.day).max(366 * MS.day), { widget: "signed-duration" }).default(0),
    /** For date-only attributes: the wall-clock time in the contact's zone. */
    time: timeOfDay.default("09:00"),
  }),
]);
export const waitWindowConfig = z
  .object({
    days: hint(
      z
        .array(z.enum(weekdays))
        .min(1, "pick at least one day")
        .refine((d) => new Set(d).size === d.length, "days repeat"),
      { widget: "weekdays" },
    ),
    from: timeOfDay,
    to: timeOfDay,
    /** For contacts without a zone; null means the workspace's default zone. */
    timeZone: timeZone.nullable().default(null),
  })
  .refine((w) => w.from !== w.to, { message: "the window must not start and end at the same time", path: ["to"] });
export const waitForEventConfig = z.object({
  event: eventName(),
  filters: propertyFiltersSchema,
  /** The event matches only if its property equals the trigger's (a cart's id, an order's id). */
  correlate: z
    .object({ eventProperty: propertyPathSchema, triggerProperty: propertyPathSchema })
    .nullable()
    .default(null),
  timeoutMs: durationMs("the timeout"),
});

const attributeRule = z
  .object({ type: z.literal("attribute"), attribute: attributeName, ...comparisonBase })
  .superRefine(refineComparison);
const tagRule = z.object({ type: z.literal("tag"), tag: tag(), has: z.boolean().default(true) });
const segmentRule = z.object({
  type: z.literal("segment"),
  segmentId: segmentRef,
  member: z.boolean().default(true),
});
const eventRule = z.object({
  type: z.literal("event"),
  event: eventName(),
  filters: propertyFiltersSchema,
  /** null: ever; otherwise only events in the last withinMs before the check. */
  withinMs,
});
const emailRule = z.object({
  type: z.literal("email"),
  action: z.enum(["opened", "clicked"]),
  /** The send node in this flow whose email is meant; null means any email. */
  sendNodeId: hint(idSchema, { widget: "send-node" }).nullable().default(null),
  /** A template, when not tied to a send node; null means any template. */
  templateId: hint(z.string().min(1), { widget: "template" }).nullable().default(null),
  withinMs,
});
export const conditionRuleSchema = z.discriminatedUnion("type", [attributeRule, tagRule, segmentRule, eventRule, emailRule]);
export type ConditionRule = z.infer<typeof conditionRuleSchema>;

const ruleSet = {
  match: z.enum(["all", "any"]).default("all"),
  rules: z.array(conditionRuleSchema).min(1, "add at least one rule").max(20),
};
const uniqueIds = (items: { id: string }[]) => new Set(items.map((b) => b.id)).size === items.length;

export const conditionConfig = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("yes-no"), ...ruleSet }),
  z.object({
    mode: z.literal("branches"),
    /** First matching branch wins; "else" takes the rest. */
    branches: z
      .array(z.object({ id: idSchema, label: name("branch label"), ...ruleSet }))
      .min(1, "add at least one branch")
      .max(20)
      .refine(uniqueIds, "branch ids repeat"),
  }),
]);
export const randomSplitConfig = z.object({
  branches: z
    .array(z.object({ id: idSchema, label: name("branch label"), weight: z.number().int().min(1, "weights are at least 1").max(10_000) }))
    .min(2, "a split needs at least two branches")
    .max(10)
    .refine(uniqueIds, "branch ids repeat"),
});

/** A UTM parameter's value: what analytics tools group by, so kept to a slug. */
export const utmValueSchema = z.string().regex(/^[\w.-]{1,60}$/, "letters, digits, . _ - only");
/**
 * A send node's own UTM parameters. Absent: the workspace's tracking settings decide whether links
 * get them, with source and medium from there, campaign = the flow's name and content = the node
 * id. Present: this node decides — none when `off`, otherwise each value set here wins and each
 * one left empty falls back as above.
 */
export const utmOverrideSchema = z.object({
  off: hint(z.boolean(), { title: "No UTM parameters" }).default(false),
  campaign: hint(utmValueSchema, { placeholder: "the flow's name" }).nullable().optional(),
  source: hint(utmValueSchema, { placeholder: "workspace default" }).nullable().optional(),
  medium: hint(utmValueSchema, { placeholder: "workspace default" }).nullable().optional(),
  content: hint(utmValueSchema, { placeholder: "the node id" }).nullable().optional(),
});
export type UtmOverride = z.infer<typeof utmOverrideSchema>;
/** The longest "send within" limit: 90 days. */
export const SEND_WITHIN_MAX_HOURS = 2160;
export const sendEmailConfig = z.object({
  templateId: hint(z.string().min(1, "choose a template"), { widget: "template" }),
  utm: hint(utmOverrideSchema.nullable().optional(), { title: "Own UTM parameters" }),
  /**
   * How long after the contact reached the node the message may still go out; null: no limit.
   * A message the frequency cap or quiet hours would hold past it is skipped (lib/flows/send-within.ts).
   */
  sendWithinHours: hint(
    z
      .number({ error: "the send-within limit is a number of hours" })
      .int("the send-within limit is whole hours")
      .min(1, "the send-within limit is at least 1 hour")
      .max(SEND_WITHIN_MAX_HOURS, `the send-within limit is at most ${SEND_WITHIN_MAX_HOURS / 24} days`),
    {
      widget: "duration-hours",
      title: "Send within",
      placeholder: "no limit",
      help: "Skip the message if the frequency cap or quiet hours would hold it longer: a cart reminder is pointless after 2 days.",
    },
  )
    .nullable()
    .default(null),
});
export const tagActionConfig = z.object({ tag: tag() });
export const updateAttributeConfig = z
  .object({
    attribute: attributeName,
    op: z.enum(["set", "unset", "increment"]).default("set"),
    value: scalarSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.op === "set" && c.value === undefined) ctx.addIssue({ code: "custom", path: ["value"], message: "set needs a value" });
    if (c.op === "increment" && typeof c.value !== "number") {
      ctx.addIssue({ code: "custom", path: ["value"], message: "increment needs a number" });
    }
  });
// Headers the HTTP client owns; letting a flow set them invites request smuggling or host confusion.
const RESERVED_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "proxy-authorization"]);
export const webhookConfig = z.object({
  url: z
    .string()
    .min(1, "url is required")
    .max(2000)
    .superRefine((url, ctx) => {
      const problem = checkWebhookUrl(url);
      if (problem) ctx.addIssue({ code: "custom", message: `the URL ${problem}` });
    }),
  method: z.enum(["POST", "PUT", "PATCH"]).default("POST"),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "header names use letters, digits and -"), z.string().max(2000))
    .default({})
    .refine((h) => Object.keys(h).every((k) => !RESERVED_HEADERS.has(k.toLowerCase())), "headers include one the client sets itself")
    .refine((h) => Object.keys(h).length <= 20, "at most 20 headers"),
  /** A Liquid template; null sends the default JSON body (contact, flow, node, trigger). */
  body: z.string().max(50_000).nullable().default(null),
});
/** The most members one notify-team node may tell. */
export const NOTIFY_MAX_MEMBERS = 50;
export const notifyTeamConfig = z.object({
  /** User ids of workspace members; checked against the workspace's members at publish and again at run time. */
  memberIds: hint(
    z
      .array(z.uuid("members are chosen from the workspace's members"))
      .min(1, "choose at least one member")
      .max(NOTIFY_MAX_MEMBERS, `at most ${NOTIFY_MAX_MEMBERS} members`)
      .refine((ids) => new Set(ids.map((i) => i.toLowerCase())).size === ids.length, "a member is chosen twice"),
    { widget: "members", title: "Tell these members" },
  ),
  /** Plain text, shown as written: merge tags are not interpreted. */
  message: hint(z.string().trim().min(1, "message is required").max(1000, "message is at most 1,000 characters"), {
    placeholder: "Hot lead: call today",
  }),
});
export const goalConfig = z.object({
  name: name("goal name"),
  /** When set, the goal watcher ends the enrollment as soon as this event happens, wherever the contact is. */
  event: z.object({ name: eventName(), filters: propertyFiltersSchema }).nullable().default(null),
  /**
   * Conversion window: the event counts only this long after the contact entered the flow (or
   * after the flow last mailed them), and then also after they left it. null: while in the flow.
   */
  windowMs: durationMs("the conversion window").nullable().default(null),
  windowFrom: z.enum(["enrollment", "message"]).default("enrollment"),
  /** Credit the last human click in the window, or failing that the last human open. */
  attribution: z.enum(["click", "click-or-open"]).default("click-or-open"),
  /** The event property holding the order value (a number or numeric string), e.g. revenue or cart.total. */
  revenueProperty: propertyPathSchema.nullable().default(null),
});
export const exitConfig = z.object({ reason: z.string().max(200).default("") });

// ---------------------------------------------------------------- the catalog

type Definition<S extends z.ZodType, G extends NodeGroup> = {
  label: string;
  group: G;
  description: string;
  configSchema: S;
  /** A fresh object per call: the editor mutates what it gets. */
  defaults: () => z.input<S>;
  /**
   * Exits read from raw, possibly half-edited config: the editor draws handles while the
   * marketer types, and a branch must not lose its handle because its label is empty.
   */
  exits: (config: unknown) => ExitDef[];
  pauses: Pause;
};

// Curried so the schema fixes S before the defaults are checked against it (no literal widening).
// G keeps the group's literal in the catalog's type, so the kinds of a group are a type too.
const define =
  <S extends z.ZodType>(configSchema: S) =>
  <G extends NodeGroup>(d: Omit<Definition<S, G>, "configSchema">): Definition<S, G> => ({ ...d, configSchema });
const next = (): ExitDef[] => [{ handle: "next", label: "Next" }];
const none = (): ExitDef[] => [];

const looseBranches = z.object({ branches: z.array(z.looseObject({ id: z.unknown(), label: z.unknown() })) }).loose();
function branchExits(prefix: "branch" | "split", config: unknown): ExitDef[] {
  const parsed = looseBranches.safeParse(config);
  if (!parsed.success) return [];
  return parsed.data.branches
    .filter((b): b is { id: string; label: unknown } => typeof b.id === "string" && b.id !== "")
    .map((b) => ({ handle: `${prefix}:${b.id}`, label: typeof b.label === "string" && b.label !== "" ? b.label : b.id }));
}

export const nodeCatalog = {
  "form-submitted": define(formSubmittedConfig)({
    label: "Form submitted",
    group: "triggers",
    description: "Enrols a contact when they submit a signup form.",
    defaults: () => ({ formId: null }),
    exits: next,
    pauses: "never",
  }),
  "contact-created": define(contactCreatedConfig)({
    label: "Contact created",
    group: "triggers",
    description: "Enrols every new contact, optionally only from one source.",
    defaults: () => ({ source: "any" }),
    exits: next,
    pauses: "never",
  }),
  "tag-added": define(tagAddedConfig)({
    label: "Tag added",
    group: "triggers",
    description: "Enrols a contact when a tag is added to them.",
    defaults: () => ({ tag: "" }),
    exits: next,
    pauses: "never",
  }),
  "event-tracked": define(eventTrackedConfig)({
    label: "Event tracked",
    group: "triggers",
    description: "Enrols a contact when your site or app tracks an event, optionally filtered by its properties.",
    defaults: () => ({ event: "", filters: [] }),
    exits: next,
    pauses: "never",
  }),
  "segment-entered": define(segmentEnteredConfig)({
    label: "Segment entered",
    group: "triggers",
    description: "Enrols a contact when they start matching a segment.",
    defaults: () => ({ segmentId: "" }),
    exits: next,
    pauses: "never",
  }),
  "date-anniversary": define(dateAnniversaryConfig)({
    label: "Date anniversary",
    group: "triggers",
    description: "Enrols a contact every year on a date attribute, like a birthday or signup anniversary.",
    defaults: () => ({ attribute: "birthday", offsetDays: 0, time: "09:00" }),
    exits: next,
    pauses: "never",
  }),
  "manual-enrol": define(manualEnrolConfig)({
    label: "Manual or API enrol",
    group: "triggers",
    description: "Enrols contacts you add by hand or through the API.",
    defaults: () => ({}),
    exits: next,
    pauses: "never",
  }),
  delay: define(delayConfig)({
    label: "Delay",
    group: "timing",
    description: "Waits a fixed time, like 2 days.",
    defaults: () => ({ durationMs: MS.day }),
    exits: next,
    pauses: "always",
  }),
  "wait-until": define(waitUntilConfig)({
    label: "Wait until date",
    group: "timing",
    description: "Waits until a date, or a date stored on the contact (with an offset). Dates already past continue at once.",
    defaults: () => ({ mode: "attribute", attribute: "", offsetMs: 0, time: "09:00" }),
    exits: next,
    pauses: "maybe",
  }),
  "wait-window": define(waitWindowConfig)({
    label: "Wait for time window",
    group: "timing",
    description: "Waits until the contact's local time is inside a weekly window, like weekdays 09:00–17:00.",
    defaults: () => ({ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00", timeZone: null }),
    exits: next,
    pauses: "maybe",
  }),
  "wait-for-event": define(waitForEventConfig)({
    label: "Wait for event",
    group: "timing",
    description: "Waits for the contact to do something (optionally matching the trigger, like the same cart), up to a timeout.",
    defaults: () => ({ event: "", filters: [], correlate: null, timeoutMs: 3 * MS.day }),
    exits: () => [
      { handle: "matched", label: "Event happened" },
      { handle: "timeout", label: "Timed out" },
    ],
    pauses: "always",
  }),
  condition: define(conditionConfig)({
    label: "Condition",
    group: "logic",
    description: "Branches on attributes, tags, segments, past events or email engagement.",
    defaults: () => ({ mode: "yes-no", match: "all", rules: [{ type: "tag", tag: "", has: true }] }),
    exits: (config) => {
      const mode = z.looseObject({ mode: z.string() }).safeParse(config);
      if (mode.success && mode.data.mode === "branches") return [...branchExits("branch", config), { handle: "else", label: "Else" }];
      return [
        { handle: "yes", label: "Yes" },
        { handle: "no", label: "No" },
      ];
    },
    pauses: "never",
  }),
  "random-split": define(randomSplitConfig)({
    label: "Random split",
    group: "logic",
    description: "Splits contacts at random by weight; the same contact always takes the same branch.",
    defaults: () => ({
      branches: [
        { id: "a", label: "A", weight: 50 },
        { id: "b", label: "B", weight: 50 },
      ],
    }),
    exits: (config) => branchExits("split", config),
    pauses: "never",
  }),
  "send-email": define(sendEmailConfig)({
    label: "Send email",
    group: "messages",
    description: "Sends an email template, if the contact may still receive it. UTM parameters follow the workspace's tracking settings unless set here.",
    defaults: () => ({ templateId: "", sendWithinHours: null }),
    exits: next,
    pauses: "never",
  }),
  "add-tag": define(tagActionConfig)({
    label: "Add tag",
    group: "actions",
    description: "Adds a tag to the contact.",
    defaults: () => ({ tag: "" }),
    exits: next,
    pauses: "never",
  }),
  "remove-tag": define(tagActionConfig)({
    label: "Remove tag",
    group: "actions",
    description: "Removes a tag from the contact.",
    defaults: () => ({ tag: "" }),
    exits: next,
    pauses: "never",
  }),
  "update-attribute": define(updateAttributeConfig)({
    label: "Update attribute",
    group: "actions",
    description: "Sets, clears or increments an attribute on the contact.",
    defaults: () => ({ attribute: "", op: "set", value: "" }),
    exits: next,
    pauses: "never",
  }),
  webhook: define(webhookConfig)({
    label: "Webhook",
    group: "actions",
    description: "Calls a public URL with the contact and trigger data.",
    defaults: () => ({ url: "https://", method: "POST", headers: {}, body: null }),
    exits: next,
    pauses: "never",
  }),
  "notify-team": define(notifyTeamConfig)({
    label: "Notify team",
    group: "actions",
    description: "Tells chosen workspace members about the contact: a notice in the app and a mail linking to the contact.",
    defaults: () => ({ memberIds: [], message: "" }),
    exits: next,
    pauses: "never",
  }),
  goal: define(goalConfig)({
    label: "Goal",
    group: "logic",
    description: "Ends the flow as a success; with an event, contacts anywhere in the flow jump here when it happens.",
    defaults: () => ({ name: "Converted", event: null, windowMs: null, windowFrom: "enrollment", attribution: "click-or-open", revenueProperty: null }),
    exits: none,
    pauses: "never",
  }),
  exit: define(exitConfig)({
    label: "Exit",
    group: "logic",
    description: "Ends the flow for the contact.",
    defaults: () => ({ reason: "" }),
    exits: none,
    pauses: "never",
  }),
};

export type NodeCatalog = typeof nodeCatalog;
export type NodeKind = keyof NodeCatalog;
export type NodeConfig<K extends NodeKind> = z.output<NodeCatalog[K]["configSchema"]>;
export type NodeConfigInput<K extends NodeKind> = z.input<NodeCatalog[K]["configSchema"]>;

/** The kinds whose catalog entry sits in group G. */
export type KindOf<G extends NodeGroup> = { [K in NodeKind]: NodeCatalog[K]["group"] extends G ? K : never }[NodeKind];
export type TriggerKind = KindOf<"triggers">;

export const nodeKinds = Object.keys(nodeCatalog) as NodeKind[];
export const kindsOf = <G extends NodeGroup>(group: G): KindOf<G>[] => nodeKinds.filter((k): k is KindOf<G> => nodeCatalog[k].group === group);
export const triggerKinds = kindsOf("triggers");

export function isNodeKind(kind: string): kind is NodeKind {
  return Object.prototype.hasOwnProperty.call(nodeCatalog, kind);
}

export function isTriggerKind(kind: string): kind is TriggerKind {
  return isNodeKind(kind) && nodeCatalog[kind].group === "triggers";
}

/**
 * Ends a switch that names every member of a union (`default: return assertNever(node)`): the
 * compiler refuses the call once a member is left out, so a new node kind shows every switch
 * it must join. Reaching it at run time means data that skipped its schema.
 */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}

/** The exits the editor draws as handles; empty for unknown kinds. */
export function exitsFor(kind: string, config: unknown): ExitDef[] {
  return isNodeKind(kind) ? nodeCatalog[kind].exits(config) : [];
}
