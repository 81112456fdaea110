import "server-only";
import type { Db } from "@/db/client";
import {
  batchKey,
  completeBatch,
  freezeBatch,
  messageSendState,
  releaseBatch,
  reservePaceSlot,
  splitBatch,
  takeBatch,
  type TakenBatch,
} from "@/db/queries/send-batches";
import type { Pace } from "@/lib/email/policy";
import { EmailSendError, outgoingEmailSchema, type OutgoingEmail, type SentEmail, type ValidEmail } from "@/lib/email/types";
import type { MailTransport } from "./send";

/**
 * Flow sends go to the provider in batches, at the workspace's pace (docs/sending.md).
 *
 * Messages handed over within a few milliseconds of each other in this process, for one workspace,
 * share one request to the provider's batch endpoint (up to 100). Each request first reserves the
 * workspace's next slot in Postgres — one every 1/requestsPerSecond seconds, across every process —
 * and waits for it here when it is near; when the reserved slots already reach further ahead than
 * a step should wait, the send answers `paced` and the run sleeps until then instead.
 *
 * Before its first call a batch is frozen in a row (members in order, the exact body), and the
 * provider's idempotency key is derived from that row: a retry after a lost answer or an outage
 * sends the same bytes under the same key, so the provider's request-wide key never meets another
 * body. Exactly-once stays with the per-message row (messages.idempotency_key): a message is in
 * at most one batch, and the batch that the provider took marks all its members sent at once.
 * A batch refused as a whole is split: its members go out alone, each under its own key.
 */

/** The least a request waits for more messages to share it (it also waits for its pace slot). */
const LINGER_MS = 15;
/** The provider's limit per batch request. */
export const BATCH_MAX = 100;
/** How far ahead a step waits in-process for its pace slot; past it the run sleeps instead. */
const MAX_SLOT_WAIT_MS = 5_000;

export type PacedSend = {
  workspaceId: string;
  messageId: string;
  /** The batch the message was frozen into by an earlier attempt, if any. */
  batchId: string | null;
  email: OutgoingEmail;
  /** The message's own idempotency key, used when it goes out alone. */
  messageKey: string;
  pace: Pace;
  at: Date;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function validate(email: OutgoingEmail): ValidEmail {
  const parsed = outgoingEmailSchema.safeParse(email);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EmailSendError(`Invalid email: ${issue.path.join(".") || "message"} — ${issue.message}`, "rejected");
  }
  // A batch travels under its own key; the message's key is for going out alone.
  const { idempotencyKey: _key, ...rest } = parsed.data;
  return rest;
}

/** Waits for the workspace's next request slot, or throws `paced` when it is too far off. */
async function awaitSlot(db: Db, workspaceId: string, pace: Pace): Promise<void> {
  // Some to spare: a request leaves at its slot but reaches the provider with some jitter.
  const slot = await reservePaceSlot(db, { workspaceId, intervalMs: Math.ceil(1150 / pace.requestsPerSecond), aheadMs: MAX_SLOT_WAIT_MS });
  if ("fullForMs" in slot) {
    throw new EmailSendError(
      `Waiting for the workspace's sending pace (${pace.requestsPerSecond} request${pace.requestsPerSecond === 1 ? "" : "s"}/s of up to ${BATCH_MAX} messages)`,
      "paced",
      slot.fullForMs,
    );
  }
  if (slot.waitMs > 0) await sleep(slot.waitMs);
}

/** One call to the provider with a frozen batch; marks its members, or splits or releases it. */
async function deliver(db: Db, transport: MailTransport, workspaceId: string, batch: TakenBatch, at: Date): Promise<Map<string, string> | "split"> {
  const emails = JSON.parse(batch.body) as ValidEmail[];
  try {
    const sent = await transport.sendBatch(emails, batchKey(batch.batchId));
    const providerIds = sent.map((s) => s.id);
    await completeBatch(db, { workspaceId, batchId: batch.batchId, members: batch.members, providerIds, subjects: emails.map((e) => e.subject), at });
    return new Map(batch.members.map((id, i) => [id, providerIds[i]!]));
  } catch (err) {
    if (err instanceof EmailSendError && err.code === "rejected") {
      await splitBatch(db, { workspaceId, batchId: batch.batchId, error: err.message });
      return "split";
    }
    await releaseBatch(db, { workspaceId, batchId: batch.batchId, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

// ---------------------------------------------------------------- gathering in this process

type Outcome = { id: string } | "alone" | "elsewhere";
type Waiting = { messageId: string; email: ValidEmail; resolve: (o: Outcome) => void; reject: (err: unknown) => void };
type Group = { db: Db; transport: MailTransport; workspaceId: string; pace: Pace; at: Date; items: Waiting[]; closed: boolean };

// One map per process, on globalThis: Next may load this module more than once (route bundles).
const GROUPS = Symbol.for("tillit.sendGroups");
const groups = (): Map<string, Group> => ((globalThis as { [GROUPS]?: Map<string, Group> })[GROUPS] ??= new Map<string, Group>());

function close(key: string, g: Group) {
  g.closed = true;
  if (groups().get(key) === g) groups().delete(key);
}

/**
 * One request: the group reserves the workspace's next slot, and messages handed over while it
 * waits for that slot join it (up to 100); at the slot it is frozen and sent.
 */
async function sendGroup(key: string, g: Group): Promise<void> {
  try {
    await Promise.all([sleep(LINGER_MS), awaitSlot(g.db, g.workspaceId, g.pace)]);
    close(key, g);
    const byId = new Map(g.items.map((w) => [w.messageId, w]));
    const batch = await freezeBatch(g.db, {
      workspaceId: g.workspaceId,
      messageIds: [...byId.keys()],
      body: (members) => JSON.stringify(members.map((id) => byId.get(id)!.email)),
    });
    const inBatch = new Set(batch?.members ?? []);
    // Already in a batch of an earlier attempt: each of those goes with its own.
    for (const w of g.items) if (!inBatch.has(w.messageId)) w.resolve("elsewhere");
    if (!batch) return;
    const result = await deliver(g.db, g.transport, g.workspaceId, batch, g.at);
    for (const id of batch.members) byId.get(id)!.resolve(result === "split" ? "alone" : { id: result.get(id)! });
  } catch (err) {
    close(key, g);
    // Members told "elsewhere" already have their answer; a promise settles once.
    for (const w of g.items) w.reject(err);
  }
}

function handOver(send: PacedSend, db: Db, transport: MailTransport, email: ValidEmail): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const key = `${send.workspaceId}:${transport.name}`;
    let g = groups().get(key);
    if (!g || g.closed) {
      const fresh: Group = { db, transport, workspaceId: send.workspaceId, pace: send.pace, at: send.at, items: [], closed: false };
      groups().set(key, fresh);
      void sendGroup(key, fresh);
      g = fresh;
    }
    g.items.push({ messageId: send.messageId, email, resolve, reject });
    // Full: later messages start the next group (and reserve the next slot).
    if (g.items.length >= BATCH_MAX) close(key, g);
  });
}

// ---------------------------------------------------------------- one message

/** A message in a frozen batch (an earlier attempt's): sends that batch again, or learns its fate. */
async function resume(db: Db, transport: MailTransport, send: PacedSend, batchId: string): Promise<{ id: string } | "alone"> {
  const got = await takeBatch(db, { workspaceId: send.workspaceId, batchId });
  if ("status" in got) {
    if (got.status === "split") return "alone";
    const state = await messageSendState(db, { workspaceId: send.workspaceId, messageId: send.messageId });
    if (!state?.providerMessageId) throw new Error(`message ${send.messageId}: its batch ${batchId} was sent but the message has no provider id`);
    return { id: state.providerMessageId };
  }
  if ("heldForMs" in got) throw new EmailSendError("Another attempt is handing this message's batch to the provider", "paced", got.heldForMs);
  try {
    await awaitSlot(db, send.workspaceId, send.pace);
  } catch (err) {
    await releaseBatch(db, { workspaceId: send.workspaceId, batchId, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  const result = await deliver(db, transport, send.workspaceId, got.taken, send.at);
  return result === "split" ? "alone" : { id: result.get(send.messageId)! };
}

/**
 * Hands one flow message to the provider in the workspace's next batch, at its pace. Throws
 * EmailSendError: `rejected` (this message, for good), `rate_limited` / `provider_error` (the
 * provider's trouble: try again later, the same batch goes again), `paced` (no slot soon enough:
 * try again after `retryAfterMs`).
 */
export async function sendPaced(db: Db, transport: MailTransport, send: PacedSend): Promise<SentEmail> {
  const email = validate(send.email);
  let outcome: Outcome = send.batchId ? await resume(db, transport, send, send.batchId) : await handOver(send, db, transport, email);
  if (outcome === "elsewhere") {
    const state = await messageSendState(db, { workspaceId: send.workspaceId, messageId: send.messageId });
    if (state?.providerMessageId) return { id: state.providerMessageId, transport: transport.name };
    if (!state?.batchId) throw new Error(`message ${send.messageId} is in no batch, yet was not free to join one`);
    outcome = await resume(db, transport, send, state.batchId);
  }
  if (outcome === "alone") {
    await awaitSlot(db, send.workspaceId, send.pace);
    return transport.send({ ...email, idempotencyKey: send.messageKey });
  }
  return { id: outcome.id, transport: transport.name };
}

// ---------------------------------------------------------------- a whole batch at once

export type BatchItem = {
  messageId: string;
  /** The batch an earlier attempt froze the message into, if any. */
  batchId: string | null;
  /**
   * The message; when it is in a frozen batch already that batch's bytes go instead, and this is
   * used only if that batch was split (null: the caller has none, which is then an error).
   */
  email: OutgoingEmail | null;
  /** The message's own idempotency key, used when it goes out alone. */
  messageKey: string;
};

/**
 * Per message: the provider's id (`alone` when it went out by itself after its batch was split, so
 * no batch marked it sent), or the provider's refusal of this message for good.
 */
export type BatchResult = Map<string, { id: string; alone?: true } | { rejected: string }>;

/**
 * Hands a batch its caller assembled (a broadcast's hundred) to the provider as ONE frozen request,
 * at the workspace's pace: the same freeze, slot and delivery as the flow sends' groups, without
 * waiting for company. Messages an earlier attempt froze go with that batch again (same bytes, same
 * key); a batch refused as a whole sends its members alone. Throws what sendPaced throws:
 * `paced` (no slot soon: try again after retryAfterMs), `rate_limited` / `provider_error`.
 */
export async function sendFrozenBatch(db: Db, transport: MailTransport, q: { workspaceId: string; pace: Pace; at: Date; items: BatchItem[] }): Promise<BatchResult> {
  const out: BatchResult = new Map();
  const byId = new Map<string, BatchItem & { valid: ValidEmail | null }>();
  for (const item of q.items) {
    if (!item.email) {
      byId.set(item.messageId, { ...item, valid: null });
      continue;
    }
    try {
      byId.set(item.messageId, { ...item, valid: validate(item.email) });
    } catch (err) {
      if (!(err instanceof EmailSendError) || err.code !== "rejected") throw err;
      out.set(item.messageId, { rejected: err.message });
    }
  }
  const alone: string[] = [];
  const record = (members: string[], result: Map<string, string> | "split") => {
    for (const id of members) {
      if (!byId.has(id)) continue;
      if (result === "split") alone.push(id);
      else out.set(id, { id: result.get(id)! });
    }
  };
  const earlier = new Set([...byId.values()].filter((i) => i.batchId).map((i) => i.batchId!));
  const fresh = [...byId.values()].filter((i) => !i.batchId && i.valid);
  if (fresh.length > 0) {
    await awaitSlot(db, q.workspaceId, q.pace);
    const batch = await freezeBatch(db, {
      workspaceId: q.workspaceId,
      messageIds: fresh.map((i) => i.messageId),
      body: (members) => JSON.stringify(members.map((id) => byId.get(id)!.valid)),
    });
    if (batch) record(batch.members, await deliver(db, transport, q.workspaceId, batch, q.at));
    // Taken by another attempt's batch meanwhile: that batch is theirs to send, or was sent.
    for (const i of fresh) {
      if (out.has(i.messageId) || alone.includes(i.messageId)) continue;
      const state = await messageSendState(db, { workspaceId: q.workspaceId, messageId: i.messageId });
      if (state?.providerMessageId) out.set(i.messageId, { id: state.providerMessageId });
      else if (state?.batchId) earlier.add(state.batchId);
    }
  }
  for (const batchId of earlier) {
    const got = await takeBatch(db, { workspaceId: q.workspaceId, batchId });
    if ("heldForMs" in got) throw new EmailSendError("Another attempt is handing this batch to the provider", "paced", got.heldForMs);
    if ("taken" in got) {
      try {
        await awaitSlot(db, q.workspaceId, q.pace);
      } catch (err) {
        await releaseBatch(db, { workspaceId: q.workspaceId, batchId, error: err instanceof Error ? err.message : String(err) });
        throw err;
      }
      record(got.taken.members, await deliver(db, transport, q.workspaceId, got.taken, q.at));
      continue;
    }
    for (const item of byId.values()) {
      if (out.has(item.messageId)) continue;
      const state = await messageSendState(db, { workspaceId: q.workspaceId, messageId: item.messageId });
      if (state?.batchId !== batchId) continue;
      if (got.status === "split") alone.push(item.messageId);
      else if (state.providerMessageId) out.set(item.messageId, { id: state.providerMessageId });
    }
  }
  for (const id of alone) {
    const item = byId.get(id)!;
    const email = item.valid;
    if (!email) throw new Error(`message ${id}: its batch was split and this attempt has no body for it`);
    await awaitSlot(db, q.workspaceId, q.pace);
    try {
      const sent = await transport.send({ ...email, idempotencyKey: item.messageKey });
      out.set(id, { id: sent.id, alone: true });
    } catch (err) {
      if (!(err instanceof EmailSendError) || err.code !== "rejected") throw err;
      out.set(id, { rejected: err.message });
    }
  }
  return out;
}
