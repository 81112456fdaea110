"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { waitingByNode } from "@/db/queries/flow-stats";
import { NotifyMemberError, publishCompiled, restoreVersionToDraft } from "@/db/queries/flow-versions";
import { createStarterFlow, getFlowDraft, getFlowForEditor, saveDraft, setFlowPaused, setFlowProviderWait } from "@/db/queries/flows";
import { TemplatePinError } from "@/db/queries/template-versions";
import { emit } from "@/inngest/emit";
import { flowMigrationRequested } from "@/inngest/events";
import { ActionError, formFields, workspaceAction } from "@/lib/server/auth/action";
import { fileTagProblem } from "@/lib/email/liquid";
import { compile } from "@/lib/flows/compile";
import { checkMigration, migrationMapSchema, movingEntries } from "@/lib/flows/editor/migration";
import { flowGraphSchema } from "@/lib/flows/graph";
import { canonicalJson } from "@/lib/flows/plan";
import { isStarterKey, starterKeys } from "@/lib/flows/starters";

const flowId = z.uuid("flow not found");
/** A new flow, from a starter or an empty canvas; opens the editor. */
export const createFlowAction = workspaceAction(
  "flows.edit",
  z.object({
    name: z.string().trim().min(1, "name is required").max(200, "name is at most 200 characters"),
    starter: z.enum(starterKeys as [string, ...string[]], "pick a starter").default("blank"),
  }),
  async ({ db, member, input, audit }) => {
    const key = isStarterKey(input.starter) ? input.starter : "blank";
    // Each send node gets the template made for its step: the workspace's own of that name, or a new draft.
    const flow = await createStarterFlow(db, { workspaceId: member.workspace.id, name: input.name, starter: key, createdBy: member.user.id });
    await audit({ action: "flow.created", targetType: "flow", targetId: flow.id, data: { name: input.name, starter: key } });
    redirect(`/w/${member.workspace.slug}/flows/${flow.id}`);
  },
);

/** Autosave: refused with a conflict when someone else saved since `revision`. */
export const saveDraftAction = workspaceAction(
  "flows.edit",
  formFields(
    z.object({
      flowId,
      revision: z.number().int().min(0),
      graph: flowGraphSchema,
      /** "Keep mine": overwrite what someone else saved. */
      force: z.boolean().default(false),
    }),
    { revision: "number", graph: { json: "graph" }, force: "boolean" },
  ),
  async ({ db, member, input }) => {
    const workspaceId = member.workspace.id;
    let result = await saveDraft(db, { workspaceId, flowId: input.flowId, draft: input.graph, baseRevision: input.revision });
    if (!result) throw new ActionError("flow not found");
    if (!result.ok && input.force) {
      // "Keep mine": overwrite on purpose, still through the revision check.
      result = await saveDraft(db, { workspaceId, flowId: input.flowId, draft: input.graph, baseRevision: result.revision });
      if (!result) throw new ActionError("flow not found");
    }
    if (!result.ok) {
      return { ok: false, message: "Someone else saved this flow since you opened it: reload to see their changes, or keep yours.", data: { conflict: true, revision: result.revision } };
    }
    return { ok: true, message: "Saved", data: { conflict: false, revision: result.revision } };
  },
);

/**
 * Publishes the draft as a new immutable version, if it compiles. From the editor it names the
 * draft revision it shows (so what is published is what was seen), a note, and the migration
 * map for contacts waiting in the running version.
 */
export const publishFlowAction = workspaceAction(
  "flows.publish",
  formFields(
    z.object({
      flowId,
      revision: z.number().int().min(0).optional(),
      note: z.string().trim().max(500, "the note is at most 500 characters").optional(),
      migration: migrationMapSchema.optional(),
    }),
    { revision: "number", migration: { json: "migration" } },
  ),
  async ({ db, member, input, audit }) => {
    const workspaceId = member.workspace.id;
    const flow = await getFlowForEditor(db, { workspaceId, flowId: input.flowId });
    if (!flow) throw new ActionError("flow not found");
    if (input.revision !== undefined && input.revision !== flow.draftRevision) {
      throw new ActionError("The draft changed since you opened the publish dialog: save or reload, then publish again.");
    }
    const compiled = compile(flow.draft);
    if (!compiled.ok) {
      const shown = compiled.errors.slice(0, 3).map((e) => (e.nodeId ? `${e.nodeId}: ${e.message}` : e.message));
      throw new ActionError(`The draft cannot be published: ${shown.join("; ")}${compiled.errors.length > 3 ? ` (and ${compiled.errors.length - 3} more)` : ""}`);
    }
    // A webhook body that names a file is refused here too (the runner refuses it again at send time).
    for (const node of Object.values(compiled.plan.nodes)) {
      const problem = node.kind === "webhook" && node.config.body !== null ? fileTagProblem(node.config.body) : null;
      if (problem) throw new ActionError(`The draft cannot be published: ${node.id}: body: ${problem}`);
    }
    const moving = movingEntries(input.migration ?? {});
    if (moving.length > 0) {
      const nodes = Object.values(compiled.plan.nodes).map((n) => ({ id: n.id, trigger: n.id === compiled.plan.trigger.nodeId }));
      const problems = checkMigration(input.migration ?? {}, nodes);
      if (problems.length > 0) throw new ActionError(problems.join(" "), "migration");
    }
    const previous = flow.currentVersionId;
    const waiting = previous ? await waitingByNode(db, { workspaceId, flowId: flow.id, flowVersionId: previous }) : [];
    // Pins the content of every template the plan sends, in the version's transaction.
    const version = await publishCompiled(db, {
      workspaceId,
      flowId: flow.id,
      plan: compiled.plan,
      canonicalPlan: canonicalJson(compiled.plan),
      graph: flow.draft,
      publishedBy: member.user.id,
      note: input.note || null,
    }).catch((err: unknown) => {
      if (err instanceof TemplatePinError || err instanceof NotifyMemberError) throw new ActionError(`The draft cannot be published: ${err.message}`);
      throw err;
    });
    const map = Object.fromEntries(moving.filter(([from]) => waiting.some((w) => w.nodeId === from)));
    let moved = "";
    if (previous && Object.keys(map).length > 0) {
      // Through the outbox: the move happens even if Inngest is briefly unreachable right now.
      await emit(db, [
        {
          id: `migrate:${version.id}`,
          name: flowMigrationRequested.name,
          data: { workspaceId, flowId: flow.id, fromVersionId: previous, toVersionId: version.id, map },
        },
      ]);
      moved = `; contacts waiting at ${Object.keys(map).join(", ")} move to the new version`;
    }
    await audit({
      action: "flow.published",
      targetType: "flow",
      targetId: flow.id,
      data: { version: version.number, name: flow.name, note: input.note ?? null, migration: map },
    });
    revalidatePath(`/w/${member.workspace.slug}/flows`);
    return { ok: true, message: `Published “${flow.name}” as version ${version.number}${moved}`, data: { version: version.number } };
  },
);

export const restoreVersionAction = workspaceAction(
  "flows.edit",
  z.object({ flowId, versionId: z.uuid("version not found") }),
  async ({ db, member, input, audit }) => {
    const restored = await restoreVersionToDraft(db, { workspaceId: member.workspace.id, flowId: input.flowId, versionId: input.versionId });
    if (!restored) throw new ActionError("version not found");
    await audit({ action: "flow.restored", targetType: "flow", targetId: input.flowId, data: { version: restored.number } });
    revalidatePath(`/w/${member.workspace.slug}/flows/${input.flowId}`);
    return { ok: true, message: `Version ${restored.number} is the draft now`, data: { revision: restored.revision } };
  },
);

export const pauseFlowAction = workspaceAction(
  "flows.publish",
  formFields(z.object({ flowId, paused: z.boolean() }), { paused: "boolean" }),
  async ({ db, member, input, audit }) => {
    const paused = input.paused;
    const status = await setFlowPaused(db, { workspaceId: member.workspace.id, flowId: input.flowId, paused });
    if (!status) {
      const flow = await getFlowDraft(db, { workspaceId: member.workspace.id, flowId: input.flowId });
      throw new ActionError(flow ? (paused ? "Only a live flow can be paused" : "Only a paused flow can be resumed") : "flow not found");
    }
    await audit({ action: paused ? "flow.paused" : "flow.resumed", targetType: "flow", targetId: input.flowId, data: {} });
    revalidatePath(`/w/${member.workspace.slug}/flows`);
    return { ok: true, message: paused ? "Paused: nobody new enters; contacts inside carry on" : "Resumed" };
  },
);

/**
 * How long the flow's runs wait out mail provider outages (Resend 429 or 5xx) at one send before
 * they fail and show in the failed list (docs/flows.md, "When a run fails").
 */
export const setProviderWaitAction = workspaceAction(
  "flows.edit",
  formFields(
    z.object({
      flowId,
      providerWaitHours: z
        .number("the provider wait is a number of hours")
        .int("the provider wait is a whole number of hours")
        .min(1, "the provider wait is at least 1 hour")
        .max(168, "the provider wait is at most 168 hours (7 days)"),
    }),
    { providerWaitHours: "number" },
  ),
  async ({ db, member, input, audit }) => {
    const saved = await setFlowProviderWait(db, { workspaceId: member.workspace.id, flowId: input.flowId, hours: input.providerWaitHours });
    if (!saved) throw new ActionError("flow not found");
    await audit({ action: "flow.provider_wait_set", targetType: "flow", targetId: input.flowId, data: { hours: input.providerWaitHours } });
    revalidatePath(`/w/${member.workspace.slug}/flows/${input.flowId}`);
    const h = input.providerWaitHours;
    return { ok: true, message: `Runs now wait out mail provider outages for up to ${h} ${h === 1 ? "hour" : "hours"}` };
  },
);
