import type { ContactOut } from "./contacts";

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
