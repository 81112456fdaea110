import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { audienceSummary, broadcastProgress } from "@/db/queries/broadcast-audience";
import { broadcastPickers, getBroadcast } from "@/db/queries/broadcasts";
import { getSendingSettings } from "@/db/queries/templates";
import { can } from "@/lib/auth/permissions";
import { audienceSchema } from "@/lib/broadcasts/audience";
import { storedDraft } from "@/lib/broadcasts/draft";
import { requireMember } from "@/lib/server/auth/member";
import { ActionForm } from "@/app/_components/action-form";
import { secondaryButton } from "@/app/_components/styles";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { cancelBroadcastAction, deleteBroadcastAction, pauseBroadcastAction, resumeBroadcastAction } from "../actions";
import { dateFormat, StatusChip } from "../status";
import { BroadcastEditor } from "./editor";
import { LEFT_OUT_LABELS } from "./left-out";
import { LiveRefresh } from "./live-refresh";

export const metadata = { title: "Broadcast" };

/**
 * One broadcast: a draft is an editor (for editors); anything else, or a viewer, gets the summary,
 * the live progress and the controls its status allows (docs/broadcasts.md).
 */
export default async function BroadcastPage(props: { params: Promise<{ workspace: string; broadcastId: string }> }) {
  const { workspace, broadcastId } = await props.params;
  const member = await requireMember(workspace, "broadcasts.read");
  if (!z.uuid().safeParse(broadcastId).success) notFound();
  const db = getDb();
  const workspaceId = member.workspace.id;
  const b = await getBroadcast(db, { workspaceId, broadcastId });
  if (!b) notFound();
  const pickers = await broadcastPickers(db, { workspaceId });
  const audience = audienceSchema.safeParse(b.audience);
  const canEdit = can(member.role, "broadcasts.edit");
  const canSend = can(member.role, "broadcasts.send");
  const fmt = dateFormat(member.workspace.timeZone);
  const back = (
    <p className="text-sm">
      <Link href={`/w/${workspace}/broadcasts`} className="text-brand-700 hover:underline">
        ← Broadcasts
      </Link>
    </p>
  );

  if (b.status === "draft" && canEdit) {
    const ws = await getSendingSettings(db, { workspaceId });
    return (
      <>
        {back}
        <div className="mt-2 flex items-center gap-3">
          <h1 className="text-2xl font-semibold">{b.name}</h1>
          <StatusChip status={b.status} />
          <ActionForm action={deleteBroadcastAction} workspace={workspace} testId="delete-broadcast-form" className="ml-auto">
            <input type="hidden" name="broadcastId" value={b.id} />
            <ConfirmSubmit title={`Delete draft “${b.name}”?`} description="The draft is deleted; nothing was sent." confirm="Delete draft">
              Delete draft
            </ConfirmSubmit>
          </ActionForm>
        </div>
        <BroadcastEditor
          workspace={workspace}
          broadcastId={b.id}
          timeZone={member.workspace.timeZone}
          canSend={canSend}
          pickers={pickers}
          identity={{ fromName: ws?.fromName ?? null, fromEmail: ws?.fromEmail ?? null, replyTo: ws?.replyTo ?? null }}
          draft={storedDraft(b)}
        />
      </>
    );
  }

  const names = new Map<string, string>([...pickers.segments.map((s) => [s.id, s.name] as const), ...pickers.topics.map((t) => [t.id, t.name] as const)]);
  const named = (ids: string[]) => ids.map((id) => names.get(id) ?? "(deleted)").join(", ");
  const a = audience.success ? audience.data : null;
  const template = b.templateId ? pickers.templates.find((t) => t.id === b.templateId) : undefined;
  const draftCount = b.status === "draft" && a ? await audienceSummary(db, { workspaceId, audience: a, topicKey: template?.topic ?? null }) : null;
  const progress = b.status === "draft" ? null : await broadcastProgress(db, { workspaceId, broadcastId: b.id });
  const when = (d: Date | null) => (d ? fmt.format(d) : "—");
  const rows: [string, string][] = [
    ["Template", b.templateName ?? "none"],
    ["Subject", b.subject ?? "the template's"],
    ["Preheader", b.preheader ?? "the template's"],
    ["From", [b.fromName, b.fromEmail].filter(Boolean).join(" ") || "the workspace's sender"],
    ["Reply-to", b.replyTo ?? "the workspace's"],
    [
      "Audience",
      a
        ? [a.everyone ? "everyone subscribed to marketing" : [a.segmentIds.length ? `segments: ${named(a.segmentIds)}` : "", a.topicIds.length ? `topics: ${named(a.topicIds)}` : ""].filter(Boolean).join("; "), a.excludeSegmentIds.length ? `minus ${named(a.excludeSegmentIds)}` : ""]
            .filter(Boolean)
            .join(", ")
        : "not chosen yet",
    ],
    ["Frequency caps and quiet hours", b.bypassCaps ? "bypassed" : "apply"],
    ["Scheduled for", when(b.scheduledAt)],
    ["Started", when(b.startedAt)],
    ["Finished", when(b.finishedAt)],
  ];
  if (b.cancelledAt) rows.push(["Cancelled", when(b.cancelledAt)]);

  const control = (action: typeof cancelBroadcastAction, label: string, title: string, description: string, testId: string) => (
    <ActionForm action={action} workspace={workspace} testId={testId}>
      <input type="hidden" name="broadcastId" value={b.id} />
      <ConfirmSubmit title={title} description={description} confirm={label} className={secondaryButton}>
        {label}
      </ConfirmSubmit>
    </ActionForm>
  );

  return (
    <>
      {back}
      {b.status === "scheduled" || b.status === "sending" ? <LiveRefresh /> : null}
      <div className="mt-2 flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">{b.name}</h1>
        <StatusChip status={b.status} />
        {b.status !== "draft" && b.status !== "scheduled" ? (
          <Link href={`/w/${workspace}/broadcasts/${b.id}/results`} className="ml-auto text-sm text-brand-700 hover:underline">
            Results →
          </Link>
        ) : null}
      </div>
      {canSend ? (
        <div className="mt-4 flex gap-3" data-testid="broadcast-controls">
          {b.status === "sending"
            ? control(pauseBroadcastAction, "Pause", `Pause “${b.name}”?`, "No new batch is handed off until you resume; batches already on their way still go out.", "pause-broadcast-form")
            : null}
          {b.status === "paused" ? control(resumeBroadcastAction, "Resume", `Resume “${b.name}”?`, "Sending carries on with the recipients not yet handed off; nobody gets it twice.", "resume-broadcast-form") : null}
          {b.status === "scheduled" || b.status === "sending" || b.status === "paused"
            ? control(cancelBroadcastAction, "Cancel broadcast", `Cancel “${b.name}”?`, "Nothing more is handed off (batches already on their way still go out). A cancelled broadcast cannot be restarted.", "cancel-broadcast-form")
            : null}
        </div>
      ) : null}
      {progress ? <Progress progress={progress} recipientCount={b.recipientCount} /> : null}
      {draftCount ? (
        <p className="mt-4 text-sm" data-testid="draft-count">
          <span data-testid="audience-count" className="font-semibold">{draftCount.eligible.toLocaleString("en")}</span> would get it now, of {draftCount.inAudience.toLocaleString("en")} in the audience.
        </p>
      ) : null}
      <dl className="mt-6 grid max-w-3xl grid-cols-[14rem_1fr] gap-x-4 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm" data-testid="broadcast-summary">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="font-medium text-slate-600">{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

/** The live progress: handed off, skipped (with reasons), failed, still queued. */
function Progress({ progress: p, recipientCount }: { progress: Awaited<ReturnType<typeof broadcastProgress>>; recipientCount: number | null }) {
  const skipped = Object.values(p.skipped).reduce((x, y) => x + y, 0);
  const total = Math.max(p.total, recipientCount ?? 0);
  const pct = (n: number) => (total > 0 ? `${(n / total) * 100}%` : "0%");
  const done = p.sent + skipped + p.failed;
  return (
    <section className="mt-6 max-w-3xl rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="progress-heading" data-testid="broadcast-progress">
      <h2 id="progress-heading" className="text-base font-semibold">Progress</h2>
      {total === 0 ? (
        <p className="mt-2 text-sm text-slate-600">The audience is taken when sending starts.</p>
      ) : (
        <>
          <div
            role="progressbar"
            aria-label="Recipients handled"
            aria-valuemin={0}
            aria-valuemax={total}
            aria-valuenow={done}
            className="mt-3 flex h-3 overflow-hidden rounded bg-slate-100"
          >
            <div className="bg-emerald-500" style={{ width: pct(p.sent) }} />
            <div className="bg-amber-400" style={{ width: pct(skipped) }} />
            <div className="bg-red-500" style={{ width: pct(p.failed) }} />
          </div>
          <ul className="mt-3 grid grid-cols-2 gap-1 text-sm sm:grid-cols-4">
            <li data-testid="progress-sent">{p.sent.toLocaleString("en")} handed off</li>
            <li data-testid="progress-skipped">{skipped.toLocaleString("en")} skipped</li>
            <li data-testid="progress-failed">{p.failed.toLocaleString("en")} failed</li>
            <li data-testid="progress-queued">{p.queued.toLocaleString("en")} queued</li>
          </ul>
          {skipped > 0 ? (
            <ul className="mt-2 text-xs text-slate-600" data-testid="progress-skip-reasons">
              {Object.entries(p.skipped).map(([reason, n]) => (
                <li key={reason}>
                  {n.toLocaleString("en")} skipped — {LEFT_OUT_LABELS[reason as keyof typeof LEFT_OUT_LABELS] ?? reason.replaceAll("_", " ")}
                </li>
              ))}
            </ul>
          ) : null}
        </>
      )}
    </section>
  );
}
