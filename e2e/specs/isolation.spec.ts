import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { addContactTag, contactTagNames } from "@/db/queries/contacts";
import { createInvitation } from "@/db/queries/members";
import { createImport } from "@/db/queries/imports";
import { recordFlowFailure } from "@/db/queries/notifications";
import { createSegment, refreshMembership } from "@/db/queries/segments";
import { apiKeys, auditLog, broadcasts, consentEvents, contacts, enrollments, events, flows, flowVersions, forms, imports, invitations, memberships, messages, notifications, repermissionRequests, segments, templates, topics, users, workspaces } from "@/db/schema/index";
import { seedFailedRun } from "../fixtures/failed-runs";
import { publish } from "../fixtures/flows";
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

type Populated = SeededWorkspace & { broadcastId: string; editorId: string; invitationId: string; keyId: string; flowId: string; templateId: string; segmentId: string; importId: string; formId: string; topicId: string };
type World = { a: Populated; b: Populated };

async function populate(db: Db, ws: SeededWorkspace) {
  const [editor] = await db.insert(users).values({ email: `editor-${ws.workspace.slug}@example.com` }).returning({ id: users.id });
  await db.insert(memberships).values({ workspaceId: ws.workspace.id, userId: editor!.id, role: "editor" });
  const inv = await createInvitation(db, { workspaceId: ws.workspace.id, email: `invitee-${ws.workspace.slug}@example.com`, role: "viewer", invitedBy: ws.owner.id, now: new Date() });
  const key = await createApiKey(db, { workspaceId: ws.workspace.id, name: "Site", kind: "public", createdBy: ws.owner.id });
  const draft = { nodes: [{ id: "t", kind: "manual-enrol", config: {}, position: { x: 0, y: 0 } }, { id: "x", kind: "exit", config: {}, position: { x: 0, y: 100 } }], edges: [{ id: "e", source: "t", sourceHandle: "next", target: "x" }] };
  const [flow] = await db.insert(flows).values({ workspaceId: ws.workspace.id, name: "Onboarding", draft }).returning({ id: flows.id });
  const templateId = await seedTemplate(db, ws.workspace.id);
  const seg = await createSegment(db, { workspaceId: ws.workspace.id, name: "Everyone", definition: { type: "group", match: "all", children: [] }, createdBy: null });
  const imp = await createImport(db, {
    workspaceId: ws.workspace.id,
    fileName: "list.csv",
    mode: "update",
    statement: "Signed up at the trade fair stand, paper forms on file",
    settings: { header: ["email"], mapping: [{ target: "email" }], tags: [] },
    totalRows: 1,
    createdBy: ws.owner.id,
  });
  const [form] = await db.insert(forms).values({ workspaceId: ws.workspace.id, name: "Newsletter", slug: `news-${ws.workspace.slug}` }).returning({ id: forms.id });
  const [topic] = await db.insert(topics).values({ workspaceId: ws.workspace.id, key: "offers", name: "Offers" }).returning({ id: topics.id });
  const broadcastId = await seedBroadcast(db, ws.workspace.id, templateId);
  return { ...ws, broadcastId, editorId: editor!.id, invitationId: inv.id, keyId: key.id, flowId: flow!.id, templateId, segmentId: seg.id, importId: imp.id, formId: form!.id, topicId: topic!.id };
}

async function seedTemplate(db: Db, workspaceId: string) {
  const [t] = await db
    .insert(templates)
    .values({ workspaceId, name: "Welcome", class: "marketing", subject: "Welcome {{ contact.first_name }}", body: { markup: "Hello" } })
    .returning({ id: templates.id });
  return t!.id;
}

/** A draft broadcast to everyone, with the workspace's template. */
async function seedBroadcast(db: Db, workspaceId: string, templateId: string) {
  const [b] = await db
    .insert(broadcasts)
    .values({ workspaceId, name: "May news", templateId, audience: { everyone: true, segmentIds: [], topicIds: [], excludeSegmentIds: [] } })
    .returning({ id: broadcasts.id });
  return b!.id;
}

/** Both workspaces' broadcasts in `status`, so B's page offers the control aimed here at A's. */
async function broadcastsIn(db: Db, w: World, status: "scheduled" | "sending" | "paused") {
  await db.update(broadcasts).set({ status }).where(inArray(broadcasts.id, [w.a.broadcastId, w.b.broadcastId]));
}

/** A's broadcast is as it was seeded: a draft named "May news", never touched (no audit entry). */
async function broadcastUnchanged(db: Db, w: World, status = "draft") {
  const [row] = await db.select().from(broadcasts).where(eq(broadcasts.id, w.a.broadcastId));
  expect(row).toMatchObject({ name: "May news", status, templateVersionId: null, cancelledAt: null });
  expect(await db.select().from(auditLog).where(and(eq(auditLog.workspaceId, w.a.workspace.id), eq(auditLog.targetId, w.a.broadcastId)))).toHaveLength(0);
}

/**
 * For actions the page calls from script (live count, chunked import): rewrites each server
 * action POST on its way out, as a forged request would.
 */
async function rewriteActionPosts(page: Page, rewrite: (body: string) => string) {
  await page.route("**/*", async (route) => {
    const req = route.request();
    // Server actions, and the live previews' action routes (lib/auth/action `actionRoute`).
    if (req.method() === "POST" && (req.headers()["next-action"] || new URL(req.url()).pathname.endsWith("/preview")))
      return route.continue({ postData: rewrite(req.postData() ?? "") });
    return route.continue();
  });
}

/** Import requests carry one id, the import's (the start request none). */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Starts a one-row import in B's import page (its requests rewritten by the caller). */
async function importOneRow(p: Page, w: World) {
  await p.goto(`/w/${w.b.workspace.slug}/contacts/import`);
  await p.getByLabel("CSV file").setInputFiles({ name: "one.csv", mimeType: "text/csv", buffer: Buffer.from("email\nplanted@example.com\n") });
  await p.getByLabel(/Where and how did these people consent/).fill("Signed up at the trade fair stand, paper forms on file");
  await p.getByRole("button", { name: /^Import 1 rows$/ }).click();
}

const importUnchanged = async (db: Db, w: World) => {
  const [a] = await db.select().from(imports).where(eq(imports.id, w.a.importId));
  expect(a).toMatchObject({ status: "running", received: 0, created: 0 });
  expect(await db.select().from(contacts).where(and(eq(contacts.workspaceId, w.a.workspace.id), eq(contacts.email, "planted@example.com")))).toHaveLength(0);
};

/** Sets a form field's value (hidden inputs included) in the first form that has it. */
async function forge(page: Page, form: string, field: string, value: string) {
  await page.locator(`${form} input[name="${field}"]`).first().evaluate((el, v) => ((el as HTMLInputElement).value = v), value);
}

/**
 * Editor actions are called from code, not from a form: aim them at A by rewriting B's id in
 * every POST the page sends (the ids are equally long, so the multipart body stays well-formed).
 */
async function retarget(page: Page, pairs: [string, string][]) {
  await page.route("**/*", async (route) => {
    const req = route.request();
    const body = req.method() === "POST" ? req.postData() : null;
    if (body === null) return route.continue();
    let next = body;
    for (const [from, to] of pairs) next = next.split(from).join(to);
    return route.continue({ postData: next });
  });
}

async function publishBoth(db: Db, w: World) {
  for (const x of [w.a, w.b]) {
    const [f] = await db.select().from(flows).where(eq(flows.id, x.flowId));
    await publish(db, { workspaceId: x.workspace.id, flowId: x.flowId, graph: f!.draft as Parameters<typeof publish>[1]["graph"] });
  }
}

/** Both flows published, each with one run that failed at its exit node; returns A's failed run. */
async function failBoth(db: Db, w: World) {
  await publishBoth(db, w);
  const failed: string[] = [];
  for (const x of [w.a, w.b]) {
    const [v] = await db.select().from(flowVersions).where(eq(flowVersions.flowId, x.flowId));
    failed.push(await seedFailedRun(db, { workspaceId: x.workspace.id, flowId: x.flowId, flowVersionId: v!.id, contactId: x.contacts[0]!.id, nodeId: "x", kind: "exit" }));
  }
  return failed[0]!;
}

/** `confirm` names the button of the confirm dialog a destructive action opens first. */
async function submitAndExpectRefusal(page: Page, form: string, button: string, message: RegExp, confirm?: string) {
  await page.locator(form).getByRole("button", { name: button }).first().click();
  if (confirm) await page.getByRole("alertdialog").getByRole("button", { name: confirm }).click();
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
    await submitAndExpectRefusal(p, row, "Revoke", /no longer pending/, "Revoke invitation");
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
    await submitAndExpectRefusal(p, row, "Remove", /not a member of this workspace/, "Remove member");
    expect(await db.select().from(memberships).where(eq(memberships.userId, w.a.editorId))).toHaveLength(1);
  },
  transferOwnershipAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/members`);
    const row = `[data-testid="member-editor-${w.b.workspace.slug}@example.com"] form:has(button:text("Make owner"))`;
    await forge(p, row, "userId", w.a.editorId);
    await submitAndExpectRefusal(p, row, "Make owner", /must already be a member/, "Transfer ownership");
    const [m] = await db.select().from(memberships).where(eq(memberships.userId, w.a.editorId));
    expect(m!.role).toBe("editor");
  },
  leaveWorkspaceAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/members`);
    const form = `form:has(button:text("Leave workspace"))`;
    await forge(p, form, "workspace", w.a.workspace.slug);
    await submitAndExpectRefusal(p, form, "Leave workspace", /Workspace not found/, "Leave workspace");
    expect(await db.select().from(memberships).where(eq(memberships.workspaceId, w.a.workspace.id))).toHaveLength(2);
  },
  deleteWorkspaceAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings`);
    await forge(p, "[data-testid=delete-workspace-form]", "workspace", w.a.workspace.slug);
    await p.getByLabel(/to confirm/).fill(w.a.workspace.name);
    await submitAndExpectRefusal(p, "[data-testid=delete-workspace-form]", "Delete workspace", /Workspace not found/, "Delete workspace");
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
  createFlowAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/flows`);
    await forge(p, "[data-testid=new-flow-form]", "workspace", w.a.workspace.slug);
    await p.getByTestId("new-flow-form").getByLabel("Name").fill("Planted flow");
    await submitAndExpectRefusal(p, "[data-testid=new-flow-form]", "Create flow", /Workspace not found/);
    expect(await db.select().from(flows).where(eq(flows.name, "Planted flow"))).toHaveLength(0);
  },
  saveDraftAction: async (p, w, db) => {
    await retarget(p, [[w.b.flowId, w.a.flowId]]);
    await p.goto(`/w/${w.b.workspace.slug}/flows/${w.b.flowId}`);
    await p.getByTestId("node-x").click({ position: { x: 30, y: 12 } });
    await p.getByTestId("node-panel").getByLabel("Label").fill("Overwritten");
    await expect(p.getByTestId("save-state")).toHaveText(/flow not found/);
    const [a] = await db.select().from(flows).where(eq(flows.id, w.a.flowId));
    expect(a!.draftRevision).toBe(0);
    expect(JSON.stringify(a!.draft)).not.toContain("Overwritten");
  },
  restoreVersionAction: async (p, w, db) => {
    await publishBoth(db, w);
    const [av] = await db.select().from(flowVersions).where(eq(flowVersions.flowId, w.a.flowId));
    const [bv] = await db.select().from(flowVersions).where(eq(flowVersions.flowId, w.b.flowId));
    await retarget(p, [[w.b.flowId, w.a.flowId], [bv!.id, av!.id]]);
    p.on("dialog", (d) => void d.accept());
    await p.goto(`/w/${w.b.workspace.slug}/flows/${w.b.flowId}`);
    await p.getByRole("tab", { name: "Versions" }).click();
    await p.getByRole("button", { name: "Restore to draft" }).click();
    await expect(p.getByTestId("versions").getByRole("alert")).toHaveText(/version not found/);
    const [a] = await db.select().from(flows).where(eq(flows.id, w.a.flowId));
    expect(a!.draftRevision).toBe(0);
  },
  pauseFlowAction: async (p, w, db) => {
    await publishBoth(db, w);
    await retarget(p, [[w.b.flowId, w.a.flowId]]);
    await p.goto(`/w/${w.b.workspace.slug}/flows/${w.b.flowId}`);
    await p.getByRole("button", { name: "Pause" }).click();
    await expect(p.getByTestId("editor-notice")).toHaveText(/flow not found/);
    const [a] = await db.select().from(flows).where(eq(flows.id, w.a.flowId));
    expect(a!.status).toBe("live");
  },
  setProviderWaitAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/flows/${w.b.flowId}`);
    const form = "[data-testid=provider-wait-form]";
    await expect(p.locator(form)).toBeVisible();
    await forge(p, form, "flowId", w.a.flowId);
    await p.locator(form).getByLabel("Wait out mail provider outages for up to").fill("100");
    await submitAndExpectRefusal(p, form, "Save", /flow not found/);
    const [a] = await db.select().from(flows).where(eq(flows.id, w.a.flowId));
    expect(a!.providerWaitHours).toBe(24);
  },
  retryFailedRunsAction: async (p, w, db) => {
    const theirs = await failBoth(db, w);
    await p.goto(`/w/${w.b.workspace.slug}/flows/${w.b.flowId}/failed`);
    const row = `[data-testid="failed-${w.b.contacts[0]!.email}"] form:has(button:text("Retry from this node"))`;
    await forge(p, row, "flowId", w.a.flowId);
    await forge(p, row, "enrollmentId", theirs);
    await submitAndExpectRefusal(p, row, "Retry from this node", /flow not found/);
    expect((await db.select().from(enrollments).where(eq(enrollments.flowId, w.a.flowId))).map((e) => e.status)).toEqual(["failed"]);
  },
  exitFailedRunsAction: async (p, w, db) => {
    const theirs = await failBoth(db, w);
    await p.goto(`/w/${w.b.workspace.slug}/flows/${w.b.flowId}/failed`);
    const row = `[data-testid="failed-${w.b.contacts[0]!.email}"] form:has(button:text("Exit"))`;
    await forge(p, row, "flowId", w.a.flowId);
    await forge(p, row, "enrollmentId", theirs);
    await submitAndExpectRefusal(p, row, "Exit", /flow not found/, "Exit");
    expect((await db.select().from(enrollments).where(eq(enrollments.id, theirs))).map((e) => e.status)).toEqual(["failed"]);
  },
  markNoticesReadAction: async (p, w, db) => {
    const theirs = await recordFlowFailure(db, { workspaceId: w.a.workspace.id, flowId: w.a.flowId, reason: "Resend: 503", at: new Date() });
    const ours = await recordFlowFailure(db, { workspaceId: w.b.workspace.id, flowId: w.b.flowId, reason: "Resend: 503", at: new Date() });
    await p.goto(`/w/${w.b.workspace.slug}/notices`);
    const row = `[data-testid="notice-${ours!.id}"] form`;
    await forge(p, row, "noticeId", theirs!.id);
    await submitAndExpectRefusal(p, row, "Mark read", /notice not found, or already read/);
    await p.goto(`/w/${w.b.workspace.slug}/notices`);
    await forge(p, "[data-testid=mark-all-read-form]", "workspace", w.a.workspace.slug);
    await submitAndExpectRefusal(p, "[data-testid=mark-all-read-form]", "Mark all read", /Workspace not found/);
    const [n] = await db.select().from(notifications).where(eq(notifications.id, theirs!.id));
    expect(n!.readAt).toBeNull();
  },
  createApiKeyAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/api-keys`);
    await forge(p, "[data-testid=api-key-form]", "workspace", w.a.workspace.slug);
    await p.getByTestId("api-key-form").getByLabel("Name").fill("Backdoor");
    await submitAndExpectRefusal(p, "[data-testid=api-key-form]", "Create key", /Workspace not found/);
    expect(await db.select().from(apiKeys).where(eq(apiKeys.workspaceId, w.a.workspace.id))).toHaveLength(1);
  },
  saveSegmentAction: async (p, w, db) => {
    // The builder is a client component: forge only once it has hydrated (its live count has run),
    // or hydration may put the real value back.
    const hydrated = () => expect(p.getByText("contacts (erased people never match)")).toBeVisible();
    await p.goto(`/w/${w.b.workspace.slug}/segments/${w.b.segmentId}`);
    await hydrated();
    await forge(p, "[data-testid=segment-form]", "segmentId", w.a.segmentId);
    await p.getByLabel("Name", { exact: true }).fill("Hijacked");
    await submitAndExpectRefusal(p, "[data-testid=segment-form]", "Save segment", /segment not found/);
    await p.goto(`/w/${w.b.workspace.slug}/segments/new`);
    await hydrated();
    await forge(p, "[data-testid=segment-form]", "workspace", w.a.workspace.slug);
    await p.getByLabel("Name", { exact: true }).fill("Planted");
    await submitAndExpectRefusal(p, "[data-testid=segment-form]", "Save segment", /Workspace not found/);
    const rows = await db.select().from(segments).where(eq(segments.workspaceId, w.a.workspace.id));
    expect(rows.map((r) => r.name)).toEqual(["Everyone"]);
  },
  deleteSegmentAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/segments/${w.b.segmentId}`);
    await forge(p, "[data-testid=delete-segment-form]", "segmentId", w.a.segmentId);
    await submitAndExpectRefusal(p, "[data-testid=delete-segment-form]", "Delete", /segment not found/, "Delete segment");
    expect(await db.select().from(segments).where(eq(segments.id, w.a.segmentId))).toHaveLength(1);
  },
  previewSegmentAction: async (p, w) => {
    await rewriteActionPosts(p, (body) => body.replaceAll(w.b.workspace.slug, w.a.workspace.slug));
    await p.goto(`/w/${w.b.workspace.slug}/segments/new`);
    await expect(p.getByRole("alert").filter({ hasText: /Workspace not found/ })).toBeVisible();
    await expect(p.getByTestId("segment-count")).toHaveText("…");
  },
  startImportAction: async (p, w, db) => {
    await rewriteActionPosts(p, (body) => body.replaceAll(w.b.workspace.slug, w.a.workspace.slug));
    await importOneRow(p, w);
    await expect(p.getByRole("alert").filter({ hasText: /Workspace not found/ })).toBeVisible();
    expect(await db.select().from(imports).where(eq(imports.workspaceId, w.a.workspace.id))).toHaveLength(1);
    await importUnchanged(db, w);
  },
  importChunkAction: async (p, w, db) => {
    // B's own import, but every chunk names A's import.
    await rewriteActionPosts(p, (body) => body.replace(UUID, w.a.importId));
    await importOneRow(p, w);
    await expect(p.getByRole("alert").filter({ hasText: /import not found/ }).first()).toBeVisible();
    await importUnchanged(db, w);
  },
  finishImportAction: async (p, w, db) => {
    let chunks = 0;
    // Chunks reach B's own import; only the finishing call names A's.
    await rewriteActionPosts(p, (body) => (body.includes("firstRow") ? (chunks++, body) : body.replace(UUID, w.a.importId)));
    await importOneRow(p, w);
    await expect(p.getByRole("alert").filter({ hasText: /import not found, or already finished/ })).toBeVisible();
    expect(chunks).toBe(1);
    await importUnchanged(db, w);
  },
  revokeApiKeyAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/api-keys`);
    const row = `[data-testid="api-key-Site"] form`;
    await forge(p, row, "id", w.a.keyId);
    await submitAndExpectRefusal(p, row, "Revoke", /already revoked or does not exist/, "Revoke key");
    const [k] = await db.select().from(apiKeys).where(eq(apiKeys.id, w.a.keyId));
    expect(k!.revokedAt).toBeNull();
  },
  saveTemplateAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/templates/${w.b.templateId}`);
    await forge(p, "[data-testid=template-form]", "templateId", w.a.templateId);
    await p.getByLabel("Name").fill("Taken over");
    await submitAndExpectRefusal(p, "[data-testid=template-form]", "Save template", /Template not found/);
    const [t] = await db.select().from(templates).where(eq(templates.id, w.a.templateId));
    expect(t!.name).toBe("Welcome");
  },
  deleteTemplateAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/templates/${w.b.templateId}`);
    await forge(p, "[data-testid=delete-template-form]", "templateId", w.a.templateId);
    await submitAndExpectRefusal(p, "[data-testid=delete-template-form]", "Delete template", /Template not found/, "Delete template");
    expect(await db.select().from(templates).where(eq(templates.id, w.a.templateId))).toHaveLength(1);
  },
  archiveTemplateAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/templates/${w.b.templateId}`);
    await forge(p, "[data-testid=archive-template-form]", "templateId", w.a.templateId);
    await submitAndExpectRefusal(p, "[data-testid=archive-template-form]", "Archive template", /Template not found/);
    const [t] = await db.select().from(templates).where(eq(templates.id, w.a.templateId));
    expect(t!.archivedAt).toBeNull();
  },
  unarchiveTemplateAction: async (p, w, db) => {
    // Both archived: B's page offers Unarchive, aimed here at A's.
    await db.update(templates).set({ archivedAt: new Date() }).where(inArray(templates.id, [w.a.templateId, w.b.templateId]));
    await p.goto(`/w/${w.b.workspace.slug}/templates/${w.b.templateId}`);
    await forge(p, "[data-testid=unarchive-template-form]", "templateId", w.a.templateId);
    await submitAndExpectRefusal(p, "[data-testid=unarchive-template-form]", "Unarchive", /Template not found/);
    const [t] = await db.select().from(templates).where(eq(templates.id, w.a.templateId));
    expect(t!.archivedAt).not.toBeNull();
  },
  previewTemplateAction: async (p, w) => {
    await p.goto(`/w/${w.b.workspace.slug}/templates/${w.b.templateId}`);
    await expect(p.getByTestId("preview-subject")).toBeVisible();
    await forge(p, "[data-testid=template-form]", "workspace", w.a.workspace.slug);
    await p.getByLabel("Subject").fill("Peek {{ contact.email }}");
    await expect(p.getByTestId("template-form").getByRole("alert").filter({ hasText: /Workspace not found/ })).toBeVisible();
  },
  testSendTemplateAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/templates/${w.b.templateId}`);
    await forge(p, "[data-testid=template-form]", "workspace", w.a.workspace.slug);
    await submitAndExpectRefusal(p, "[data-testid=template-form]", "Send test", /Workspace not found/);
    const [a] = await db.select().from(workspaces).where(eq(workspaces.id, w.a.workspace.id));
    expect(a!.name).toBe(w.a.workspace.name);
  },
  updateSendingAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/settings/sending`);
    await forge(p, "[data-testid=sending-form]", "workspace", w.a.workspace.slug);
    await p.getByLabel("From name").fill("Hijacked");
    await submitAndExpectRefusal(p, "[data-testid=sending-form]", "Save sending settings", /Workspace not found/);
    const [a] = await db.select().from(workspaces).where(eq(workspaces.id, w.a.workspace.id));
    expect(a!.fromName).toBe("Acme Outdoor");
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
    await submitAndExpectRefusal(p, row, "Delete", /topic not found/, "Delete topic");
    expect(await db.select().from(topics).where(eq(topics.id, w.a.topicId))).toHaveLength(1);
  },
  requestRepermissionAction: async (p, w, db) => {
    // B's contact is unconfirmed, a member of B's segment and of B's import, so B's pages offer the button.
    const b = w.b.contacts[0]!;
    await db.update(contacts).set({ status: "unconfirmed" }).where(and(eq(contacts.workspaceId, w.b.workspace.id), eq(contacts.id, b.id)));
    await db.insert(consentEvents).values({ workspaceId: w.b.workspace.id, contactId: b.id, kind: "opt_in", email: b.email, source: "import", data: { importId: w.b.importId } });
    await refreshMembership(db, { workspaceId: w.b.workspace.id, segmentId: w.b.segmentId, definition: { type: "group", match: "all", children: [] }, now: new Date(), afterId: null, limit: 100 });
    await p.goto(`/w/${w.b.workspace.slug}/segments/${w.b.segmentId}`);
    await forge(p, "[data-testid=repermission-form]", "segmentId", w.a.segmentId);
    await submitAndExpectRefusal(p, "[data-testid=repermission-form]", "Ask 1 unconfirmed contacts to confirm", /segment not found/, "Send confirmation mails");
    await p.goto(`/w/${w.b.workspace.slug}/contacts/import/${w.b.importId}`);
    await forge(p, "[data-testid=repermission-form]", "importId", w.a.importId);
    await submitAndExpectRefusal(p, "[data-testid=repermission-form]", "Ask 1 unconfirmed contacts to confirm", /import not found/, "Send confirmation mails");
    expect(await db.select().from(repermissionRequests).where(inArray(repermissionRequests.workspaceId, [w.a.workspace.id, w.b.workspace.id]))).toHaveLength(0);
  },
  createBroadcastAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/broadcasts/new`);
    await forge(p, "[data-testid=new-broadcast-form]", "workspace", w.a.workspace.slug);
    await p.getByTestId("new-broadcast-form").getByLabel("Name").fill("Planted broadcast");
    await submitAndExpectRefusal(p, "[data-testid=new-broadcast-form]", "Create draft", /Workspace not found/);
    expect(await db.select().from(broadcasts).where(eq(broadcasts.name, "Planted broadcast"))).toHaveLength(0);
  },
  saveBroadcastAction: async (p, w, db) => {
    await retarget(p, [[w.b.broadcastId, w.a.broadcastId]]);
    await p.goto(`/w/${w.b.workspace.slug}/broadcasts/${w.b.broadcastId}`);
    await p.getByTestId("broadcast-editor").getByLabel("Name", { exact: true }).fill("Hijacked");
    await p.getByRole("button", { name: "Save draft" }).click();
    await expect(p.getByTestId("broadcast-outcome").getByRole("alert")).toHaveText(/broadcast not found/);
    await broadcastUnchanged(db, w);
  },
  deleteBroadcastAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/broadcasts/${w.b.broadcastId}`);
    await forge(p, "[data-testid=delete-broadcast-form]", "broadcastId", w.a.broadcastId);
    await submitAndExpectRefusal(p, "[data-testid=delete-broadcast-form]", "Delete draft", /broadcast not found/, "Delete draft");
    await broadcastUnchanged(db, w);
  },
  scheduleBroadcastAction: async (p, w, db) => {
    // B's draft saves as itself; only the schedule call names A's broadcast.
    await rewriteActionPosts(p, (body) => (body.includes("sendAt") ? body.split(w.b.broadcastId).join(w.a.broadcastId) : body));
    await p.goto(`/w/${w.b.workspace.slug}/broadcasts/${w.b.broadcastId}`);
    await p.getByRole("button", { name: "Send now" }).click();
    await expect(p.getByTestId("broadcast-outcome").getByRole("alert")).toHaveText(/broadcast not found/);
    await broadcastUnchanged(db, w);
  },
  cancelBroadcastAction: async (p, w, db) => {
    await broadcastsIn(db, w, "scheduled");
    await p.goto(`/w/${w.b.workspace.slug}/broadcasts/${w.b.broadcastId}`);
    await forge(p, "[data-testid=cancel-broadcast-form]", "broadcastId", w.a.broadcastId);
    await submitAndExpectRefusal(p, "[data-testid=cancel-broadcast-form]", "Cancel broadcast", /broadcast not found/, "Cancel broadcast");
    await broadcastUnchanged(db, w, "scheduled");
  },
  pauseBroadcastAction: async (p, w, db) => {
    await broadcastsIn(db, w, "sending");
    await p.goto(`/w/${w.b.workspace.slug}/broadcasts/${w.b.broadcastId}`);
    await forge(p, "[data-testid=pause-broadcast-form]", "broadcastId", w.a.broadcastId);
    await submitAndExpectRefusal(p, "[data-testid=pause-broadcast-form]", "Pause", /broadcast not found/, "Pause");
    await broadcastUnchanged(db, w, "sending");
  },
  resumeBroadcastAction: async (p, w, db) => {
    await broadcastsIn(db, w, "paused");
    await p.goto(`/w/${w.b.workspace.slug}/broadcasts/${w.b.broadcastId}`);
    await forge(p, "[data-testid=resume-broadcast-form]", "broadcastId", w.a.broadcastId);
    await submitAndExpectRefusal(p, "[data-testid=resume-broadcast-form]", "Resume", /broadcast not found/, "Resume");
    await broadcastUnchanged(db, w, "paused");
  },
  previewAudienceAction: async (p, w) => {
    await rewriteActionPosts(p, (body) => body.replaceAll(w.b.workspace.slug, w.a.workspace.slug));
    await p.goto(`/w/${w.b.workspace.slug}/broadcasts/${w.b.broadcastId}`);
    await expect(p.getByRole("alert").filter({ hasText: /Workspace not found/ })).toBeVisible();
    await expect(p.getByTestId("audience-count")).toHaveText("…");
  },
  eraseContactAction: async (p, w, db) => {
    await p.goto(`/w/${w.b.workspace.slug}/contacts/${w.b.contacts[0]!.id}`);
    await forge(p, "[data-testid=erase-form]", "contactId", w.a.contacts[0]!.id);
    await p.getByLabel("Type the email address to confirm").fill(w.a.contacts[0]!.email);
    await submitAndExpectRefusal(p, "[data-testid=erase-form]", "Erase personal data", /contact not found/, "Erase personal data");
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
  "app/w/[workspace]/templates/preview/route.ts": "previewTemplateAction served as a route: the action's own checks (case: previewTemplateAction)",
  "app/w/[workspace]/broadcasts/preview/route.ts": "previewAudienceAction served as a route: the action's own checks (case: previewAudienceAction)",
  "app/api/v1/broadcasts/route.ts": "workspace from the secret key (case: the broadcast API …)",
  "app/api/v1/broadcasts/[broadcastId]/route.ts": "workspace from the secret key (case: the broadcast API …)",
  "app/api/v1/broadcasts/[broadcastId]/schedule/route.ts": "workspace from the secret key (case: the broadcast API …)",
  "app/api/v1/broadcasts/[broadcastId]/cancel/route.ts": "workspace from the secret key (case: the broadcast API …)",
  "app/api/v1/broadcasts/[broadcastId]/pause/route.ts": "workspace from the secret key (case: the broadcast API …)",
  "app/api/v1/broadcasts/[broadcastId]/resume/route.ts": "workspace from the secret key (case: the broadcast API …)",
  "app/w/[workspace]/segments/preview/route.ts": "previewSegmentAction served as a route: the action's own checks (case: previewSegmentAction)",
  "app/api/auth/[...nextauth]/route.ts": "Auth.js: the caller's own session",
  "app/api/inngest/route.ts": "called by Inngest (signed in production), no workspace input",
  "app/tillit.js/route.ts": "the public browser snippet, no data",
  "app/api/v1/openapi.json/route.ts": "the public API description, no data",
  "app/api/track/[...path]/route.ts": "the public tracking API: the workspace comes from the write key, as in the ingest (ingest/web.int.test: unknown and revoked keys refused)",
  "app/api/v1/contacts/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/contacts/[id]/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/contacts/[id]/tags/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/contacts/[id]/tags/[tag]/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/contacts/[id]/subscriptions/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/contacts/[id]/events/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/events/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/topics/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/flows/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/flows/[id]/enrollments/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/broadcasts/[broadcastId]/results/route.ts": "workspace from the secret key; the broadcast looked up in it (case: the REST API …)",
  "app/w/[workspace]/reports/export/route.ts": "session member of the slug (case: report CSV exports …)",
  "app/w/[workspace]/reports/flows/[flowId]/export/route.ts": "session member of the slug, flow of that workspace (case: report CSV exports …)",
  "app/w/[workspace]/flows/[flowId]/dry-run/route.ts": "session member of the slug; flow and contact looked up in that workspace, another's a 404 (flow-dry-run.spec: the dry-run route …)",
  "app/w/[workspace]/reports/flows/[flowId]/messages/[nodeId]/export/route.ts": "session member of the slug, flow of that workspace (case: report CSV exports …)",
  "app/api/webhooks/resend/route.ts": "signed by Resend; the workspace comes from the message row found by the provider's id",
  "app/r/[token]/route.ts": "workspace from an HMAC-signed token verified with that workspace's secret (lib/email email.int.test)",
  "app/o/[token]/route.ts": "workspace from an HMAC-signed token verified with that workspace's secret (lib/email email.int.test)",
  "app/w/[workspace]/segments/[segmentId]/export/route.ts": "member of the workspace in the path (case: the CSV downloads …)",
  "app/w/[workspace]/contacts/import/[importId]/report/route.ts": "member of the workspace in the path (case: the CSV downloads …)",
  "app/api/v1/contacts/[id]/export/route.ts": "workspace from the secret key (case: the REST API …)",
  "app/api/v1/contacts/repermission/route.ts": "workspace from the secret key; contacts and template looked up in it (case: the REST API …)",
  "app/api/v1/contacts/repermission/[requestId]/route.ts": "workspace from the secret key (case: the REST API …)",
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
    // Two or three navigations per page, for every page of the app.
    test.setTimeout(180_000);
    const a = await seedWorkspace(db);
    const b = await seedWorkspace(db);
    const flowIds = new Map<string, string>();
    for (const w of [a, b]) {
      const [f] = await db.insert(flows).values({ workspaceId: w.workspace.id, name: "Reported" }).returning({ id: flows.id });
      flowIds.set(w.workspace.id, f!.id);
    }
    const context = await browser.newContext({ baseURL });
    await context.addCookies([await sessionCookieFor(db, b.owner.id, baseURL!)]);
    const page = await context.newPage();
    const pages = walk(path.join(root, "app", "w", "[workspace]"))
      .filter((f) => f.endsWith("page.tsx"))
      .map((f) => path.dirname(f).replace(path.join("app", "w", "[workspace]"), "").split(path.sep).join("/"));
    expect(pages.length).toBeGreaterThan(5);
    // Up to three visits per page, for every page of the app: the budget grows with the app.
    test.setTimeout(30_000 + pages.length * 15_000);
    // Each id a page takes, for each workspace: pages with an id unknown here fail the spec.
    const templateOf = new Map([
      [a.workspace.id, await seedTemplate(db, a.workspace.id)],
      [b.workspace.id, await seedTemplate(db, b.workspace.id)],
    ]);
    const segmentOf = new Map<string, string>();
    for (const w of [a, b]) segmentOf.set(w.workspace.id, (await createSegment(db, { workspaceId: w.workspace.id, name: "All", definition: { type: "group", match: "all", children: [] }, createdBy: null })).id);
    const formIds = new Map<string, string>();
    for (const w of [a, b]) {
      const [f] = await db.insert(forms).values({ workspaceId: w.workspace.id, name: "Signup", slug: `signup-${w.workspace.slug}` }).returning({ id: forms.id });
      formIds.set(w.workspace.id, f!.id);
    }
    const importOf = new Map<string, string>();
    for (const w of [a, b]) {
      const imp = await createImport(db, { workspaceId: w.workspace.id, fileName: "list.csv", mode: "update", statement: "Signed up at the trade fair stand, paper forms on file", settings: { header: ["email"], mapping: [{ target: "email" }], tags: [] }, totalRows: 1, createdBy: w.owner.id });
      importOf.set(w.workspace.id, imp.id);
    }
    const messageOf = new Map<string, string>();
    for (const w of [a, b]) {
      const [m] = await db
        .insert(messages)
        .values({ workspaceId: w.workspace.id, contactId: w.contacts[0]!.id, class: "marketing", toEmail: w.contacts[0]!.email, subject: "Hello", permissionBasis: "consent" })
        .returning({ id: messages.id });
      messageOf.set(w.workspace.id, m!.id);
    }
    const broadcastOf = new Map<string, string>();
    for (const w of [a, b]) broadcastOf.set(w.workspace.id, await seedBroadcast(db, w.workspace.id, templateOf.get(w.workspace.id)!));
    const ids: Record<string, (w: SeededWorkspace) => string> = {
      "[broadcastId]": (w) => broadcastOf.get(w.workspace.id)!,
      "[messageId]": (w) => messageOf.get(w.workspace.id)!,
      "[contactId]": (w) => w.contacts[0]!.id,
      "[flowId]": (w) => flowIds.get(w.workspace.id)!,
      // Not an id of its own: a node of the flow in the path, which is what isolates it.
      "[nodeId]": () => "s",
      "[templateId]": (w) => templateOf.get(w.workspace.id)!,
      "[segmentId]": (w) => segmentOf.get(w.workspace.id)!,
      "[formId]": (w) => formIds.get(w.workspace.id)!,
      "[importId]": (w) => importOf.get(w.workspace.id)!,
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

  test("report CSV exports: another workspace's slug or flow ids are a 404, own reports export", async ({ browser, db, baseURL }) => {
    const a = await seedWorkspace(db);
    const b = await seedWorkspace(db);
    const [fa] = await db.insert(flows).values({ workspaceId: a.workspace.id, name: "Secret A" }).returning({ id: flows.id });
    const [fb] = await db.insert(flows).values({ workspaceId: b.workspace.id, name: "Own B" }).returning({ id: flows.id });
    const context = await browser.newContext({ baseURL });
    await context.addCookies([await sessionCookieFor(db, b.owner.id, baseURL!)]);
    const get = (url: string) => context.request.get(url, { maxRedirects: 0 });
    for (const url of [
      `/w/${a.workspace.slug}/reports/export`,
      `/w/${a.workspace.slug}/reports/flows/${fa!.id}/export`,
      `/w/${b.workspace.slug}/reports/flows/${fa!.id}/export`,
      `/w/${a.workspace.slug}/reports/flows/${fa!.id}/messages/s/export`,
      `/w/${b.workspace.slug}/reports/flows/${fa!.id}/messages/s/export`,
    ]) {
      const r = await get(url);
      expect(r.status(), url).toBe(404);
      expect(await r.text(), url).not.toContain("Secret A");
    }
    for (const url of [
      `/w/${b.workspace.slug}/reports/export?range=7d`,
      `/w/${b.workspace.slug}/reports/flows/${fb!.id}/export`,
      `/w/${b.workspace.slug}/reports/flows/${fb!.id}/messages/s/export`,
    ]) {
      const r = await get(url);
      expect(r.status(), url).toBe(200);
      expect(r.headers()["content-type"]).toContain("text/csv");
    }
    expect(await (await get(`/w/${b.workspace.slug}/reports/flows/${fb!.id}/export`)).text()).toContain("Flow Own B");
    await context.close();
  });

  test("the CSV downloads answer 404 to another workspace's segment and import ids", async ({ browser, db, baseURL }) => {
    const w: World = { a: await populate(db, await seedWorkspace(db, { contacts: 1 })), b: await populate(db, await seedWorkspace(db, { contacts: 1 })) };
    const context = await browser.newContext({ baseURL });
    await context.addCookies([await sessionCookieFor(db, w.b.owner.id, baseURL!)]);
    const r = context.request;
    expect((await r.get(`/w/${w.b.workspace.slug}/segments/${w.b.segmentId}/export`)).status()).toBe(200);
    expect((await r.get(`/w/${w.b.workspace.slug}/segments/${w.a.segmentId}/export`)).status()).toBe(404);
    expect((await r.get(`/w/${w.a.workspace.slug}/segments/${w.a.segmentId}/export`)).status()).toBe(404);
    expect((await r.get(`/w/${w.b.workspace.slug}/contacts/import/${w.b.importId}/report`)).status()).toBe(200);
    expect((await r.get(`/w/${w.b.workspace.slug}/contacts/import/${w.a.importId}/report`)).status()).toBe(404);
    expect((await r.get(`/w/${w.a.workspace.slug}/contacts/import/${w.a.importId}/report`)).status()).toBe(404);
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

    // The contact's sub-resources, by A's contact id.
    const theirs = a.contacts[0]!;
    await db.insert(topics).values({ workspaceId: a.workspace.id, key: "offers", name: "Offers" });
    await addContactTag(db, { workspaceId: a.workspace.id, contactId: theirs.id, tag: "kept" });
    for (const [call, what] of [
      [() => request.get(`${target}/tags`, { headers }), "list tags"],
      [() => request.post(`${target}/tags`, { headers, data: { tags: ["intruder"] } }), "add a tag"],
      [() => request.delete(`${target}/tags/kept`, { headers }), "remove a tag"],
      [() => request.get(`${target}/subscriptions`, { headers }), "read subscriptions"],
      [() => request.put(`${target}/subscriptions`, { headers, data: { topics: { offers: true } } }), "subscribe"],
      [() => request.get(`${target}/events`, { headers }), "list events"],
      [() => request.post("/api/v1/events", { headers, data: { contact_id: theirs.id, name: "Forged" } }), "record an event by id"],
      [() => request.post("/api/v1/events", { headers, data: { email: theirs.email, name: "Forged" } }), "record an event by address"],
    ] as const) {
      expect((await call()).status(), what).toBe(404);
    }
    expect(await contactTagNames(db, { workspaceId: a.workspace.id, contactId: theirs.id })).toEqual(["kept"]);
    expect(await db.select().from(events).where(eq(events.contactId, theirs.id))).toHaveLength(0);
    expect(await db.select().from(consentEvents).where(and(eq(consentEvents.contactId, theirs.id), eq(consentEvents.topic, "offers")))).toHaveLength(0);
    expect(((await (await request.get("/api/v1/topics", { headers })).json()) as { data: unknown[] }).data).toEqual([]);

    // A's re-permission request: not readable; A's template: not usable for B's request.
    const [theirRequest] = await db.insert(repermissionRequests).values({ workspaceId: a.workspace.id, source: "api", contactIds: [theirs.id], wording: "A's wording" }).returning({ id: repermissionRequests.id });
    expect((await request.get(`/api/v1/contacts/repermission/${theirRequest!.id}`, { headers })).status()).toBe(404);
    const theirTemplate = await seedTemplate(db, a.workspace.id);
    const refused = await request.post("/api/v1/contacts/repermission", { headers, data: { contact_ids: [b.contacts[0]!.id], template_id: theirTemplate } });
    expect(refused.status()).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { field: "template_id", message: expect.stringMatching(/not found/) } });

    // A's broadcast: its results are not readable.
    const [theirBroadcast] = await db.insert(broadcasts).values({ workspaceId: a.workspace.id, name: "A's news", status: "sent" }).returning({ id: broadcasts.id });
    const results = await request.get(`/api/v1/broadcasts/${theirBroadcast!.id}/results`, { headers });
    expect(results.status()).toBe(404);
    expect(await results.json()).toMatchObject({ error: { code: "not_found" } });

    // A's flows: not listed, and not enrollable, even with B's own contact.
    const [flow] = await db.insert(flows).values({ workspaceId: a.workspace.id, name: "A's flow", draft: {}, status: "live" }).returning({ id: flows.id });
    expect(((await (await request.get("/api/v1/flows", { headers })).json()) as { data: { id: string }[] }).data.map((f) => f.id)).not.toContain(flow!.id);
    const enrol = await request.post(`/api/v1/flows/${flow!.id}/enrollments`, { headers, data: { contact_ids: [b.contacts[0]!.id] } });
    expect(enrol.status()).toBe(404);
  });

  test("the broadcast API answers 404 to another workspace's broadcast ids and changes nothing", async ({ db, request }) => {
    const a = await seedWorkspace(db);
    const b = await seedWorkspace(db);
    const theirs = await seedBroadcast(db, a.workspace.id, await seedTemplate(db, a.workspace.id));
    const { key } = await createApiKey(db, { workspaceId: b.workspace.id, name: "B", kind: "secret", createdBy: b.owner.id });
    const headers = { authorization: `Bearer ${key}` };
    const target = `/api/v1/broadcasts/${theirs}`;
    expect((await request.get(target, { headers })).status()).toBe(404);
    expect((await request.patch(target, { headers, data: { name: "Taken" } })).status()).toBe(404);
    expect((await request.delete(target, { headers })).status()).toBe(404);
    for (const move of ["schedule", "cancel", "pause", "resume"]) expect((await request.post(`${target}/${move}`, { headers, data: {} })).status(), move).toBe(404);
    const list = (await (await request.get("/api/v1/broadcasts", { headers })).json()) as { data: { id: string }[] };
    expect(list.data.map((x) => x.id)).not.toContain(theirs);
    const [row] = await db.select().from(broadcasts).where(eq(broadcasts.id, theirs));
    expect(row).toMatchObject({ name: "May news", status: "draft" });
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
