import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { messageDetail, messageEvents } from "@/db/queries/messages";
import { describeReceipt } from "@/lib/consent/receipt";
import { requireMember } from "@/lib/server/auth/member";
import { Panel } from "@/app/w/[workspace]/reports/_lib/range-picker";
import { Table } from "@/app/_components/ui/table";

export const metadata = { title: "Message" };

const fmt = (d: Date) => `${d.toISOString().replace("T", " ").slice(0, 19)} UTC`;

/**
 * One message as it went out: the subject as rendered for the contact, its status and delivery
 * events, and its consent receipt (docs/forms-and-consent.md, "Consent receipts"). Another
 * workspace's message id is a 404.
 */
export default async function MessagePage(props: { params: Promise<{ workspace: string; messageId: string }> }) {
  const { workspace, messageId } = await props.params;
  const member = await requireMember(workspace);
  if (!z.uuid().safeParse(messageId).success) notFound();
  const db = getDb();
  const q = { workspaceId: member.workspace.id, messageId };
  const m = await messageDetail(db, q);
  if (!m) notFound();
  const events = await messageEvents(db, q);
  const consentHref = m.contactId && m.consentEventId ? `/w/${workspace}/contacts/${m.contactId}#consent-${m.consentEventId}` : null;
  const facts: [string, React.ReactNode][] = [
    ["To", m.toEmail],
    ["Contact", m.contactId && m.contact ? <Link className="text-brand-600 hover:underline" href={`/w/${workspace}/contacts/${m.contactId}`}>{m.contact.email} ({m.contact.status})</Link> : "deleted"],
    ["Kind", m.class],
    ["Flow", m.flowId && m.nodeId ? <Link className="text-brand-600 hover:underline" href={`/w/${workspace}/reports/flows/${m.flowId}/messages/${m.nodeId}`}>{m.flowName ?? "deleted flow"} · node {m.nodeId}</Link> : "none"],
    ["Created", fmt(m.createdAt)],
    ["Sent", m.sentAt ? fmt(m.sentAt) : "not yet"],
  ];
  if (m.error) facts.push(["Error", m.error]);
  return (
    <>
      {m.contactId ? (
        <Link href={`/w/${workspace}/contacts/${m.contactId}`} className="text-sm text-brand-600 hover:underline">← Contact</Link>
      ) : (
        <Link href={`/w/${workspace}/contacts`} className="text-sm text-brand-600 hover:underline">← Contacts</Link>
      )}
      <div className="mt-2 flex flex-wrap items-baseline gap-3">
        <h1 className="text-2xl font-semibold" data-testid="message-subject">{m.subject}</h1>
        <span className="rounded bg-slate-100 px-2 py-0.5 text-sm text-slate-700" data-testid="message-status">{m.status}</span>
      </div>
      <Panel title="Permission" note="Which consent let this message go out, as the consent ledger holds it now." testId="message-permission">
        <p className="text-sm" data-testid="message-receipt">{describeReceipt(m.receipt)}</p>
        {consentHref ? (
          <Link className="mt-1 inline-block text-xs text-brand-600 hover:underline" href={consentHref}>
            See the entry in the contact’s consent history
          </Link>
        ) : null}
      </Panel>
      <Panel title="Details">
        <dl className="grid grid-cols-[7rem_1fr] gap-x-3 gap-y-1 text-sm" data-testid="message-facts">
          {facts.map(([k, v]) => (
            <div key={k} className="contents">
              <dt className="text-slate-500">{k}</dt>
              <dd className="break-all">{v}</dd>
            </div>
          ))}
        </dl>
      </Panel>
      <Panel title="Events" note="Delivery reports from the provider, opens and clicks; machine activity (scanners, privacy proxies) is marked.">
        <Table
          caption="Events of this message"
          variant="plain"
          testId="message-events"
          rows={events}
          rowKey={(e) => e.id}
          empty={<p className="text-sm text-slate-500" data-testid="message-events-empty">No events yet. Delivery, opens and clicks appear here as the provider and the tracking links report them.</p>}
          columns={[
            { header: "When", cell: (e) => fmt(e.occurredAt), className: "whitespace-nowrap text-slate-500" },
            { header: "Event", cell: (e) => `${e.type.replace(/_/g, " ")}${e.machine ? " (machine)" : ""}` },
            { header: "Link", cell: (e) => e.url ?? "", className: "break-all text-slate-500" },
          ]}
        />
      </Panel>
    </>
  );
}
