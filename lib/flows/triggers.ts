import { matchesFilters } from "./filters";
import type { PlanTrigger } from "./plan";

/**
 * What just happened to a contact, as the flow router sees it. The router turns its Inngest
 * events into one of these and asks each published plan whether it enrols.
 */
export type TriggerOccurrence =
  | { kind: "form-submitted"; formId: string }
  | { kind: "contact-created"; source: string }
  | { kind: "tag-added"; tag: string }
  | { kind: "event-tracked"; event: string; properties: Record<string, unknown> }
  | { kind: "segment-entered"; segmentId: string }
  | { kind: "date-anniversary"; attribute: string }
  | { kind: "manual-enrol" };

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
