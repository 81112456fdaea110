import { env } from "../env";
import type { MergeContext } from "./render";

/**
 * RFC 8058 one-click unsubscribe, RFC 2369 syntax: exactly one of each header on every marketing
 * message. The https URI comes first (one-click needs it); a mailto: follows only when an inbound
 * address processes unsubscribe mail, with the message's token in the subject so the mailbox knows
 * whose request it is without trusting the sender address.
 */
export function marketingHeaders(unsubscribeUrl: string, inbound?: { address: string; token: string }): Record<string, string> {
  const uris = [`<${unsubscribeUrl}>`];
  if (inbound) uris.push(`<${unsubscribeMailto(inbound.address, inbound.token)}>`);
  return {
    "List-Unsubscribe": uris.join(", "),
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  };
}

/**
 * `mailto:address?subject=unsubscribe-TOKEN` (RFC 6068). The address is a validated addr-spec
 * (letters, digits and `_'+-.` before the @), which needs no escaping in a URI.
 */
export function unsubscribeMailto(address: string, token: string): string {
  return `mailto:${address}?subject=${encodeURIComponent(`unsubscribe-${token}`)}`;
}

/** The mailto: part of a message's List-Unsubscribe, when INBOUND_UNSUBSCRIBE_ADDRESS is configured. */
export function inboundUnsubscribe(token: string | null, address = env().INBOUND_UNSUBSCRIBE_ADDRESS): { address: string; token: string } | undefined {
  return address && token ? { address, token } : undefined;
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

/**
 * The Liquid scope of one message: contact (attributes + fields), trigger, workspace,
 * unsubscribe_url, view_url (the message's "view in browser" page; empty where there is none, as
 * in a preview) and confirm_url in a re-permission mail.
 */
export function mergeContext(
  f: ContactFacts,
  q: { contactId: string; trigger: Record<string, unknown>; unsubscribeUrl: string; confirmUrl?: string; viewUrl?: string },
): MergeContext {
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
    view_url: q.viewUrl ?? "",
    ...(q.confirmUrl !== undefined ? { confirm_url: q.confirmUrl } : {}),
  };
}
