import { and, desc, eq, sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { consentEvents, forms } from "../schema/index";
import type { ReportScope } from "./analytics";

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

/** Counts one view of a hosted form (the hosted page calls this); a form of another workspace counts nothing. */
export async function recordFormView(db: Db, q: { workspaceId: string; formId: string; day: string }): Promise<void> {
  await db.execute(sql`
    insert into form_views as v (workspace_id, form_id, day, views)
    select workspace_id, id, ${q.day}::date, 1 from forms where id = ${q.formId}::uuid and workspace_id = ${q.workspaceId}::uuid
    on conflict (form_id, day) do update set views = v.views + 1`);
}

export type FormFunnel = { formId: string; name: string; views: number; submissions: number; confirmations: number };

/**
 * Per form: hosted page views, submissions (opt-ins from the form) and confirmations (those
 * opt-ins whose contact confirmed afterwards, double opt-in, counted on the opt-in's day). Forms with nothing in the range are left out.
 */
export async function formFunnel(db: Db, q: ReportScope): Promise<FormFunnel[]> {
  return rows<FormFunnel>(
    db,
    sql`with v as (
          select form_id, sum(views)::int as views from form_views
          where workspace_id = ${q.workspaceId}::uuid and day between ${q.from}::date and ${q.to}::date group by form_id
        ), s as (
          select form_id, sum(submissions)::int as submissions, sum(confirmations)::int as confirmations from form_stats_daily
          where workspace_id = ${q.workspaceId}::uuid and day between ${q.from}::date and ${q.to}::date group by form_id
        )
        select f.id as "formId", f.name, coalesce(v.views, 0) as views, coalesce(s.submissions, 0) as submissions,
               coalesce(s.confirmations, 0) as confirmations
        from forms f left join v on v.form_id = f.id left join s on s.form_id = f.id
        where f.workspace_id = ${q.workspaceId}::uuid and (v.form_id is not null or s.form_id is not null)
        order by views desc, submissions desc, f.name`,
  );
}
