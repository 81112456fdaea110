import { z } from "zod";

/**
 * Who a broadcast goes to (broadcasts.audience): everyone subscribed to marketing, or the members of
 * some segments and/or the subscribers of some topics (a contact in any of them), minus the members
 * of the exclusion segments. Consent, suppression and topic rules apply on top, whichever is chosen
 * (docs/broadcasts.md).
 */
const ids = (what: string) => z.array(z.uuid(`each ${what} is an id`)).max(50, `at most 50 ${what}s`).default([]);

export const audienceSchema = z
  .object({
    everyone: z.boolean().default(false),
    segmentIds: ids("segment"),
    topicIds: ids("topic"),
    excludeSegmentIds: ids("excluded segment"),
  })
  .refine((a) => a.everyone || a.segmentIds.length > 0 || a.topicIds.length > 0, {
    message: "choose everyone subscribed, or at least one segment or topic",
    path: ["segmentIds"],
  });

export type Audience = z.infer<typeof audienceSchema>;

/** Why a contact in the chosen audience gets no message; each is counted on the page. */
export const LEFT_OUT_REASONS = ["no_consent", "unsubscribed", "topic_unsubscribed", "suppressed", "bounced", "complained", "erased", "excluded"] as const;
export type LeftOutReason = (typeof LEFT_OUT_REASONS)[number];
