import { matchesFilters } from "./filters";
import type { TriggerKind } from "./catalog";
import type { PlanTrigger } from "./plan";

/**
 * What just happened to a contact, as the flow router sees it. The router turns its Inngest
 * events into one of these and asks each published plan whether it enrols. One entry per
 * trigger kind of the catalog: a new trigger kind does not compile until it has one here.
 */
type OccurrenceFacts = {
  "form-submitted": { formId: string };
  "contact-created": { source: string };
  "tag-added": { tag: string };
  "event-tracked": { event: string; properties: Record<string, unknown> };
  "segment-entered": { segmentId: string };
  "date-anniversary": { attribute: string };
  "manual-enrol": object;
};
export type TriggerOccurrence = { [K in TriggerKind]: { kind: K } & OccurrenceFacts[K] }[TriggerKind];

export function triggerMatches(trigger: PlanTrigger, occurrence: TriggerOccurrence): boolean {
  switch (trigger.kind) {
    case "form-submitted":
      return occurrence.kind === "form-submitted" && (trigger.config.formId === null || trigger.config.formId === occurrence.formId);
    case "contact-created":
      return occurrence.kind === "contact-created" && (trigger.config.source === "any" || trigger.config.source === occurrence.source);
    case "tag-added":
      return occurrence.kind === "tag-added" && occurrence.tag.toLowerCase() === trigger.config.tag.toLowerCase();
    case "event-tracked":
      return occurrence.kind === "event-tracked" && occurrence.event === trigger.config.event && matchesFilters(occurrence.properties, trigger.config.filters);
    case "segment-entered":
      return occurrence.kind === "segment-entered" && occurrence.segmentId === trigger.config.segmentId;
    case "date-anniversary":
      return occurrence.kind === "date-anniversary" && occurrence.attribute === trigger.config.attribute;
    case "manual-enrol":
      return occurrence.kind === "manual-enrol";
  }
}
