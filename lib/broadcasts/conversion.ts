import { z } from "zod";

/**
 * What counts as a broadcast's conversion (docs/broadcasts.md#results-and-view-in-browser). Flow
 * goals are nodes of a flow and record `conversions` rows per enrollment; a broadcast has no
 * enrollment, so its conversions are read from tracked events when its results are asked for:
 * the first event of this name a recipient sends after their first human click or open of the
 * broadcast's message and within the window from its hand-off, with revenue from the property.
 * Pure: the results query, page and API share it.
 */

export const BROADCAST_CONVERSION_DEFAULTS = {
  /** Segment's e-commerce event for a purchase. */
  event: "Order Completed",
  windowDays: 5,
  revenueProperty: "revenue",
} as const;

export const MAX_WINDOW_DAYS = 90;

export type BroadcastConversionRules = { event: string; windowDays: number; revenueProperty: string };

/** Overrides from the API's query string (`conversion_event`, `window_days`, `revenue_property`); absent: the defaults. */
export const conversionQuerySchema = z.object({
  conversion_event: z.string().trim().min(1, "conversion_event must not be empty").max(200, "conversion_event is at most 200 characters").optional(),
  window_days: z.coerce
    .number({ error: "window_days must be a number of days" })
    .int("window_days must be a whole number of days")
    .min(1, "window_days is at least 1")
    .max(MAX_WINDOW_DAYS, `window_days is at most ${MAX_WINDOW_DAYS}`)
    .optional(),
  revenue_property: z
    .string()
    .regex(/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*){0,4}$/, "revenue_property must be a dotted property path such as revenue or order.total")
    .optional(),
});

export function conversionRules(q: z.output<typeof conversionQuerySchema> = {}): BroadcastConversionRules {
  return {
    event: q.conversion_event ?? BROADCAST_CONVERSION_DEFAULTS.event,
    windowDays: q.window_days ?? BROADCAST_CONVERSION_DEFAULTS.windowDays,
    revenueProperty: q.revenue_property ?? BROADCAST_CONVERSION_DEFAULTS.revenueProperty,
  };
}
