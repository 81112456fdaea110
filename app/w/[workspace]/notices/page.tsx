import Link from "next/link";
import { getDb } from "@/db/client";
import { listNotices, TEAM_NOTIFIED } from "@/db/queries/notifications";
import { requireMember } from "@/lib/server/auth/member";
import { EmptyState } from "@/app/_components/empty-state";
import { OutcomeForm, OutcomeRegion } from "@/app/_components/outcome-form";
import { secondaryButton } from "@/app/_components/styles";
import { Table } from "@/app/_components/ui/table";
import { markNoticesReadAction } from "./actions";

export const metadata = { title: "Notices" };

/**
 * What owners and admins are told about: one notice per flow and hour in which runs failed,
 * linking to the flow's failed list (docs/flows.md, "When a run fails"; admins were also mailed
 * once per notice), and each contact a flow's notify-team node told members about, with the
 * flow's note, a link to the contact and who was told (docs/flows.md, "Notify team").
 */
export default async function NoticesPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace, "notices.read");
  const notices = await listNotices(getDb(), { workspaceId: member.workspace.id });
  const unread = notices.filter((n) => n.readAt === null).length;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat("en-GB", { timeZone: member.workspace.timeZone, dateStyle: "medium", timeStyle: "short" });
  } catch {
    fmt = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" });
  }
  return (
    <OutcomeRegion testId="notices-outcome">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">Notices</h1>
        {unread > 0 ? (
          <OutcomeForm action={markNoticesReadAction} workspace={workspace} className="ml-auto" testId="mark-all-read-form">
            <input type="hidden" name="all" value="on" />
            <button type="submit" className={secondaryButton}>
              Mark all read
            </button>
          </OutcomeForm>
        ) : null}
      </div>
      <p className="mt-1 text-sm text-slate-600">
        Trouble that needs an owner or admin: runs of a flow that failed for good, gathered per flow and hour. Each notice is also mailed to
        the owners and admins once. Flows with a “Notify team” step add a notice for each contact they tell members about.
      </p>
      <Table
        caption="Notices"
        testId="notices-table"
        className="mt-4"
        rows={notices}
        rowKey={(n) => n.id}
        rowTestId={(n) => `notice-${n.id}`}
        alignTop
        empty={
          <EmptyState title="No notices" action={{ href: `/w/${workspace}/flows`, label: "Go to flows" }}>
            <p>When runs of a flow fail for good, you are told here and by mail, with a link to retry them. Flows that notify the team list their contacts here too.</p>
          </EmptyState>
        }
        columns={[
          {
            header: "Notice",
            cell: (n) => {
              const unreadBadge = n.readAt ? null : <span className="ml-2 rounded bg-red-100 px-1.5 text-xs font-semibold text-red-800">unread</span>;
              if (n.kind === TEAM_NOTIFIED) {
                return (
                  <>
                    <span className={n.readAt ? "" : "font-semibold"}>{n.title}</span>
                    {unreadBadge}
                    <span className="block whitespace-pre-wrap text-slate-600">{n.detail}</span>
                    <span className="block text-slate-500" data-testid="notice-told">
                      Told {n.told.length ? n.told.join(", ") : "nobody (no chosen member was still in the workspace)"}
                    </span>
                    {n.contactId ? (
                      <Link href={`/w/${workspace}/contacts/${n.contactId}`} className="text-brand-700 underline">
                        Open the contact
                      </Link>
                    ) : null}
                    {n.flowId ? (
                      <Link href={`/w/${workspace}/flows/${n.flowId}`} className="ml-3 text-brand-700 underline">
                        Open the flow
                      </Link>
                    ) : null}
                  </>
                );
              }
              return (
                <>
                  <span className={n.readAt ? "" : "font-semibold"}>{n.flowName ? `Runs of “${n.flowName}” failed` : n.title}</span>
                  {unreadBadge}
                  <span className="block text-slate-600">
                    {n.count} {n.count === 1 ? "run" : "runs"} · latest reason: {n.detail || "none recorded"}
                  </span>
                  {n.flowId ? (
                    <Link href={`/w/${workspace}/flows/${n.flowId}/failed`} className="text-brand-700 underline">
                      Open the failed runs
                    </Link>
                  ) : null}
                </>
              );
            },
          },
          {
            header: "When",
            className: "whitespace-nowrap text-slate-500",
            cell: (n) => (
              <>
                {fmt.format(n.firstAt)}
                {n.lastAt.getTime() !== n.firstAt.getTime() ? ` to ${fmt.format(n.lastAt)}` : ""}
              </>
            ),
          },
          {
            header: "Mailed",
            className: "whitespace-nowrap text-slate-500",
            cell: (n) => (n.mailedAt ? fmt.format(n.mailedAt) : "not yet"),
          },
          {
            header: "Actions",
            hideHeader: true,
            align: "end",
            cell: (n) =>
              n.readAt ? null : (
                <OutcomeForm action={markNoticesReadAction} workspace={workspace}>
                  <input type="hidden" name="noticeId" value={n.id} />
                  <button type="submit" className={secondaryButton}>
                    Mark read
                  </button>
                </OutcomeForm>
              ),
          },
        ]}
      />
    </OutcomeRegion>
  );
}
