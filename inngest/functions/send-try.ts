import type { ProviderWait } from "@/lib/email/provider-wait";
import type { FlowSendResult } from "@/lib/server/email/flow-send";

/**
 * One try of a send-email node in the flow runner: done (sent, skipped or failed on its node),
 * wait (the sending policy's "not now", or the mail provider's rate limit or outage) and try
 * again at `until`, or give up (the provider was out for longer than the flow allows: the run fails).
 */
export type SendTry =
  | { kind: "done"; outcome: FlowSendResult["outcome"]; detail: string }
  | { kind: "wait"; until: number; wait: ProviderWait | null; detail: string }
  | { kind: "give-up"; reason: string };

/** What a send step memoized: a first try's result, a later try's `{ stopped, t }`, or older shapes. */
export type SendMemo = SendTry | number | { t?: SendTry; until?: number | null };

/**
 * A send step's try as memoized, null when the node is done. Runs that deferred a send before
 * provider waits existed memoized the first step's result as the bare time to wait until (0: done)
 * and later steps as `{ until }`; those are read as the waits they were, so a deploy in the
 * middle of a deferral neither drops the message nor fails the run.
 */
export function memoTry(memo: SendMemo): Exclude<SendTry, { kind: "done" }> | null {
  const legacy = (until: number | null | undefined) => (until ? { kind: "wait" as const, until, wait: null, detail: "" } : null);
  if (typeof memo === "number") return legacy(memo);
  if ("kind" in memo) return memo.kind === "done" ? null : memo;
  return memo.t ? memoTry(memo.t) : legacy(memo.until);
}
