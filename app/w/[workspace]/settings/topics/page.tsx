import { getDb } from "@/db/client";
import { listTopics, topicCounts } from "@/db/queries/consent";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { ActionForm } from "@/app/_components/action-form";
import { button, input, label } from "@/app/_components/styles";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { createTopicAction, deleteTopicAction } from "./actions";

export const metadata = { title: "Topics" };

export default async function TopicsPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const db = getDb();
  const [topics, counts] = await Promise.all([listTopics(db, { workspaceId: member.workspace.id }), topicCounts(db, { workspaceId: member.workspace.id })]);
  const admin = can(member.role, "settings.manage");
  return (
    <div className="grid gap-10 lg:grid-cols-2">
      <section>
        <h2 className="text-base font-semibold">Subscription topics</h2>
        <p className="mt-1 text-sm text-slate-600">
          Topics let people choose what they hear about: forms offer them (never pre-ticked), the preference centre behind every unsubscribe
          link lists them, and a template of a topic only goes to people who did not leave it.
        </p>
        {topics.length === 0 ? (
          <p className="mt-4 rounded border border-dashed border-slate-300 p-4 text-sm text-slate-600" data-testid="topics-empty">
            No topics yet: all marketing goes to the whole list. {admin ? "Add a first topic, e.g. “Newsletter” or “Product updates”." : "An admin can add topics."}
          </p>
        ) : (
          <ul className="mt-4 divide-y divide-slate-100 rounded border border-slate-200 bg-white" data-testid="topics-list">
            {topics.map((t) => {
              const c = counts.get(t.id) ?? { subscribed: 0, left: 0 };
              return (
                <li key={t.id} className="flex items-center justify-between gap-4 p-3 text-sm" data-testid={`topic-${t.key}`}>
                  <div>
                    <span className="font-medium">{t.name}</span> <code className="text-xs text-slate-500">{t.key}</code>
                    {t.description ? <p className="text-xs text-slate-500">{t.description}</p> : null}
                    <p className="text-xs text-slate-500">{c.subscribed} subscribed · {c.left} left</p>
                  </div>
                  {admin ? (
                    <ActionForm action={deleteTopicAction} workspace={workspace}>
                      <input type="hidden" name="topicId" value={t.id} />
                      <ConfirmSubmit
                        title={`Delete topic “${t.name}”?`}
                        description={`The ${c.subscribed} subscribed and ${c.left} who left lose their choice for it, and forms and the preference centre stop offering it. This cannot be undone.`}
                        confirm="Delete topic"
                      >
                        Delete
                      </ConfirmSubmit>
                    </ActionForm>
                  ) : null}
                </li>
              );
            })}
          </ul>
        )}
      </section>
      {admin ? (
        <section>
          <h2 className="text-base font-semibold">Add a topic</h2>
          <ActionForm action={createTopicAction} workspace={workspace} className="mt-3 space-y-3" testId="topic-form">
            <div>
              <label htmlFor="topic-name" className={label}>Name</label>
              <input id="topic-name" name="name" required maxLength={100} className={input} />
            </div>
            <div>
              <label htmlFor="topic-key" className={label}>Key</label>
              <input id="topic-key" name="key" required pattern="[a-z][a-z0-9_]{0,49}" placeholder="newsletter" className={input} />
            </div>
            <div>
              <label htmlFor="topic-description" className={label}>Description</label>
              <input id="topic-description" name="description" maxLength={500} className={input} />
            </div>
            <button type="submit" className={button}>Add topic</button>
          </ActionForm>
        </section>
      ) : null}
    </div>
  );
}
