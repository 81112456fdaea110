import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { createApiKey } from "../../db/queries/api-keys";
import { createInvitation } from "../../db/queries/members";
import { apiKeys, consentEvents, contacts, flows, flowVersions, forms, invitations, memberships, topics, users, workspaces } from "../../db/schema/index";
import { seedWorkspace, type SeededWorkspace } from "../fixtures/seed";
import { sessionCookieFor } from "../fixtures/sign-in";
import { expect, test } from "../fixtures/test";

/**
 * Workspace isolation: a member of workspace B must not read or change anything of workspace A,
 * whatever ids they put in a request. The spec enumerates every server action (from the build's
 * manifest), every route handler and every workspace page (from app/), so one added without a
 * case here makes it fail.
 */

const root = process.cwd();

type Populated = SeededWorkspace & { editorId: string; invitationId: string; keyId: string; flowId: string; formId: string; topicId: string };
type World = { a: Populated; b: Populated };

async function populate(db: Db, ws: SeededWorkspace) {
  const [editor] = await db.insert(users).values({ email: `editor-${ws.workspace.slug}@example.com` }).returning({ id: users.id });
  await db.insert(memberships).values({ workspaceId: ws.workspace.id, userId: editor!.id, role: "editor" });
  const inv = await createInvitation(db, { workspaceId: ws.workspace.id, email: `invitee-${ws.workspace.slug}@example.com`, role: "viewer", invitedBy: ws.owner.id, now: new Date() });
  const key = await createApiKey(db, { workspaceId: ws.workspace.id, name: "Site", kind: "public", createdBy: ws.owner.id });
  const draft = { nodes: [{ id: "t", kind: "manual-enrol", config: {}, position: { x: 0, y: 0 } }, { id: "x", kind: "exit", config: {}, position: { x: 0, y: 100 } }], edges: [{ id: "e", source: "t", sourceHandle: "next", target: "x" }] };
  const [flow] = await db.insert(flows).values({ workspaceId: ws.workspace.id, name: "Onboarding", draft }).returning({ id: flows.id });
  const [form] = await db.insert(forms).values({ workspaceId: ws.workspace.id, name: "Newsletter", slug: `news-${ws.workspace.slug}` }).returning({ id: forms.id });
  const [topic] = await db.insert(topics).values({ workspaceId: ws.workspace.id, key: "offers", name: "Offers" }).returning({ id: topics.id });
  return { ...ws, editorId: editor!.id, invitationId: inv.id, keyId: key.id, flowId: flow!.id, formId: form!.id, topicId: topic!.id };
}

/** Sets a form field's value (hidden inputs included) in the first form that has it. */
async function forge(page: Page, form: string, field: string, value: string) {
  await page.locator(`${form} input[name="${field}"]`).first().evaluate((el, v) => ((el as HTMLInputElement).value = v), value);
}

async function submitAndExpectRefusal(page: Page, form: string, button: string, message: RegExp) {
  await page.locator(form).getByRole("button", { name: button }).first().click();
  await expect(page.locator(form).getByRole("alert").filter({ hasText: message }).first()).toBeVisible();
}

// Every workspace-scoped action: how a member of B aims it at A, and what must still hold in A.
const actionCases: Record<string, (p: Page, w: World, db: Db) => Promise<void>> = {
  updateSettings: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings`);
    await forge(p, "[data-testid=settings-form]", "workspace", w.a.workspace.slug);
    await p.getByLabel("Workspace name").fill("Taken over");
    await submitAndExpectRefusal(p, "[data-testid=settings-form]", "Save settings", /Workspace not found/);
    const [a] = await db.select().from(workspaces).where(eq(workspaces.id, w.a.workspace.id));
    expect(a!.name).toBe(w.a.workspace.name);
  },
  inviteMember: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/members`);
    await forge(p, "[data-testid=invite-form]", "workspace", w.a.workspace.slug);
    await p.getByTestId("invite-form").getByLabel("Email").fill("intruder@example.com");
    await submitAndExpectRefusal(p, "[data-testid=invite-form]", "Send invitation", /Workspace not found/);
    expect(await db.select().from(invitations).where(and(eq(invitations.workspaceId, w.a.workspace.id), eq(invitations.email, "intruder@example.com")))).toHaveLength(0);
  },
  revokeInvitationAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/members`);
    const row = `[data-testid="invitation-invitee-${w.b.workspace.slug}@example.com"] form:has(button:text("Revoke"))`;
    await forge(p, row, "id", w.a.invitationId);
    await submitAndExpectRefusal(p, row, "Revoke", /no longer pending/);
    const [inv] = await db.select().from(invitations).where(eq(invitations.id, w.a.invitationId));
    expect(inv!.revokedAt).toBeNull();
  },
  resendInvitationAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/members`);
    const [before] = await db.select().from(invitations).where(eq(invitations.id, w.a.invitationId));
    const row = `[data-testid="invitation-invitee-${w.b.workspace.slug}@example.com"] form:has(button:text("Resend"))`;
    await forge(p, row, "id", w.a.invitationId);
    await submitAndExpectRefusal(p, row, "Resend", /no longer pending/);
    const [after] = await db.select().from(invitations).where(eq(invitations.id, w.a.invitationId));
    expect(after!.tokenHash).toBe(before!.tokenHash);
  },
  changeRoleAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/members`);
    const row = `[data-testid="member-editor-${w.b.workspace.slug}@example.com"] form:has(button:text("Change"))`;
    await forge(p, row, "userId", w.a.editorId);
    await p.locator(row).locator("select").selectOption("admin");
    await submitAndExpectRefusal(p, row, "Change", /not a member of this workspace/);
    const [m] = await db.select().from(memberships).where(eq(memberships.userId, w.a.editorId));
    expect(m!.role).toBe("editor");
  },
  removeMemberAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/members`);
    const row = `[data-testid="member-editor-${w.b.workspace.slug}@example.com"] form:has(button:text("Remove"))`;
    await forge(p, row, "userId", w.a.editorId);
    await submitAndExpectRefusal(p, row, "Remove", /not a member of this workspace/);
    expect(await db.select().from(memberships).where(eq(memberships.userId, w.a.editorId))).toHaveLength(1);
  },
  transferOwnershipAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/members`);
    const row = `[data-testid="member-editor-${w.b.workspace.slug}@example.com"] form:has(button:text("Make owner"))`;
    await forge(p, row, "userId", w.a.editorId);
    await submitAndExpectRefusal(p, row, "Make owner", /must already be a member/);
    const [m] = await db.select().from(memberships).where(eq(memberships.userId, w.a.editorId));
    expect(m!.role).toBe("editor");
  },
  leaveWorkspaceAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/members`);
    const form = `form:has(button:text("Leave workspace"))`;
    await forge(p, form, "workspace", w.a.workspace.slug);
    await submitAndExpectRefusal(p, form, "Leave workspace", /Workspace not found/);
    expect(await db.select().from(memberships).where(eq(memberships.workspaceId, w.a.workspace.id))).toHaveLength(2);
  },
  deleteWorkspaceAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings`);
    await forge(p, "[data-testid=delete-workspace-form]", "workspace", w.a.workspace.slug);
    await p.getByLabel(/to confirm/).fill(w.a.workspace.name);
    await submitAndExpectRefusal(p, "[data-testid=delete-workspace-form]", "Delete workspace", /Workspace not found/);
    expect(await db.select().from(workspaces).where(eq(workspaces.id, w.a.workspace.id))).toHaveLength(1);
  },
  createContactAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/contacts/new`);
    await forge(p, "[data-testid=contact-form]", "workspace", w.a.workspace.slug);
    await p.getByLabel("Email").fill("planted@example.com");
    await submitAndExpectRefusal(p, "[data-testid=contact-form]", "Add contact", /Workspace not found/);
    expect(await db.select().from(contacts).where(eq(contacts.email, "planted@example.com"))).toHaveLength(0);
  },
  updateContactAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/contacts/${w.b.contacts[0]!.id}`);
    await forge(p, "[data-testid=contact-form]", "contactId", w.a.contacts[0]!.id);
    await p.getByLabel("First name").fill("Overwritten");
    await submitAndExpectRefusal(p, "[data-testid=contact-form]", "Save contact", /contact not found/);
    const [c] = await db.select().from(contacts).where(eq(contacts.id, w.a.contacts[0]!.id));
    expect(c!.firstName).not.toBe("Overwritten");
  },
  publishFlowAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/flows`);
    const row = `[data-testid="flow-Onboarding"] form`;
    await forge(p, row, "flowId", w.a.flowId);
    await submitAndExpectRefusal(p, row, "Publish draft", /flow not found/);
    expect(await db.select().from(flowVersions).where(eq(flowVersions.flowId, w.a.flowId))).toHaveLength(0);
  },
  createApiKeyAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/api-keys`);
    await forge(p, "[data-testid=api-key-form]", "workspace", w.a.workspace.slug);
    await p.getByTestId("api-key-form").getByLabel("Name").fill("Backdoor");
    await submitAndExpectRefusal(p, "[data-testid=api-key-form]", "Create key", /Workspace not found/);
    expect(await db.select().from(apiKeys).where(eq(apiKeys.workspaceId, w.a.workspace.id))).toHaveLength(1);
  },
  revokeApiKeyAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/api-keys`);
    const row = `[data-testid="api-key-Site"] form`;
    await forge(p, row, "id", w.a.keyId);
    await submitAndExpectRefusal(p, row, "Revoke", /already revoked or does not exist/);
    const [k] = await db.select().from(apiKeys).where(eq(apiKeys.id, w.a.keyId));
    expect(k!.revokedAt).toBeNull();
  },
  createFormAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/forms/new`);
    await forge(p, "[data-testid=new-form]", "workspace", w.a.workspace.slug);
    await p.getByLabel("Name").fill("Planted");
    await p.getByLabel("Address").fill(`planted-${w.a.workspace.slug}`);
    await submitAndExpectRefusal(p, "[data-testid=new-form]", "Create form", /Workspace not found/);
    expect(await db.select().from(forms).where(eq(forms.workspaceId, w.a.workspace.id))).toHaveLength(1);
  },
  updateFormAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/forms/${w.b.formId}`);
    await forge(p, "[data-testid=form-builder]", "formId", w.a.formId);
    await p.getByLabel(/Consent wording/).fill("Taken over");
    await p.getByLabel("Heading").fill("Taken over");
    await submitAndExpectRefusal(p, "[data-testid=form-builder]", "Save form", /form not found/);
    const [f] = await db.select().from(forms).where(eq(forms.id, w.a.formId));
    expect(f!.status).toBe("draft");
    expect(JSON.stringify(f!.config)).not.toContain("Taken over");
    expect(f!.consentWording).not.toBe("Taken over");
  },
  createTopicAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/topics`);
    await forge(p, "[data-testid=topic-form]", "workspace", w.a.workspace.slug);
    await p.getByLabel("Name").fill("Planted");
    await p.getByLabel("Key").fill("planted");
    await submitAndExpectRefusal(p, "[data-testid=topic-form]", "Add topic", /Workspace not found/);
    expect(await db.select().from(topics).where(and(eq(topics.workspaceId, w.a.workspace.id), eq(topics.key, "planted")))).toHaveLength(0);
  },
  deleteTopicAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/topics`);
    const row = `[data-testid="topic-offers"] form`;
    await forge(p, row, "topicId", w.a.topicId);
    await submitAndExpectRefusal(p, row, "Delete", /topic not found/);
    expect(await db.select().from(topics).where(eq(topics.id, w.a.topicId))).toHaveLength(1);
  },
  eraseContactAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/contacts/${w.b.contacts[0]!.id}`);
    await forge(p, "[data-testid=erase-form]", "contactId", w.a.contacts[0]!.id);
    await p.getByLabel("Type the email address to confirm").fill(w.a.contacts[0]!.email);
    await submitAndExpectRefusal(p, "[data-testid=erase-form]", "Erase personal data", /contact not found/);
    const [c] = await db.select().from(contacts).where(eq(contacts.id, w.a.contacts[0]!.id));
    expect(c!.status).not.toBe("erased");
    expect(c!.email).toBe(w.a.contacts[0]!.email);
    expect(await db.select().from(consentEvents).where(eq(consentEvents.contactId, w.a.contacts[0]!.id))).toHaveLength(0);
  },
};

// Actions that take no workspace id, each with the reason it needs no case above.
const unscopedActions: Record<string, string> = {
  signInWithEmail: "public: starts a sign-in for the address typed",
  signInWithProvider: "public: starts an OAuth sign-in",
  signOutAction: "ends the caller's own session",
  createWorkspaceAction: "creates a new workspace owned by the caller",
  acceptInvitationAction: "scoped by the invitation token and the invitee's address (teams.spec)",
};

// Route handlers: none takes a workspace-scoped id yet; each says why.
const routeHandlers: Record<string, string> = {
  "app/api/health/route.ts": "public liveness, no data",
  "app/api/auth/[...nextauth]/route.ts": "Auth.js: the caller's own session",
  "app/api/inngest/route.ts": "called by Inngest (signed in production), no workspace input",
  "app/tillit.js/route.ts": "the public browser snippet, no data",
  "app/api/v1/openapi.json/route.ts": "the public API description, no data",
  "app/api/v1/contacts/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/contacts/[id]/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/contacts/[id]/export/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/contacts/[id]/erase/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/w/[workspace]/contacts/[contactId]/export/route.ts": "session member of the slug, contact looked up in that workspace (case: the export download …)",
  "app/f/[slug]/submit/route.ts": "public signup endpoint: the live form is found by its global slug and writes only into its own workspace",
  "app/f/[slug]/embed.js/route.ts": "the public embed script, no data",
  "app/f/confirm/[token]/post/route.ts": "public: the signed token names its workspace and is checked under that workspace's secret",
  "app/u/[token]/post/route.ts": "public: the message's random unsubscribe token names workspace and contact",
};

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(path.relative(root, p));
  }
  return out;
}

test.describe("workspace isolation", () => {
  test("every server action and route handler has an isolation case", () => {
    const manifest = JSON.parse(readFileSync(path.join(root, ".next/server/server-reference-manifest.json"), "utf8")) as {
      node: Record<string, { exportedName?: string; filename?: string }>;
    };
    const names = [...new Set(Object.values(manifest.node).map((a) => a.exportedName ?? `(unnamed in ${a.filename})`))].sort();
    const covered = new Set([...Object.keys(actionCases), ...Object.keys(unscopedActions)]);
    expect(names.filter((n) => !covered.has(n)), "server actions without an isolation case").toEqual([]);
    expect(Object.keys(actionCases).filter((n) => !names.includes(n)), "cases for actions that no longer exist").toEqual([]);
    const routes = walk(path.join(root, "app")).filter((f) => f.endsWith("route.ts")).sort();
    expect(routes).toEqual(Object.keys(routeHandlers).sort());
  });

  test("a member of another workspace gets 404 on every workspace page", async ({ browser, db, baseURL }) => {
    // Three loads per page, for every page of the app: minutes on a busy two-core machine.
    test.setTimeout(240_000);
    const a = await seedWorkspace(db);
    const b = await seedWorkspace(db);
    const context = await browser.newContext({ baseURL });
    await context.addCookies([await sessionCookieFor(db, b.owner.id, baseURL!)]);
    const page = await context.newPage();
    const pages = walk(path.join(root, "app", "w", "[workspace]"))
      .filter((f) => f.endsWith("page.tsx"))
      .map((f) => path.dirname(f).replace(path.join("app", "w", "[workspace]"), "").split(path.sep).join("/"));
    expect(pages.length).toBeGreaterThan(5);
    // Each id a page takes, for each workspace: pages with an id unknown here fail the spec.
    const formIds = new Map<string, string>();
    for (const w of [a, b]) {
      const [f] = await db.insert(forms).values({ workspaceId: w.workspace.id, name: "Signup", slug: `signup-${w.workspace.slug}` }).returning({ id: forms.id });
      formIds.set(w.workspace.id, f!.id);
    }
    const ids: Record<string, (w: SeededWorkspace) => string> = {
      "[contactId]": (w) => w.contacts[0]!.id,
      "[formId]": (w) => formIds.get(w.workspace.id)!,
    };
    const fill = (sub: string, w: SeededWorkspace) => sub.replace(/\[[^\]]+\]/g, (seg) => {
      const id = ids[seg];
      if (!id) throw new Error(`no isolation case for the id ${seg} in ${sub}`);
      return id(w);
    });
    for (const sub of pages) {
      const own = await page.goto(`/w/${b.workspace.slug}${fill(sub, b)}`);
      expect(own?.status(), `own ${sub || "/"}`).toBe(200);
      const other = await page.goto(`/w/${a.workspace.slug}${fill(sub, a)}`);
      expect(other?.status(), `other ${sub || "/"}`).toBe(404);
      if (sub.includes("[")) {
        // Their id under our own workspace's address.
        const crossed = await page.goto(`/w/${b.workspace.slug}${fill(sub, a)}`);
        expect(crossed?.status(), `crossed ${sub}`).toBe(404);
      }
    }
    await context.close();
  });

  test("the REST API answers 404 to another workspace's contact ids and changes nothing", async ({ db, request }) => {
    const a = await seedWorkspace(db);
    const b = await seedWorkspace(db);
    const { key } = await createApiKey(db, { workspaceId: b.workspace.id, name: "B", kind: "secret", createdBy: b.owner.id });
    const headers = { authorization: `Bearer ${key}` };
    const target = `/api/v1/contacts/${a.contacts[0]!.id}`;
    expect((await request.get(target, { headers })).status()).toBe(404);
    expect((await request.patch(target, { headers, data: { first_name: "Taken" } })).status()).toBe(404);
    expect((await request.delete(target, { headers })).status()).toBe(404);
    expect((await request.get(`${target}/export`, { headers })).status()).toBe(404);
    expect((await request.post(`${target}/erase`, { headers })).status()).toBe(404);
    const [c] = await db.select().from(contacts).where(eq(contacts.id, a.contacts[0]!.id));
    expect(c!.firstName).not.toBe("Taken");
    expect(c!.status).not.toBe("erased");
    const list = (await (await request.get("/api/v1/contacts?limit=200", { headers })).json()) as { data: { id: string }[] };
    expect(list.data.map((x) => x.id).sort()).toEqual(b.contacts.map((x) => x.id).sort());
  });

  test("the export download answers 404 to a member of another workspace", async ({ browser, db, baseURL }) => {
    const a = await seedWorkspace(db);
    const b = await seedWorkspace(db);
    const context = await browser.newContext({ baseURL });
    await context.addCookies([await sessionCookieFor(db, b.owner.id, baseURL!)]);
    const own = await context.request.get(`/w/${b.workspace.slug}/contacts/${b.contacts[0]!.id}/export`);
    expect(own.status()).toBe(200);
    expect(((await own.json()) as { contact: { email: string } }).contact.email).toBe(b.contacts[0]!.email);
    expect((await context.request.get(`/w/${a.workspace.slug}/contacts/${a.contacts[0]!.id}/export`)).status()).toBe(404);
    expect((await context.request.get(`/w/${b.workspace.slug}/contacts/${a.contacts[0]!.id}/export`)).status()).toBe(404);
    await context.close();
  });

  for (const name of Object.keys(actionCases)) {
    test(`${name} cannot reach another workspace's rows`, async ({ browser, db, baseURL }) => {
      const w: World = { a: await populate(db, await seedWorkspace(db, { contacts: 1 })), b: await populate(db, await seedWorkspace(db, { contacts: 1 })) };
      const context = await browser.newContext({ baseURL });
      await context.addCookies([await sessionCookieFor(db, w.b.owner.id, baseURL!)]);
      const page = await context.newPage();
      await actionCases[name]!(page, w, db);
      await context.close();
    });
  }
});
