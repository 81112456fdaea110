import "server-only";
import { z } from "zod";
import { getDb, type Db } from "@/db/client";
import { recordAudit } from "@/db/queries/audit";
import { authenticateApiKey } from "@/db/queries/api-keys";
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE, unavailableReason } from "@/db/unavailable";
import { API_ERROR_STATUS, type ApiErrorCode } from "@/lib/api/errors";
import { now } from "@/lib/clock";
import { depthMessage, tooDeepField } from "@/lib/json-depth";
import { UNSTORABLE_MESSAGE, unstorablePath } from "@/lib/storable";

/**
 * The REST API's one wrapper: a secret key (Authorization: Bearer tk_sec_…) names the workspace —
 * never the request body — and every answer is JSON. Errors carry a code (lib/api/errors, one
 * status each) and name the field; nothing is a 500 unless something really broke. A database
 * that cannot be reached is a 503 with Retry-After.
 */

/** An error the caller can fix or should know of, answered with its code's status. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** An error answer: `{"error":{"code":…,"message":…,"field":…}}` (field only when one is at fault). */
function errorResponse(code: ApiErrorCode, message: string, field?: string, headers?: HeadersInit): Response {
  return Response.json({ error: { code, message, ...(field ? { field } : {}) } }, { status: API_ERROR_STATUS[code], headers });
}

export type ApiContext = {
  db: Db;
  workspaceId: string;
  apiKeyId: string;
  audit: (action: string, targetType: string, targetId: string, data?: Record<string, unknown>) => Promise<void>;
};

const json = (status: number, body: unknown) => Response.json(body, { status });

export function apiRoute<P extends Record<string, string>>(
  fn: (req: Request, ctx: ApiContext, params: P) => Promise<Response>,
) {
  return async (req: Request, route: { params: Promise<P> }): Promise<Response> => {
    try {
      const auth = req.headers.get("authorization") ?? "";
      const key = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
      if (!key) throw new ApiError("unauthorized", "missing API key: send Authorization: Bearer <secret key>");
      const db = getDb();
      const found = await authenticateApiKey(db, { key, kind: "secret", now: now() });
      if (!found) throw new ApiError("unauthorized", "unknown or revoked secret key");
      const ctx: ApiContext = {
        db,
        workspaceId: found.workspaceId,
        apiKeyId: found.id,
        audit: (action, targetType, targetId, data) =>
          recordAudit(db, { workspaceId: found.workspaceId, actorApiKeyId: found.id, action, targetType, targetId, data }),
      };
      return await fn(req, ctx, await route.params);
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(err.code, err.message, err.field);
      const unavailable = unavailableReason(err);
      if (unavailable) {
        // Not the caller's fault and not a bug: say when to come back (the details go to the log).
        console.error(`api: ${req.method} ${new URL(req.url).pathname}: the database is unavailable (${unavailable})`);
        return errorResponse("unavailable", DATABASE_UNAVAILABLE_MESSAGE, undefined, { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) });
      }
      console.error("api:", err);
      return errorResponse("internal", "internal error");
    }
  };
}

/** Parses a JSON body with a schema, answering 400 naming the first bad field. */
export async function body<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    throw new ApiError("validation_failed", "body is not valid JSON");
  }
  // Before the schema walks it: a value nested thousands deep overflows the stack there.
  const deep = tooDeepField(raw);
  if (deep !== undefined) throw new ApiError("validation_failed", depthMessage(deep), deep);
  const unstorable = unstorablePath(raw);
  if (unstorable !== undefined) throw new ApiError("validation_failed", `${unstorable || "body"}: ${UNSTORABLE_MESSAGE}`, unstorable || "body");
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join(".");
    throw new ApiError("validation_failed", field ? `${field}: ${issue.message}` : issue.message, field || undefined);
  }
  return r.data;
}

export function uuidParam(value: string, what: string): string {
  if (!z.uuid().safeParse(value).success) throw new ApiError("not_found", `${what} not found`);
  return value;
}

export { json };
