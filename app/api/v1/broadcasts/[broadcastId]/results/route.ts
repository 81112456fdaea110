import { broadcastResults } from "@/db/queries/broadcast-results";
import { conversionQuerySchema, conversionRules } from "@/lib/broadcasts/conversion";
import { ApiError, apiRoute, json, uuidParam } from "@/lib/server/api/handler";

type Params = { broadcastId: string };

/**
 * A broadcast's results: what went out and what people did with it (docs/broadcasts.md#results-and-view-in-browser).
 * Conversions are counted for the event the query names (Order Completed within 5 days by default).
 */
export const GET = apiRoute<Params>(async (req, ctx, p) => {
  const broadcastId = uuidParam(p.broadcastId, "broadcast");
  const q = conversionQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) {
    const issue = q.error.issues[0]!;
    throw new ApiError("validation_failed", issue.message, String(issue.path[0]));
  }
  const conversion = conversionRules(q.data);
  const r = await broadcastResults(ctx.db, { workspaceId: ctx.workspaceId, broadcastId, conversion });
  if (!r) throw new ApiError("not_found", "broadcast not found");
  const f = r.figures;
  return json(200, {
    data: {
      broadcast_id: r.broadcast.id,
      status: r.broadcast.status,
      recipients: r.broadcast.recipientCount,
      started_at: r.broadcast.startedAt?.toISOString() ?? null,
      finished_at: r.broadcast.finishedAt?.toISOString() ?? null,
      sent: f.sent,
      delivered: f.delivered,
      bounced: f.bounced,
      complained: f.complained,
      unsubscribed: f.unsubscribed,
      opened: f.opened,
      opened_machine: f.openedMachine,
      open_events: f.openEvents,
      clicked: f.clicked,
      clicked_machine: f.clickedMachine,
      click_events: f.clickEvents,
      conversions: f.conversions,
      revenue: f.revenue,
      conversion: { event: conversion.event, window_days: conversion.windowDays, revenue_property: conversion.revenueProperty },
      rates: {
        delivery: r.rates.deliveryRate,
        open: r.rates.openRate,
        click: r.rates.clickRate,
        click_to_open: r.rates.clickToOpenRate,
        bounce: r.rates.bounceRate,
        complaint: r.rates.complaintRate,
        unsubscribe: r.rates.unsubscribeRate,
        conversion: r.rates.conversionRate,
      },
      links: r.links.map((l) => ({ url: l.url, clicks: l.clicks, unique_clicks: l.uniqueClicks, machine_clicks: l.machineClicks })),
      days: f.days,
    },
  });
});
