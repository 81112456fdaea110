import { ActionForm } from "@/app/_components/action-form";
import { button, input, label } from "@/app/_components/styles";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import type { Db } from "@/db/client";
import { latestRepermissionRequest, repermissionCounts, unconfirmedCount, type RepermissionCounts, type RepermissionRequest } from "@/db/queries/repermission";
import { listTemplates } from "@/db/queries/templates";
import { requestRepermissionAction } from "./actions";

const n = (x: number) => x.toLocaleString("en");

/**
 * Re-permission on an import's or a segment's page: how many contacts are still unconfirmed, the
 * button that asks them (editors), and the latest request's progress and counts.
 */
export function RepermissionPanel(props: {
  workspace: string;
  target: { importId: string } | { segmentId: string };
  unconfirmed: number;
  canAsk: boolean;
  templates: { id: string; name: string }[];
  latest: { request: RepermissionRequest; counts: RepermissionCounts } | null;
}) {
  const { latest } = props;
  const c = latest?.counts;
  const done = c ? c.asked + c.skipped : 0;
  return (
    <section className="mt-8 max-w-3xl rounded-lg border border-slate-200 p-4" data-testid="repermission">
      <h2 className="text-lg font-semibold">Re-permission</h2>
      <p className="mt-1 text-sm text-slate-600" data-testid="repermission-unconfirmed">
        {props.unconfirmed === 0
          ? "Nobody here is waiting to confirm: every contact is confirmed, or has left."
          : `${n(props.unconfirmed)} ${props.unconfirmed === 1 ? "contact is" : "contacts are"} unconfirmed and receive no marketing until they confirm.`}
      </p>
      {props.canAsk && props.unconfirmed > 0 ? (
        <ActionForm action={requestRepermissionAction} workspace={props.workspace} className="mt-3 grid gap-3" testId="repermission-form">
          {"importId" in props.target ? <input type="hidden" name="importId" value={props.target.importId} /> : <input type="hidden" name="segmentId" value={props.target.segmentId} />}
          <div>
            <label htmlFor="repermission-template" className={label}>Mail</label>
            <select id="repermission-template" name="templateId" className={`${input} max-w-md`} defaultValue="">
              <option value="">The standard confirmation mail</option>
              {props.templates.map((t) => (
                <option key={t.id} value={t.id}>{t.name}</option>
              ))}
            </select>
            <p className="mt-1 text-xs text-slate-500">A custom mail is a transactional template with the {"{{ confirm_url }}"} link.</p>
          </div>
          <div>
            <ConfirmSubmit
              className={button}
              title={`Ask ${n(props.unconfirmed)} unconfirmed contacts to confirm?`}
              description="Each gets one confirmation mail. Suppressed, unsubscribed, bounced and erased contacts are never asked, nor anyone asked in the last 7 days. Those who confirm are subscribed, with the confirmation in their consent history."
              confirm="Send confirmation mails"
            >
              Ask {n(props.unconfirmed)} unconfirmed contacts to confirm
            </ConfirmSubmit>
          </div>
        </ActionForm>
      ) : null}
      {latest && c ? (
        <div className="mt-4 text-sm" data-testid="repermission-counts">
          <p className="font-medium">
            Latest request, {latest.request.createdAt.toISOString().slice(0, 16).replace("T", " ")}:{" "}
            {latest.request.status === "completed" ? "done" : `asking… ${n(done)} of ${n(latest.request.total || c.total)}`}
          </p>
          <p>
            <span data-testid="repermission-asked">{n(c.asked)} asked</span> · <span data-testid="repermission-confirmed">{n(c.confirmed)} confirmed</span> ·{" "}
            <span data-testid="repermission-pending">{n(c.pending)} pending</span> · {n(c.skipped)} not asked
          </p>
          {Object.keys(c.skippedBy).length > 0 ? (
            <ul className="mt-1 list-disc pl-5 text-slate-600">
              {Object.entries(c.skippedBy).map(([why, k]) => (
                <li key={why}>{n(k)} {why}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** What the panel shows, read for an import or a segment. */
export async function loadRepermission(db: Db, q: { workspaceId: string; importId?: string; segmentId?: string }) {
  const [unconfirmed, request, all] = await Promise.all([
    unconfirmedCount(db, q),
    latestRepermissionRequest(db, q),
    listTemplates(db, { workspaceId: q.workspaceId }),
  ]);
  const latest = request ? { request, counts: await repermissionCounts(db, { workspaceId: q.workspaceId, requestId: request.id }) } : null;
  return { unconfirmed, latest, templates: all.filter((t) => t.class === "transactional").map((t) => ({ id: t.id, name: t.name })) };
}
