import "server-only";
import { randomUUID } from "node:crypto";
import type { Db } from "@/db/client";
import { consentFacts } from "@/db/queries/contacts";
import { attributeKeys } from "@/db/queries/templates";
import { env } from "@/lib/env";
import { inboundUnsubscribe, marketingHeaders, mergeContext } from "@/lib/email/message";
import { TemplateError, type MergeTagWarning, type RenderedEmail, type TemplateInput } from "@/lib/email/render";
import { renderPreview } from "./render-pool";
import { sendBatch, type MailTransport } from "./transport";

/** The editor's server side: preview for a real contact, warnings, test sends. */

export type Preview = { ok: true; rendered: RenderedEmail; warnings: MergeTagWarning[]; contact: string } | { ok: false; field: string; message: string };

const SAMPLE = { email: "someone@example.com", firstName: "Sam", lastName: "Sample", timeZone: null, attributes: {} };

/** Renders a draft for one contact of the workspace (or a sample person when none is picked), in the render pool. */
export async function previewTemplate(db: Db, q: { workspaceId: string; workspaceName: string; postalAddress: string | null; contactId: string | null; draft: TemplateInput; trigger?: Record<string, unknown> }): Promise<Preview> {
  const facts = q.contactId ? await consentFacts(db, { workspaceId: q.workspaceId, contactId: q.contactId }) : undefined;
  const person = facts ?? { ...SAMPLE, workspaceName: q.workspaceName, postalAddress: q.postalAddress };
  const ctx = mergeContext(
    { ...person, attributes: person.attributes },
    { contactId: q.contactId ?? "00000000-0000-4000-8000-000000000000", trigger: q.trigger ?? {}, unsubscribeUrl: `${env().appUrl}/u/preview` },
  );
  try {
    const { rendered, warnings } = await renderPreview(q.draft, ctx, await attributeKeys(db, { workspaceId: q.workspaceId }));
    return { ok: true, rendered, warnings, contact: person.email };
  } catch (err) {
    if (err instanceof TemplateError) return { ok: false, field: err.field, message: err.message };
    throw err;
  }
}

/**
 * A test send: the draft rendered for the picked contact, to the given addresses (yourself by
 * default) in one batch request. Marked as a test in the subject; its unsubscribe link is inert.
 */
export async function sendTestEmail(
  db: Db,
  transport: MailTransport,
  q: { workspaceId: string; workspaceName: string; postalAddress: string | null; from: string; replyTo: string | null; contactId: string | null; draft: TemplateInput; to: string[] },
): Promise<{ ok: true; count: number } | { ok: false; field: string; message: string }> {
  const preview = await previewTemplate(db, q);
  if (!preview.ok) return preview;
  const { rendered } = preview;
  await sendBatch(
    transport,
    q.to.map((to) => ({
      from: q.from,
      to: [to],
      replyTo: q.replyTo ?? undefined,
      subject: `[Test] ${rendered.subject}`,
      html: rendered.html,
      text: rendered.text,
      headers: q.draft.class === "marketing" ? marketingHeaders(`${env().appUrl}/u/preview`, inboundUnsubscribe("preview")) : {},
      tags: [
        { name: "workspace", value: q.workspaceId },
        { name: "test", value: "1" },
      ],
      class: q.draft.class,
    })),
    { idempotencyKey: `test:${randomUUID()}` },
  );
  return { ok: true, count: q.to.length };
}
