import { and, desc, eq, sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { consentEvents, forms } from "../schema/index";

export type FormRow = typeof forms.$inferSelect;

/** The public lookup: slugs are unique across workspaces, and only live forms answer. */
export async function liveFormBySlug(db: Db, q: { slug: string }) {
  const [row] = await db
    .select()
    .from(forms)
    .where(and(eq(forms.slug, q.slug), eq(forms.status, "live")));
  return row;
}

export async function getForm(db: Db, q: { workspaceId: string; formId: string }) {
  const [row] = await db
    .select()
    .from(forms)
    .where(and(eq(forms.workspaceId, q.workspaceId), eq(forms.id, q.formId)));
  return row;
}

/** Forms with their signup counts (opt-ins and confirmations recorded through each). */
export async function listForms(db: Db, q: { workspaceId: string }) {
  return db
    .select({
      id: forms.id,
      name: forms.name,
      slug: forms.slug,
      status: forms.status,
      doubleOptIn: forms.doubleOptIn,
      wordingVersion: forms.wordingVersion,
      updatedAt: forms.updatedAt,
      signups: sql<number>`(select count(*)::int from ${consentEvents} ce where ce.workspace_id = ${forms.workspaceId} and ce.form_id = ${forms.id} and ce.kind = 'opt_in' and ce.topic is null)`,
      confirmed: sql<number>`(select count(*)::int from ${consentEvents} ce where ce.workspace_id = ${forms.workspaceId} and ce.form_id = ${forms.id} and ce.kind = 'confirmed')`,
    })
    .from(forms)
    .where(eq(forms.workspaceId, q.workspaceId))
    .orderBy(desc(forms.updatedAt));
}

export class SlugTakenError extends Error {}

export async function createForm(
  db: Db,
  q: { workspaceId: string; name: string; slug: string; consentWording: string; doubleOptIn: boolean; config: unknown },
) {
  const [row] = await db.insert(forms).values(q).onConflictDoNothing().returning({ id: forms.id });
  if (!row) throw new SlugTakenError(`the address /f/${q.slug} is taken: choose another`);
  return row;
}

/**
 * Saves a form. Changing the consent wording bumps its version, so every consent event names
 * exactly the wording that person saw.
 */
export async function updateForm(
  db: Db,
  q: {
    workspaceId: string;
    formId: string;
    name: string;
    slug: string;
    status: FormRow["status"];
    consentWording: string;
    doubleOptIn: boolean;
    config: unknown;
  },
) {
  try {
    const [row] = await db
      .update(forms)
      .set({
        name: q.name,
        slug: q.slug,
        status: q.status,
        config: q.config,
        doubleOptIn: q.doubleOptIn,
        wordingVersion: sql`case when ${forms.consentWording} is distinct from ${q.consentWording} then ${forms.wordingVersion} + 1 else ${forms.wordingVersion} end`,
        consentWording: q.consentWording,
        updatedAt: sql`now()`,
      })
      .where(and(eq(forms.workspaceId, q.workspaceId), eq(forms.id, q.formId)))
      .returning({ id: forms.id, wordingVersion: forms.wordingVersion });
    return row;
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    if (code === "23505") throw new SlugTakenError(`the address /f/${q.slug} is taken: choose another`);
    throw err;
  }
}

/** Signups and confirmations through a form per day (UTC), the last `days` days, oldest first, gaps filled. */
export async function formDailySignups(db: Db, q: { workspaceId: string; formId: string; days: number; now: Date }) {
  const days = await rows<{ day: string; signups: number; confirmed: number }>(db, sql`
    select to_char(d.day, 'YYYY-MM-DD') as day,
           count(ce.id) filter (where ce.kind = 'opt_in')::int as signups,
           count(ce.id) filter (where ce.kind = 'confirmed')::int as confirmed
      from generate_series((${q.now.toISOString()}::timestamptz at time zone 'UTC')::date - (${q.days - 1}::int),
                           (${q.now.toISOString()}::timestamptz at time zone 'UTC')::date, interval '1 day') as d(day)
      left join ${consentEvents} ce
        on ce.workspace_id = ${q.workspaceId} and ce.form_id = ${q.formId} and ce.topic is null
       and (ce.occurred_at at time zone 'UTC')::date = d.day::date
     group by d.day order by d.day`);
  return days.map((r) => ({ day: r.day, signups: Number(r.signups), confirmed: Number(r.confirmed) }));
}
