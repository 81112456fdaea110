import type { Db } from "../db/client";
import { attachPendingEvents } from "../db/queries/tracking";
import { BodyError, readCapped } from "../lib/forms/body";
import { BodyTooLargeError } from "../lib/http/body";
import { trackingApi, type TrackingAnswer, type TrackingRequest } from "./api";
import { groupCommitter } from "./commit";
import { drainOutboxes, type Senders } from "./outbox";

export type WebTrackingOptions = {
  db: Db;
  /** Where the API sits on the app's origin. */
  basePath: string;
  /** TRACKING_URL: the settings document's apiHost; default: the request's Host and basePath. */
  publicUrl?: string;
  /** Commits in flight at once (1 on the embedded database). */
  writers?: number;
  /** Hands committed events to Inngest; unset: another process forwards (an ingest, the sweep). */
  forward?: Omit<Senders, "stopped">;
  /**
   * Runs work after the answer has gone out (Next's `after`, which a serverless host keeps the
   * function alive for); the forwarding pass runs there, never before the answer.
   */
  defer: (work: () => Promise<void>) => void;
  log?: (line: string) => void;
};

/**
 * The tracking API (ingest/api.ts) on the Web Request/Response of a Next route, for deployments
 * where no ingest process runs (serverless): the same validation, limits, write-key cache and
 * grouped commit within this process, and after each answer that stored something a forwarding
 * pass over both outboxes, since no ingest forwarder runs beside it. A pass already running
 * takes the next one's work with it. Throughput is the app's, a fraction of the ingest's
 * (docs/deploy.md).
 */
export function webTracking(opts: WebTrackingOptions) {
  const log = opts.log ?? ((l: string) => console.log(l));
  const committer = groupCommitter({ db: opts.db, writers: opts.writers });
  const api = trackingApi({ db: opts.db, commit: committer.commit, publicUrl: opts.publicUrl, basePath: opts.basePath, log });
  const prefix = opts.basePath.replace(/\/$/, "");

  let running: Promise<void> | undefined;
  let again = false;
  let attach = false;
  async function pass(forward: NonNullable<WebTrackingOptions["forward"]>) {
    do {
      again = false;
      try {
        if (attach) {
          attach = false;
          await attachPendingEvents(opts.db);
        }
        await drainOutboxes(opts.db, forward);
      } catch (err) {
        // The rows stay claimed until the claim lapses; the next request's pass or the sweep sends them.
        log(`tracking: forwarding to Inngest failed, kept for the next pass: ${(err as Error).message}`);
        return;
      }
    } while (again);
  }
  function forwardSoon(links: boolean) {
    const forward = opts.forward;
    if (!forward) return;
    if (links) attach = true;
    if (running) {
      again = true;
      return;
    }
    opts.defer(() => (running = pass(forward).finally(() => (running = undefined))));
  }

  return {
    async handle(req: Request): Promise<Response> {
      const url = new URL(req.url);
      const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) || "/" : url.pathname;
      const call: TrackingRequest = {
        method: req.method,
        path,
        header: (name) => req.headers.get(name) ?? undefined,
        body: (limit) => readLimited(req, limit),
      };
      const answer = await api.handle(call);
      if (answer.wrote && answer.wrote.messages > 0) forwardSoon(answer.wrote.links);
      return toResponse(answer);
    },
    /** Resolves once nothing is being committed or forwarded (tests). */
    async settled(): Promise<void> {
      await committer.flushed();
      while (running) await running;
    },
  };
}

function toResponse(answer: TrackingAnswer): Response {
  const body = answer.status === 204 ? null : typeof answer.body === "string" ? answer.body : new Uint8Array(answer.body);
  return new Response(body, { status: answer.status, headers: answer.headers });
}

/** The body, at most `limit` bytes (read as the app's other public routes read theirs), with the ingest's error past it. */
async function readLimited(req: Request, limit: number): Promise<Buffer> {
  try {
    const bytes = await readCapped(req, limit);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (err) {
    if (err instanceof BodyError && err.status === 413) throw new BodyTooLargeError(limit);
    throw err;
  }
}
