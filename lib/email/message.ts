import type { MergeContext } from "./render";

/**
 * RFC 8058 one-click unsubscribe, RFC 2369 syntax: exactly one of each header on every marketing
 * message. A mailto: joins the https URI only once an inbound address processes it (none yet).
 */
export function marketingHeaders(unsubscribeUrl: string): Record<string, string> {
  return {
    "List-Unsubscribe": `<${unsubscribeUrl}>`,
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  };
}

type ContactFacts = {
  email: string;
  firstName: string | null;
  lastName: string | null;
  timeZone?: string | null;
  attributes: Record<string, unknown>;
  workspaceName: string;
  postalAddress: string | null;
};

/** The Liquid scope of one message: contact (attributes + fields), trigger, workspace, unsubscribe_url. */
export function mergeContext(f: ContactFacts, q: { contactId: string; trigger: Record<string, unknown>; unsubscribeUrl: string }): MergeContext {
  return {
    contact: {
      ...f.attributes,
      id: q.contactId,
      email: f.email,
      first_name: f.firstName ?? "",
      last_name: f.lastName ?? "",
      time_zone: f.timeZone ?? "",
    },
    workspace: { name: f.workspaceName, postal_address: f.postalAddress ?? "" },
    trigger: q.trigger,
    unsubscribe_url: q.unsubscribeUrl,
  };
}
