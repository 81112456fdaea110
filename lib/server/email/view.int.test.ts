import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { broadcasts, contacts, emailEvents, messages, templates, templateVersions, workspaces } from "@/db/schema/index";
import { signViewToken } from "@/lib/email/view-link";
import { closeRenderPool } from "./render-pool";
import { viewMessage } from "./view";

/**
 * The "view in browser" page's server side: the real render pool, a real database. What the
 * contact received comes back from the pinned version (not the template as edited since), with
 * no tracking; every token that is not ours for that workspace's message answers null (404).
 */

let t: TestDatabase;
let a: SeededWorkspace;
let b: SeededWorkspace;
const secrets: Record<string, string> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await freshDatabase();
  const db = t.db;
  a = await seedWorkspace(db, { contacts: 2 });
  b = await seedWorkspace(db, { contacts: 1 });
  for (const w of [a, b]) {
    const [r] = await db.select({ secret: workspaces.secret }).from(workspaces).where(eq(workspaces.id, w.workspace.id));
    secrets[w.workspace.id] = r!.secret;
  }
  const ws = a.workspace.id;
  await db.update(contacts).set({ attributes: { plan: "gold" } }).where(eq(contacts.id, a.contacts[0]!.id));
  const [tpl] = await db
    .insert(templates)
    .values({ workspaceId: ws, name: "Spring", subject: "Edited later", body: { markup: "Edited wording" } })
    .returning({ id: templates.id });
  const [v] = await db
    .insert(templateVersions)
    .values({
      workspaceId: ws,
      templateId: tpl!.id,
      number: 1,
      hash: "h1",
      name: "Spring",
      class: "marketing",
      subject: "Template subject",
      preheader: "",
      body: { markup: "Hello {{ contact.first_name }}, your {{ contact.plan }} offer. [Shop](https://shop.example/spring) [Again]({{ view_url }})" },
    })
    .returning({ id: templateVersions.id });
  const [bc] = await db
    .insert(broadcasts)
    .values({ workspaceId: ws, name: "Spring", status: "sent", templateId: tpl!.id, templateVersionId: v!.id, subject: "Spring sale, {{ contact.first_name }}" })
    .returning({ id: broadcasts.id });
  const msg = async (contactId: string, workspaceId = ws) => {
    const [m] = await db
      .insert(messages)
      .values({
        workspaceId,
        contactId,
        broadcastId: workspaceId === ws ? bc!.id : null,
        templateId: workspaceId === ws ? tpl!.id : null,
        templateVersionId: workspaceId === ws ? v!.id : null,
        class: "marketing",
        toEmail: "someone@example.com",
        subject: "Spring sale, Ada",
        unsubscribeToken: `tok-${contactId}`,
        sentAt: new Date(),
        status: "sent",
      })
      .returning({ id: messages.id });
    return m!.id;
  };
  ids.m1 = await msg(a.contacts[0]!.id);
  ids.erased = await msg(a.contacts[1]!.id);
  ids.foreign = await msg(b.contacts[0]!.id, b.workspace.id);
  await db.update(contacts).set({ status: "erased", email: "erased@invalid", firstName: null }).where(eq(contacts.id, a.contacts[1]!.id));
});

afterAll(async () => {
  await closeRenderPool();
  await t?.destroy();
});

const token = (workspaceId: string, messageId: string, secret = secrets[workspaceId]!) => signViewToken(secret, { workspaceId, messageId });

describe("view in browser", () => {
  it("shows what the contact received, from the pinned version, with no tracking and no events recorded", async () => {
    const tok = token(a.workspace.id, ids.m1!);
    const v = await viewMessage(t.db, tok);
    expect(v).toMatchObject({ kind: "ok", subject: "Spring sale, Ada" });
    if (v?.kind !== "ok") throw new Error("not rendered");
    expect(v.html).toContain("Hello Ada, your gold offer.");
    expect(v.html).not.toContain("Edited wording");
    expect(v.html).toContain('href="https://shop.example/spring"');
    expect(v.html).toContain(`/v/${tok}`);
    expect(v.html).not.toMatch(/\/o\/|\/r\//);
    expect(await t.db.select().from(emailEvents).where(eq(emailEvents.messageId, ids.m1!))).toEqual([]);
  });

  it("shows nothing personal for an erased contact", async () => {
    const v = await viewMessage(t.db, token(a.workspace.id, ids.erased!));
    expect(v).toEqual({ kind: "gone", workspaceName: a.workspace.name });
  });

  it("answers null for garbage, forged signatures and another workspace's message", async () => {
    const good = token(a.workspace.id, ids.m1!);
    const [body, sig] = good.split(".");
    const garbage = ["", "x", ".", "a.b", "a.b.c", `${body}`, `${body}.`, `${body}.${sig}.x`, `${body}.${"A".repeat(22)}`, "%00", "x".repeat(5000), `${Buffer.from("{}").toString("base64url")}.${sig}`];
    for (const g of garbage) expect(await viewMessage(t.db, g), g.slice(0, 40)).toBeNull();
    // Signed with another secret (b's) for a's message; and b's valid token naming a's message id.
    expect(await viewMessage(t.db, token(a.workspace.id, ids.m1!, secrets[b.workspace.id]))).toBeNull();
    expect(await viewMessage(t.db, token(b.workspace.id, ids.m1!))).toBeNull();
    // A valid token for a message id that does not exist, and for a workspace that does not.
    expect(await viewMessage(t.db, token(a.workspace.id, "00000000-0000-4000-8000-000000000000"))).toBeNull();
    expect(await viewMessage(t.db, signViewToken("nope", { workspaceId: "00000000-0000-4000-8000-000000000001", messageId: ids.m1! }))).toBeNull();
  });

  it("stands a flood of mixed requests without an error", async () => {
    const good = token(a.workspace.id, ids.m1!);
    // Forged in the signature's first character (its last one carries padding bits).
    const [body, sig] = good.split(".");
    const forged = `${body}.${sig![0] === "A" ? "B" : "A"}${sig!.slice(1)}`;
    const tokens = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? good : i % 3 === 1 ? forged : `garbage-${i}`));
    const out = await Promise.all(tokens.map((x) => viewMessage(t.db, x)));
    expect(out.filter((o) => o?.kind === "ok")).toHaveLength(100);
    expect(out.filter((o) => o === null)).toHaveLength(200);
  });
});
