import type { ContactOut, RepermissionOut } from "./contacts";

type ContactRow = {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  timeZone: string | null;
  externalId: string | null;
  status: string;
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
};

export function presentContact(c: ContactRow): ContactOut {
  return {
    id: c.id,
    email: c.email,
    first_name: c.firstName,
    last_name: c.lastName,
    time_zone: c.timeZone,
    external_id: c.externalId,
    status: c.status,
    attributes: c.attributes,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

type RepermissionRow = { id: string; source: string; status: string; templateId: string | null; createdAt: Date; finishedAt: Date | null };
type Counts = { total: number; asked: number; confirmed: number; pending: number; skipped: number; skippedBy: Record<string, number> };

/** A re-permission request as the API answers it: the request, and how many were asked, confirmed and are pending. */
export function presentRepermission(r: RepermissionRow, c: Counts): RepermissionOut {
  return {
    id: r.id,
    source: r.source,
    status: r.status,
    template_id: r.templateId,
    total: c.total,
    asked: c.asked,
    confirmed: c.confirmed,
    pending: c.pending,
    skipped: c.skipped,
    skipped_by: c.skippedBy,
    created_at: r.createdAt.toISOString(),
    finished_at: r.finishedAt?.toISOString() ?? null,
  };
}
