import { z } from "zod";
import { broadcastCreate, broadcastPatch, broadcastSchedule } from "./broadcasts";
import { BROADCAST_CONVERSION_DEFAULTS, MAX_WINDOW_DAYS } from "../broadcasts/conversion";
import { contactCreate, contactUpdate, enrollmentCreate, eventCreate, repermissionCreate, subscriptionsPut, tagsAdd } from "./contacts";
import { API_ERROR_CODES } from "./errors";

/**
 * The OpenAPI document of the REST API, generated from the same zod schemas the routes parse
 * with. A test compares its paths and methods with the route handlers under app/api/v1.
 */

const contact = {
  type: "object",
  properties: {
    id: { type: "string", format: "uuid" },
    email: { type: "string" },
    first_name: { type: ["string", "null"] },
    last_name: { type: ["string", "null"] },
    time_zone: { type: ["string", "null"] },
    external_id: { type: ["string", "null"] },
    status: { type: "string", enum: ["unconfirmed", "subscribed", "unsubscribed", "bounced", "complained", "erased"] },
    attributes: { type: "object" },
    created_at: { type: "string", format: "date-time" },
    updated_at: { type: "string", format: "date-time" },
  },
};
const error = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", enum: API_ERROR_CODES, description: "What went wrong, for programs; each code has one HTTP status" },
        message: { type: "string", description: "What went wrong, for people" },
        field: { type: "string", description: "The input at fault (a dotted path into the body, or a query parameter)" },
      },
    },
  },
};
const errorContent = { content: { "application/json": { schema: error } } };
const errors = {
  "400": { description: "Invalid input (validation_failed); the message and field name the input at fault", ...errorContent },
  "401": { description: "Missing, unknown or revoked secret key (unauthorized)", ...errorContent },
  "500": { description: "Something broke on the server (internal)", ...errorContent },
  "503": {
    description: "The database is unavailable (unavailable): retry after Retry-After seconds",
    headers: { "Retry-After": { schema: { type: "integer" } } },
    ...errorContent,
  },
};
const idParam = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const notFound = { description: "Not found (not_found)", ...errorContent };
const repermissionOut = {
  type: "object",
  properties: {
    id: { type: "string", format: "uuid" },
    source: { type: "string", enum: ["api", "import", "segment"] },
    status: { type: "string", enum: ["listing", "asking", "completed"] },
    template_id: { type: ["string", "null"], format: "uuid" },
    total: { type: "integer", description: "Unconfirmed contacts listed for the request" },
    asked: { type: "integer" },
    confirmed: { type: "integer" },
    pending: { type: "integer", description: "Asked and not (yet) confirmed" },
    skipped: { type: "integer" },
    skipped_by: { type: "object", additionalProperties: { type: "integer" }, description: "Why contacts were not asked, with how many each" },
    created_at: { type: "string", format: "date-time" },
    finished_at: { type: ["string", "null"], format: "date-time" },
  },
};
const int = { type: "integer" };
const rateOut = { type: ["number", "null"], description: "A fraction (0.25 is 25 %); null when nothing was sent or delivered" };
const broadcastResultsOut = {
  type: "object",
  properties: {
    broadcast_id: { type: "string", format: "uuid" },
    status: { type: "string", enum: ["draft", "scheduled", "sending", "paused", "sent", "cancelled"] },
    recipients: { type: ["integer", "null"], description: "Recipients in the audience snapshot taken when sending started" },
    started_at: { type: ["string", "null"], format: "date-time" },
    finished_at: { type: ["string", "null"], format: "date-time" },
    sent: int,
    delivered: int,
    bounced: int,
    complained: int,
    unsubscribed: int,
    opened: { ...int, description: "Messages opened by people" },
    opened_machine: { ...int, description: "Messages opened by scanners or privacy proxies" },
    open_events: int,
    clicked: { ...int, description: "Messages clicked by people" },
    clicked_machine: int,
    click_events: int,
    conversions: int,
    revenue: { type: "number" },
    conversion: { type: "object", properties: { event: { type: "string" }, window_days: int, revenue_property: { type: "string" } } },
    rates: {
      type: "object",
      properties: Object.fromEntries(["delivery", "open", "click", "click_to_open", "bounce", "complaint", "unsubscribe", "conversion"].map((k) => [k, rateOut])),
    },
    links: {
      type: "array",
      items: { type: "object", properties: { url: { type: "string" }, clicks: int, unique_clicks: int, machine_clicks: int } },
    },
    days: {
      type: "array",
      items: { type: "object", properties: { day: { type: "string", format: "date" }, sent: int, delivered: int, opened: int, clicked: int } },
    },
  },
};
const jsonBody = (schema: z.ZodType) => ({ required: true, content: { "application/json": { schema: z.toJSONSchema(schema, { io: "input" }) } } });
const data = (schema: Record<string, unknown>) => ({ content: { "application/json": { schema: { type: "object", properties: { data: schema } } } } });
const tagList = data({ type: "array", items: { type: "string" } });
const subscriptionList = data({
  type: "array",
  items: {
    type: "object",
    properties: {
      topic: { type: "string" },
      name: { type: "string" },
      state: { type: "string", enum: ["subscribed", "unsubscribed", "not_asked"] },
      updated_at: { type: ["string", "null"], format: "date-time" },
    },
  },
});
const event = {
  type: "object",
  properties: {
    id: { type: "string", format: "uuid" },
    name: { type: "string" },
    type: { type: "string" },
    properties: { type: "object" },
    timestamp: { type: "string", format: "date-time" },
    source: { type: "string" },
  },
};
const one = { content: { "application/json": { schema: { type: "object", properties: { data: contact } } } } };
const created = {
  content: {
    "application/json": {
      schema: {
        type: "object",
        properties: {
          data: {
            ...contact,
            properties: {
              ...contact.properties,
              confirmation_mail: {
                type: ["string", "null"],
                enum: ["sent", "queued", "not_sent", null],
                description:
                  "The double opt-in mail: `sent` (the provider took it), `queued` (it could not go out just now and is retried in the background: the contact is created either way, one mail in the end), `not_sent` (the address may not be mailed), null (no confirmation due)",
              },
            },
          },
        },
      },
    },
  },
};

const broadcast = {
  type: "object",
  properties: {
    id: { type: "string", format: "uuid" },
    name: { type: "string" },
    status: { type: "string", enum: ["draft", "scheduled", "sending", "paused", "sent", "cancelled"] },
    template_id: { type: ["string", "null"], format: "uuid" },
    template_version_id: { type: ["string", "null"], format: "uuid", description: "The template version pinned when it was scheduled: what is sent, whatever is edited since" },
    subject: { type: ["string", "null"], description: "Null: the template's" },
    preheader: { type: ["string", "null"], description: "Null: the template's" },
    from_name: { type: ["string", "null"], description: "Null: the workspace's" },
    from_email: { type: ["string", "null"] },
    reply_to: { type: ["string", "null"] },
    utm: { type: ["object", "null"], description: "Own UTM parameters; null: the workspace's tracking settings" },
    audience: {
      type: ["object", "null"],
      properties: {
        everyone: { type: "boolean" },
        segment_ids: { type: "array", items: { type: "string", format: "uuid" } },
        topic_ids: { type: "array", items: { type: "string", format: "uuid" } },
        exclude_segment_ids: { type: "array", items: { type: "string", format: "uuid" } },
      },
    },
    bypass_caps: { type: "boolean" },
    scheduled_at: { type: ["string", "null"], format: "date-time" },
    started_at: { type: ["string", "null"], format: "date-time" },
    finished_at: { type: ["string", "null"], format: "date-time" },
    cancelled_at: { type: ["string", "null"], format: "date-time" },
    recipient_count: { type: ["integer", "null"], description: "Recipients in the audience taken when sending started" },
    created_at: { type: "string", format: "date-time" },
    updated_at: { type: "string", format: "date-time" },
    progress: {
      type: ["object", "null"],
      description: "Null for a draft. Recipients by status: queued (not yet handed off), sent (handed to the provider), failed, skipped by reason",
      properties: {
        total: { type: "integer" },
        queued: { type: "integer" },
        sent: { type: "integer" },
        failed: { type: "integer" },
        skipped: { type: "object", additionalProperties: { type: "integer" } },
      },
    },
  },
};
const broadcastParam = { name: "broadcastId", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const oneBroadcast = data(broadcast);
const illegal = { description: "The broadcast's status does not allow this (conflict); the message says which status would", ...errorContent };
const broadcastMove = (summary: string, description: string) => ({
  post: { summary, description, parameters: [broadcastParam], responses: { "200": { description: "The broadcast now", ...oneBroadcast }, "404": notFound, "409": illegal, ...errors } },
});

export function openApiDocument(serverUrl: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Tillit REST API",
      version: "1",
      description:
        "Manage contacts with a workspace secret key (Authorization: Bearer tk_sec_…). Behaviour tracking uses the Segment-compatible API of the tracking ingest (/v1/identify, /v1/track, /v1/page, /v1/batch) with a public write key.",
    },
    servers: [{ url: serverUrl }],
    security: [{ secretKey: [] }],
    components: { securitySchemes: { secretKey: { type: "http", scheme: "bearer" } } },
    paths: {
      "/api/v1/contacts": {
        get: {
          summary: "List contacts, newest first",
          parameters: [
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 200, default: 50 } },
            { name: "search", in: "query", schema: { type: "string" }, description: "Prefix of the address or a name" },
            { name: "cursor", in: "query", schema: { type: "string" }, description: "next_cursor of the previous page" },
          ],
          responses: {
            "200": {
              description: "A page of contacts",
              content: { "application/json": { schema: { type: "object", properties: { data: { type: "array", items: contact }, next_cursor: { type: ["string", "null"] } } } } },
            },
            ...errors,
          },
        },
        post: {
          summary:
            "Create a contact. Without `consent` it records no consent and stays unconfirmed; with `consent` the opt-in is recorded and the workspace's double opt-in default applies (a confirmation mail first, or subscribed at once). The contact is created even when the confirmation mail cannot go out at once: `confirmation_mail` is then `queued` and the mail is retried in the background (do not retry the request). An address erased at the person's request is refused (409).",
          requestBody: { required: true, content: { "application/json": { schema: z.toJSONSchema(contactCreate) } } },
          responses: { "201": { description: "Created", ...created }, "409": { description: "The address is already a contact, or was erased at the person's request (conflict)", ...errorContent }, ...errors },
        },
      },
      "/api/v1/contacts/{id}": {
        get: { summary: "Get a contact", parameters: [idParam], responses: { "200": { description: "The contact", ...one }, "404": notFound, ...errors } },
        patch: {
          summary: "Update a contact (attributes given are merged)",
          parameters: [idParam],
          requestBody: { required: true, content: { "application/json": { schema: z.toJSONSchema(contactUpdate) } } },
          responses: { "200": { description: "The updated contact", ...one }, "404": notFound, ...errors },
        },
        delete: {
          summary: "Delete a contact with its events and enrollments (consent records stay, detached)",
          parameters: [idParam],
          responses: { "204": { description: "Deleted" }, "404": notFound, ...errors },
        },
      },
      "/api/v1/contacts/{id}/export": {
        get: {
          summary: "Export everything held about a contact (data-subject access request)",
          description: "The contact, tags, topic choices, the full consent ledger, tracked events, messages (each with its consent receipt: the ledger entry that permitted it, or why it needed none), email engagement and flow enrollments.",
          parameters: [idParam],
          responses: {
            "200": {
              description: "The export",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: {
                      data: {
                        type: "object",
                        properties: {
                          format: { type: "string", const: "tillit.contact-export.v1" },
                          exportedAt: { type: "string", format: "date-time" },
                          contact: { type: "object" },
                          tags: { type: "array", items: { type: "object" } },
                          topics: { type: "array", items: { type: "object" } },
                          consent: { type: "array", items: { type: "object" } },
                          events: { type: "array", items: { type: "object" } },
                          messages: { type: "array", items: { type: "object" } },
                          emailEvents: { type: "array", items: { type: "object" } },
                          enrollments: { type: "array", items: { type: "object" } },
                        },
                      },
                    },
                  },
                },
              },
            },
            "404": notFound,
            ...errors,
          },
        },
      },
      "/api/v1/contacts/repermission": {
        post: {
          summary: "Ask unconfirmed contacts to confirm (re-permission)",
          description:
            "Sends each named contact that is still unconfirmed one confirmation mail: the workspace's standard one, or `template_id`, a transactional template containing {{ confirm_url }}. Suppressed, unsubscribed, bounced, complained and erased contacts are never asked, nor anyone asked by a re-permission request in the last 7 days. Runs in the background: follow it with GET /api/v1/contacts/repermission/{id}. A confirmation is recorded in the consent ledger with source `repermission_api`.",
          requestBody: jsonBody(repermissionCreate),
          responses: {
            "202": { description: "Request accepted", content: { "application/json": { schema: { type: "object", properties: { data: repermissionOut } } } } },
            ...errors,
          },
        },
      },
      "/api/v1/contacts/repermission/{requestId}": {
        get: {
          summary: "A re-permission request and its counts",
          parameters: [{ name: "requestId", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
          responses: {
            "200": { description: "The request", content: { "application/json": { schema: { type: "object", properties: { data: repermissionOut } } } } },
            "404": notFound,
            ...errors,
          },
        },
      },
      "/api/v1/contacts/{id}/erase": {
        post: {
          summary: "Erase a contact's personal data (right to erasure)",
          description:
            "Deletes personal data everywhere, the consent ledger included (its rows keep kind, time, source and form version), ends running flows, and keeps only an HMAC of the address in suppressions so it is flagged if it comes back. Repeating the call is harmless.",
          parameters: [idParam],
          responses: {
            "200": {
              description: "Erased",
              content: {
                "application/json": {
                  schema: { type: "object", properties: { data: { type: "object", properties: { id: { type: "string" }, status: { type: "string", const: "erased" }, already_erased: { type: "boolean" } } } } },
                },
              },
            },
            "404": notFound,
            ...errors,
          },
        },
      },
      "/api/v1/contacts/{id}/tags": {
        get: { summary: "The contact's tags", parameters: [idParam], responses: { "200": { description: "Tag names", ...tagList }, "404": notFound, ...errors } },
        post: {
          summary: "Add tags (created by name if new); each newly added tag starts the flows it triggers",
          parameters: [idParam],
          requestBody: jsonBody(tagsAdd),
          responses: { "200": { description: "All the contact's tags, and which were added", ...tagList }, "404": notFound, ...errors },
        },
      },
      "/api/v1/contacts/{id}/tags/{tag}": {
        delete: {
          summary: "Remove a tag",
          parameters: [idParam, { name: "tag", in: "path", required: true, schema: { type: "string" } }],
          responses: { "204": { description: "Removed" }, "404": notFound, ...errors },
        },
      },
      "/api/v1/contacts/{id}/subscriptions": {
        get: { summary: "The contact's state in every topic", parameters: [idParam], responses: { "200": { description: "One entry per topic", ...subscriptionList }, "404": notFound, ...errors } },
        put: {
          summary: "Subscribe or unsubscribe per topic; each change is recorded in the consent ledger",
          parameters: [idParam],
          requestBody: jsonBody(subscriptionsPut),
          responses: { "200": { description: "The new state, and which topics changed", ...subscriptionList }, "404": notFound, ...errors },
        },
      },
      "/api/v1/contacts/{id}/events": {
        get: {
          summary: "The contact's tracked events, newest first",
          parameters: [
            idParam,
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 200, default: 50 } },
            { name: "name", in: "query", schema: { type: "string" }, description: "Only events of this name" },
            { name: "cursor", in: "query", schema: { type: "string" }, description: "next_cursor of the previous page" },
          ],
          responses: {
            "200": { description: "A page of events", content: { "application/json": { schema: { type: "object", properties: { data: { type: "array", items: event }, next_cursor: { type: ["string", "null"] } } } } } },
            "404": notFound,
            ...errors,
          },
        },
      },
      "/api/v1/events": {
        post: {
          summary: "Record an event for a known contact (by contact_id or email); it triggers flows and wakes waits. message_id de-duplicates.",
          requestBody: jsonBody(eventCreate),
          responses: {
            "201": { description: "Recorded", ...data({ type: "object", properties: { id: { type: "string" }, contact_id: { type: "string" }, duplicate: { type: "boolean" } } }) },
            "200": { description: "A repeated message_id: the first event, not recorded again" },
            "404": notFound,
            ...errors,
          },
        },
      },
      "/api/v1/topics": {
        get: {
          summary: "The workspace's subscription topics",
          responses: { "200": { description: "Topics", ...data({ type: "array", items: { type: "object", properties: { key: { type: "string" }, name: { type: "string" }, description: { type: "string" } } } }) }, ...errors },
        },
      },
      "/api/v1/flows": {
        get: {
          summary: "The workspace's flows with status and active enrollments",
          responses: {
            "200": {
              description: "Flows",
              ...data({
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    id: { type: "string", format: "uuid" },
                    name: { type: "string" },
                    status: { type: "string", enum: ["draft", "live", "paused", "archived"] },
                    version: { type: ["integer", "null"] },
                    active_enrollments: { type: "integer" },
                    updated_at: { type: "string", format: "date-time" },
                  },
                },
              }),
            },
            ...errors,
          },
        },
      },
      "/api/v1/broadcasts": {
        get: {
          summary: "The workspace's broadcasts, newest first",
          parameters: [{ name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 200, default: 50 } }],
          responses: {
            "200": { description: "Broadcasts (without progress; `handed_off` counts the recipients handed to the provider)", ...data({ type: "array", items: { ...broadcast, properties: { ...broadcast.properties, handed_off: { type: "integer" } } } }) },
            ...errors,
          },
        },
        post: {
          summary: "Create a draft broadcast",
          description: "Only `name` is required; a template and an audience are needed to schedule it. The template must be one of the workspace's and not archived; every segment and topic id must be the workspace's. Subject and preheader may use merge tags ({{ contact.first_name }}).",
          requestBody: jsonBody(broadcastCreate),
          responses: { "201": { description: "The draft", ...oneBroadcast }, ...errors },
        },
      },
      "/api/v1/broadcasts/{broadcastId}": {
        get: { summary: "A broadcast with its progress", parameters: [broadcastParam], responses: { "200": { description: "The broadcast", ...oneBroadcast }, "404": notFound, ...errors } },
        patch: {
          summary: "Change a draft (only the fields given)",
          parameters: [broadcastParam],
          requestBody: jsonBody(broadcastPatch),
          responses: { "200": { description: "The draft", ...oneBroadcast }, "404": notFound, "409": illegal, ...errors },
        },
        delete: { summary: "Delete a draft (a scheduled or sent broadcast is cancelled instead)", parameters: [broadcastParam], responses: { "204": { description: "Deleted" }, "404": notFound, "409": illegal, ...errors } },
      },
      "/api/v1/broadcasts/{broadcastId}/schedule": {
        post: {
          summary: "Schedule a draft, now or at `send_at`",
          description: "Pins the template's current content (editing the template later changes nothing this broadcast sends). Without `send_at` (or with no body) it sends now; `send_at` must be in the future. Needs a template and an audience.",
          parameters: [broadcastParam],
          requestBody: { required: false, content: { "application/json": { schema: z.toJSONSchema(broadcastSchedule, { io: "input" }) } } },
          responses: { "200": { description: "The scheduled broadcast", ...oneBroadcast }, "404": notFound, "409": illegal, ...errors },
        },
      },
      "/api/v1/broadcasts/{broadcastId}/cancel": broadcastMove("Cancel a scheduled, sending or paused broadcast", "Nothing more is handed off; batches already on their way may still go out. A cancelled broadcast cannot be restarted."),
      "/api/v1/broadcasts/{broadcastId}/pause": broadcastMove("Pause a sending broadcast", "No new batch is handed off until it is resumed; batches already on their way may still go out."),
      "/api/v1/broadcasts/{broadcastId}/resume": broadcastMove("Resume a paused broadcast", "Sending carries on with the recipients not yet handed off; nobody gets it twice."),
      "/api/v1/broadcasts/{broadcastId}/results": {
        get: {
          summary: "A broadcast's results: sent, delivered, people's opens and clicks (machines apart), clicks per link, bounces, complaints, unsubscribes, conversions and revenue, with rates",
          description:
            "Counts are unique messages. Rates: bounces per sent message, the rest per delivered one. A conversion is the first event of the named kind a recipient sends after their first human open or click of the broadcast and within the window from its hand-off.",
          parameters: [
            { name: "broadcastId", in: "path", required: true, schema: { type: "string", format: "uuid" } },
            { name: "conversion_event", in: "query", schema: { type: "string", default: BROADCAST_CONVERSION_DEFAULTS.event }, description: "The tracked event that counts as a conversion" },
            { name: "window_days", in: "query", schema: { type: "integer", minimum: 1, maximum: MAX_WINDOW_DAYS, default: BROADCAST_CONVERSION_DEFAULTS.windowDays } },
            { name: "revenue_property", in: "query", schema: { type: "string", default: BROADCAST_CONVERSION_DEFAULTS.revenueProperty }, description: "Dotted path of the event property holding the order value" },
          ],
          responses: {
            "200": { description: "The results", ...data(broadcastResultsOut) },
            "404": notFound,
            ...errors,
          },
        },
      },
      "/api/v1/flows/{id}/enrollments": {
        post: {
          summary: "Enrol contacts into a live flow (accepted asynchronously; the flow's re-entry rule applies per contact)",
          parameters: [idParam],
          requestBody: jsonBody(enrollmentCreate),
          responses: {
            "202": { description: "Accepted", ...data({ type: "object", properties: { request_id: { type: "string" }, flow_id: { type: "string" }, contacts: { type: "integer" } } }) },
            "404": notFound,
            ...errors,
          },
        },
      },
    },
  };
}
