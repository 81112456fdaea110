import { getDb } from "@/db/client";
import { listApiKeys } from "@/db/queries/api-keys";
import { requireMember } from "@/lib/server/auth/member";
import { env } from "@/lib/env";
import { ActionForm } from "@/app/_components/action-form";
import { button, input, label } from "@/app/_components/styles";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { Table } from "@/app/_components/ui/table";
import { createApiKeyAction, revokeApiKeyAction } from "../actions";

export const metadata = { title: "API keys" };

const fmt = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 16) : "never");

export default async function ApiKeysPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace, "api_keys.manage");
  const keys = await listApiKeys(getDb(), { workspaceId: member.workspace.id });
  return (
    <div className="space-y-8">
      <section>
        <h2 className="text-base font-semibold">Create a key</h2>
        <p className="mt-1 text-sm text-slate-600">
          A <strong>public write key</strong> goes in websites and signup forms: it can only send tracking events. A{" "}
          <strong>secret key</strong> reaches the REST API: keep it on your servers.
        </p>
        <ActionForm action={createApiKeyAction} workspace={workspace} className="mt-3 max-w-xl" reveal={{ key: "key", label: "Your new key" }} testId="api-key-form">
          <div className="flex items-end gap-3">
            <div className="flex-1">
              <label htmlFor="key-name" className={label}>Name</label>
              <input id="key-name" name="name" required className={input} placeholder="Website tracking" />
            </div>
            <div>
              <label htmlFor="key-kind" className={label}>Kind</label>
              <select id="key-kind" name="kind" className={input} defaultValue="public">
                <option value="public">Public write key</option>
                <option value="secret">Secret key</option>
              </select>
            </div>
            <button type="submit" className={button}>Create key</button>
          </div>
        </ActionForm>
      </section>
      <section>
        <h2 className="text-base font-semibold">Track your website</h2>
        <p className="mt-1 text-sm text-slate-600">
          Paste this before <code>&lt;/head&gt;</code> with a public write key. It records page views and identifies visitors
          when they submit a form with an email field. Segment libraries work too: point their host at{" "}
          <code>{env().TRACKING_URL ?? `http://127.0.0.1:${env().TRACKING_PORT}`}</code>.
        </p>
        <pre data-testid="snippet" className="mt-2 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
          {`<script async src="${env().appUrl}/tillit.js" data-key="YOUR_PUBLIC_WRITE_KEY"></script>`}
        </pre>
      </section>
      <section>
        <h2 className="text-base font-semibold">Keys</h2>
        <Table
          caption="API keys"
          className="mt-3"
          rows={keys}
          rowKey={(k) => k.id}
          rowTestId={(k) => `api-key-${k.name}`}
          empty={<p className="mt-2 text-sm text-slate-500">No keys yet. Create a public write key to start tracking your website.</p>}
          columns={[
            { header: "Name", className: "font-medium", cell: (k) => k.name },
            { header: "Kind", cell: (k) => (k.kind === "public" ? "Public write" : "Secret") },
            { header: "Key", className: "font-mono text-slate-500", cell: (k) => `${k.prefix}…` },
            { header: "Last used", className: "text-slate-500", cell: (k) => fmt(k.lastUsedAt) },
            {
              header: "Actions",
              hideHeader: true,
              align: "end",
              cell: (k) =>
                k.revokedAt ? (
                  <span className="text-slate-500">Revoked {fmt(k.revokedAt)}</span>
                ) : (
                  <ActionForm action={revokeApiKeyAction} workspace={workspace} className="inline">
                    <input type="hidden" name="id" value={k.id} />
                    <ConfirmSubmit
                      title={`Revoke the key “${k.name}”?`}
                      description={`Requests signed with ${k.prefix}… are refused from now on${k.kind === "public" ? ", so websites and forms that carry it stop sending events" : ", so servers that call the API with it stop working"}. This cannot be undone.`}
                      confirm="Revoke key"
                    >
                      Revoke
                    </ConfirmSubmit>
                  </ActionForm>
                ),
            },
          ]}
        />
      </section>
    </div>
  );
}
