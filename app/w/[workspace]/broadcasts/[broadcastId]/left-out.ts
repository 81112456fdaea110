import type { LeftOutReason } from "@/lib/broadcasts/audience";

/** Why a contact of the chosen audience gets no message, in words (the editor's list, the progress's skips). */
export const LEFT_OUT_LABELS: Record<LeftOutReason, string> = {
  no_consent: "no marketing consent",
  unsubscribed: "unsubscribed",
  topic_unsubscribed: "unsubscribed from the template's topic",
  suppressed: "suppressed address",
  bounced: "bounced before",
  complained: "complained before",
  erased: "erased at their request",
  excluded: "in an excluded segment",
};
