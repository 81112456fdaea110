import type { BroadcastStatus } from "@/lib/broadcasts/draft";

const style: Record<BroadcastStatus, string> = {
  draft: "bg-slate-100 text-slate-700",
  scheduled: "bg-sky-100 text-sky-800",
  sending: "bg-brand-50 text-brand-700",
  paused: "bg-amber-100 text-amber-800",
  sent: "bg-emerald-100 text-emerald-800",
  cancelled: "bg-slate-200 text-slate-600",
};

/** A broadcast's status as a chip (list and detail pages). */
export function StatusChip({ status }: { status: BroadcastStatus }) {
  return (
    <span data-testid="broadcast-status" className={`rounded px-2 py-0.5 text-xs font-medium ${style[status]}`}>
      {status}
    </span>
  );
}

/** Dates in the workspace's time zone (UTC when the zone is unknown to this runtime). */
export function dateFormat(timeZone: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat("en-GB", { timeZone, dateStyle: "medium", timeStyle: "short" });
  } catch {
    return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" });
  }
}
