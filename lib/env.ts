import { z } from "zod";

/**
 * The only reader of process.env. Everything the app, the dev supervisor and the
 * test runner can be configured with is declared here, with zero-setup defaults.
 */

const flag = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""])
  .optional()
  .transform((v) => v === "1" || v === "true" || v === "yes" || v === "on");

const port = (fallback: number) =>
  z.coerce
    .number({ error: "must be a port number" })
    .int("must be a port number")
    .min(1, "must be a port number between 1 and 65535")
    .max(65535, "must be a port number between 1 and 65535")
    .default(fallback);

/** A whole number of `unit` between `min` and `max`. */
const count = (unit: string, min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `must be a number of ${unit}` })
    .int(`must be a whole number of ${unit}`)
    .min(min, `must be between ${min} and ${max}`)
    .max(max, `must be between ${min} and ${max}`)
    .default(fallback);

const budgetMs = (fallback: number) =>
  z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(10, "must be between 10 and 600000 milliseconds")
    .max(600_000, "must be between 10 and 600000 milliseconds")
    .default(fallback);

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** `signkey-<env>-<hex>`: the form Inngest issues and the SDK accepts (it hex-decodes the part after the prefix). */
export const SIGNING_KEY = /^signkey-[a-z0-9]+-(?:[0-9a-f]{2})+$/i;

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

const postgresUrl = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()))
  .refine(
    (v) => {
      if (v === undefined) return true;
      try {
        const u = new URL(v);
        return (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.hostname !== "";
      } catch {
        return false;
      }
    },
    { message: "must be a postgres:// URL, e.g. postgres://user:password@127.0.0.1:5432/tillit" },
  );

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Real Postgres. Unset: the embedded PGlite served by the dev supervisor. */
  DATABASE_URL: postgresUrl,
  /** Where the embedded database keeps its files. */
  TILLIT_DATA_DIR: z.string().default(".data"),
  /** Port of the embedded database's Postgres wire-protocol server. */
  PGLITE_PORT: port(5433),
  /** Port of the Next server. */
  PORT: port(3000),
  /** Public URL of the app, used in links inside mail. */
  APP_URL: optionalString.pipe(httpUrl.optional()),
  /**
   * The supervisor (npm run dev / npm start) restarts a child that exits, with back-off, and
   * gives up (exiting non-zero with the reason) once one child exited this many times within
   * TILLIT_RESTART_WINDOW_SECONDS (docs/operations.md).
   */
  TILLIT_RESTART_LIMIT: count("exits", 1, 1000, 5),
  /** The first restart's delay in ms; each further exit within the window doubles it (at most 30 s). */
  TILLIT_RESTART_BACKOFF_MS: count("milliseconds", 0, 30_000, 500),
  TILLIT_RESTART_WINDOW_SECONDS: count("seconds", 1, 86_400, 60),
  /** Dev mailbox: store outgoing mail in Postgres and show it at /dev/mailbox. */
  TILLIT_DEV_MAILBOX: flag,
  RESEND_API_KEY: optionalString,
  RESEND_BASE_URL: optionalString.pipe(httpUrl.optional()),
  RESEND_WEBHOOK_SECRET: optionalString,
  /**
   * A mailbox that processes unsubscribe requests by mail. Set: marketing mail's List-Unsubscribe
   * offers `mailto:` this address (the message's unsubscribe token in the subject) after the https URL.
   */
  INBOUND_UNSUBSCRIBE_ADDRESS: optionalString.pipe(z.email({ error: "must be an email address, e.g. unsubscribe@mail.example.com" }).optional()),
  /** Sender of system mail (sign-in links, confirmations) when a workspace has no identity yet. */
  MAIL_FROM: z.string().default("Tillit <no-reply@tillit.localhost>"),
  /**
   * Which Inngest runs the app's functions: `bundled` (default), the local executor that
   * `npm run dev` / `npm start` start beside the app; `external`, Inngest Cloud or a self-hosted
   * Inngest at INNGEST_BASE_URL, with the keys it issued. Either way the SDK runs in cloud mode:
   * every call into /api/inngest is signed and verified.
   */
  TILLIT_INNGEST: z.enum(["bundled", "external"], { error: "must be bundled or external" }).default("bundled"),
  /**
   * The longest single sleep a flow run takes, in days: longer waits become a chain of sleeps of at
   * most this length ending at the wait's end. 7 fits Inngest Cloud's free plan; a paid plan or
   * self-hosted Inngest allows up to 365 (docs/flows.md#long-waits).
   */
  TILLIT_MAX_SLEEP_DAYS: count("days", 1, 365, 7),
  /**
   * The SDK's unsigned dev mode is never used (anything that can reach an unsigned serve handler
   * can run its functions); set only to say so explicitly.
   */
  INNGEST_DEV: z.enum(["0", "false", ""], { error: "must be unset: Tillit runs Inngest in cloud mode, with signed calls (use TILLIT_INNGEST and INNGEST_BASE_URL to point it elsewhere)" }).optional(),
  /** Inngest's API and event base: the bundled executor (set by the supervisor) or a self-hosted Inngest. */
  INNGEST_BASE_URL: optionalString.pipe(httpUrl.optional()),
  /**
   * With TILLIT_INNGEST=external: the origin your Inngest calls the app's /api/inngest at, when it
   * is not APP_URL (inside a compose network, http://app:3000; deploy/compose.yaml). Default APP_URL.
   */
  INNGEST_SERVE_ORIGIN: optionalString.pipe(httpUrl.optional()),
  /** Unset: the supervisor generates a pair once into TILLIT_DATA_DIR/inngest-keys.json. */
  INNGEST_EVENT_KEY: optionalString,
  INNGEST_SIGNING_KEY: optionalString.pipe(
    z.string().regex(SIGNING_KEY, "must look like signkey-<env>-<hex>, as Inngest issues it").optional(),
  ),
  /** Out-of-band syncs must be signed too; never switched on. */
  INNGEST_ENABLE_UNAUTHED_SYNC: z.enum(["0", "false", ""], { error: "must be 0: an unsigned sync could re-point Inngest at another URL" }).optional(),
  /** Local executor: run inspection (`/`, `/api/runs`) and clock control, for local debugging only. */
  INNGEST_LOCAL_INSPECT: flag,
  /**
   * Names one start of the stack: the supervisor makes a random one per start and passes it to every
   * child, and each health answer (`/api/health`, the ingest's and the executor's `/health`) echoes
   * it, so whoever polls can tell its own children from a stale process on the port (docs/operations.md).
   */
  TILLIT_INSTANCE_ID: optionalString.pipe(z.string().max(100, "must be at most 100 characters").optional()),
  /** Port of the tracking ingest process (the Segment-compatible API). */
  TRACKING_PORT: port(8300),
  /**
   * Address the ingest listens on: loopback by default (the supervisor's children share one
   * machine); `0.0.0.0` where it runs in a container of its own (deploy/compose.yaml).
   */
  TRACKING_HOST: z.string().trim().regex(/^[0-9a-fA-F:.]{2,45}$|^[a-z0-9.-]{1,253}$/i, "must be an address to listen on, e.g. 0.0.0.0 or 127.0.0.1").default("127.0.0.1"),
  /**
   * Where the app reaches the ingest from its own network, for the health check (`<url>/health`);
   * default http://127.0.0.1:TRACKING_PORT. Not the public URL (that is TRACKING_URL).
   */
  TRACKING_INGEST_URL: optionalString.pipe(httpUrl.optional()),
  /** The ingest forwards committed events to Inngest; off only for benchmarks of the write path. */
  TRACKING_FORWARD: z
    .enum(["1", "0", "true", "false"])
    .default("1")
    .transform((v) => v === "1" || v === "true"),
  /** How long the ingest's forwarder holds outbox rows it is sending (a crashed one's lapse after this). */
  TRACKING_FORWARD_CLAIM_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /** Concurrent group commits of the ingest (default 2 on Postgres, 1 on embedded PGlite). */
  TRACKING_WRITERS: z.coerce.number().int().min(1).max(16).optional(),
  /**
   * Public URL of the tracking API, for the browser snippet and analytics.js's settings document;
   * default: the ingest on TRACKING_PORT. `<APP_URL>/api/track` when the app serves tracking itself
   * (no ingest process, e.g. serverless: docs/deploy.md).
   */
  TRACKING_URL: optionalString.pipe(httpUrl.optional()),
  /** Port of the local Inngest-compatible executor. */
  INNGEST_LOCAL_PORT: port(8288),
  /** Serve URL the local executor syncs (in-band PUT); default: the app's /api/inngest on PORT. */
  INNGEST_LOCAL_APP_URL: optionalString.pipe(httpUrl.optional()),
  /** Local executor: run on a virtual clock that tests advance (POST /clock/advance). */
  INNGEST_LOCAL_VIRTUAL_CLOCK: flag,
  /** Local executor: how long a claimed call may run before another executor may take it over. */
  INNGEST_LOCAL_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  /**
   * Local executor: let the SDK run several steps per call and checkpoint them
   * (docs/inngest-protocol.md#checkpointing). On unless set to 0/false/no/off.
   */
  INNGEST_LOCAL_CHECKPOINTING: z
    .enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""])
    .optional()
    .transform((v) => !(v === "0" || v === "false" || v === "no" || v === "off")),
  /** Local executor: how many call requests it keeps in flight at once. */
  INNGEST_LOCAL_WORKERS: z.coerce.number().int().min(1).max(256).default(8),
  /**
   * A file holding the virtual clock's offset: the local executor writes it, lib/clock in every
   * process of the app reads it, so app code sees the executor's "now" in tests.
   */
  TILLIT_CLOCK_FILE: optionalString,
  /**
   * Worker threads that render user-written templates (previews, test sends, flow sends, webhook
   * bodies), off the request thread. Default: one per core but one (the request thread's), 1 to 4.
   */
  TILLIT_RENDER_WORKERS: z.coerce
    .number({ error: "must be a number of worker threads" })
    .int("must be a whole number of worker threads")
    .min(1, "must be between 1 and 64")
    .max(64, "must be between 1 and 64")
    .optional(),
  /** Wall-clock budget of one preview or test send (compile and every part together), in ms. */
  TILLIT_RENDER_PREVIEW_BUDGET_MS: budgetMs(2_000),
  /** Wall-clock budget of one message at send time (and of one webhook body), in ms. */
  TILLIT_RENDER_SEND_BUDGET_MS: budgetMs(2_000),
  AUTH_SECRET: optionalString,
  /** Public origin for sign-in links and redirects; Auth.js reads it itself. Set it with APP_URL. */
  AUTH_URL: optionalString.pipe(httpUrl.optional()),
  AUTH_GITHUB_ID: optionalString,
  AUTH_GITHUB_SECRET: optionalString,
  AUTH_GOOGLE_ID: optionalString,
  AUTH_GOOGLE_SECRET: optionalString,
  CHROMIUM_PATH: optionalString,
  CI: flag,
  /**
   * Tests only: the seed of the dry run's property test (inngest/functions/dry-run.int.test.ts),
   * to replay a failure it printed; unset, a new seed each run. Its number of cases likewise.
   */
  TILLIT_PROPERTY_SEED: z.coerce.number().int().min(0).max(2 ** 31 - 1).optional(),
  TILLIT_PROPERTY_CASES: z.coerce.number().int().min(1).max(10_000).default(200),
  /**
   * Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For the public endpoints
   * (signup forms) believe when telling one visitor from another for rate limits. Unset: trust
   * none, so a client cannot pick its own address by sending the header.
   */
  TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((v) => (v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""))
    .refine((list) => list.every((s) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(s)), "must be IP addresses or CIDR ranges separated by commas, e.g. 10.0.0.0/8,127.0.0.1"),
});

/** Every setting this module reads: nothing else in the environment configures Tillit. */
export const SETTINGS: readonly string[] = Object.keys(schema.shape);

/** Where the app serves the tracking API on its own origin (app/api/track/[...path]/route.ts). */
export const APP_TRACKING_PATH = "/api/track";

export type Env = z.infer<typeof schema> & {
  /** The URL every process connects to: DATABASE_URL, or the embedded server. */
  databaseUrl: string;
  /** True when the database is the embedded PGlite (no DATABASE_URL). */
  embeddedDatabase: boolean;
  appUrl: string;
};

export class EnvError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = "EnvError";
  }
}

type Source = Record<string, string | undefined>;

/** Pure: validates a source (process.env by default) and derives the values the app uses. */
export function parseEnv(source: Source): Env {
  const result = schema.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    const shown = source[variable];
    const value = shown === undefined ? "" : ` (got "${redact(variable, shown)}")`;
    throw new EnvError(variable, `${issue.message}${value}`);
  }
  const e = result.data;
  if (e.NODE_ENV === "production" && e.APP_URL && !secureAppUrl(e.APP_URL)) {
    // List-Unsubscribe must carry an https URI (RFC 8058) and tracking links must not leak over http.
    throw new EnvError("APP_URL", `must be an https URL in production (got "${e.APP_URL}"); http is allowed only for localhost`);
  }
  if (Boolean(e.INNGEST_EVENT_KEY) !== Boolean(e.INNGEST_SIGNING_KEY)) {
    const missing = e.INNGEST_EVENT_KEY ? "INNGEST_SIGNING_KEY" : "INNGEST_EVENT_KEY";
    throw new EnvError(missing, "must be set together with the other Inngest key (or leave both unset to use generated ones)");
  }
  if (e.TILLIT_INNGEST === "external" && !e.INNGEST_SIGNING_KEY)
    throw new EnvError("INNGEST_SIGNING_KEY", "and INNGEST_EVENT_KEY are required with TILLIT_INNGEST=external (the keys your Inngest issued)");
  const embeddedDatabase = e.DATABASE_URL === undefined;
  return {
    ...e,
    databaseUrl: e.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${e.PGLITE_PORT}/postgres`,
    embeddedDatabase,
    appUrl: (e.APP_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ""),
  };
}

/** https, or http on a loopback host (a production build run on this machine, e.g. the e2e tests). */
function secureAppUrl(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === "https:") return true;
  return ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
}

function redact(variable: string, value: string): string {
  if (/KEY|SECRET|PASSWORD/.test(variable)) return "…";
  try {
    const u = new URL(value);
    if (u.password) u.password = "redacted";
    return u.toString();
  } catch {
    return value.length > 80 ? `${value.slice(0, 80)}…` : value;
  }
}

let cached: Env | undefined;

/** The validated configuration of this process. Throws EnvError on a malformed value. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/**
 * For entry points (supervisor, server start-up): validate, and on a malformed value print
 * one line naming the variable and stop the process, rather than a stack trace.
 */
export function envOrExit(): Env {
  try {
    return env();
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(`tillit: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

/** The search path alone, for a child process started with an environment of its own (tests). */
export const systemPath = (): string | undefined => process.env.PATH;

/** The environment for a child process: this one's, with overrides (undefined removes a key). */
export function childEnv(overrides: Record<string, string | undefined>, from: Record<string, string | undefined> = process.env): NodeJS.ProcessEnv {
  // Next types NODE_ENV as always present; a copy of an environment has it when the original does.
  const out = { ...from } as NodeJS.ProcessEnv;
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/**
 * The environment for a long-running service of the stack (the app, the executor, the ingest):
 * `childEnv` less the `npm_*` variables npm sets for the script that started us. No service reads
 * them, and the Inngest SDK copies the whole environment on every request it serves and every
 * call it makes, so under `npm run dev` / `npm start` they were about half of what it copied
 * (docs/benchmarks.md, runner). Tools the test runner starts (npx, npm) keep them: npm reads its
 * own configuration from there.
 */
export function serviceEnv(overrides: Record<string, string | undefined>, from: Record<string, string | undefined> = process.env): NodeJS.ProcessEnv {
  const out = childEnv(overrides, from);
  for (const k of Object.keys(out)) if (k.startsWith("npm_") && !(k in overrides)) delete out[k];
  return out;
}


/**
 * For the Next server at start-up: settings production cannot run without, checked once so a
 * missing one is a single line at boot rather than a failed request later.
 */
export function assertServerReady(): void {
  const problem = serverConfigProblem(envOrExit());
  if (problem) {
    console.error(`tillit: Invalid configuration: ${problem}`);
    process.exit(1);
  }
}

/**
 * Pure: what a Next server with this configuration cannot run without, as one line naming the
 * setting (undefined: nothing missing). The deploy recipe's test holds its services to it.
 */
export function serverConfigProblem(e: Env): string | undefined {
  if (e.NODE_ENV === "production" && !e.AUTH_SECRET) return "AUTH_SECRET is required in production (a long random string, e.g. `openssl rand -base64 33`)";
  // Without keys the serve handler refuses every call, so flows would silently never run.
  if (!e.INNGEST_SIGNING_KEY)
    return `INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY are not set — start with \`npm start\` / \`npm run dev\` (they keep a generated pair in ${e.TILLIT_DATA_DIR}/inngest-keys.json) or set both`;
  return undefined;
}

/**
 * Whether the app serves tracking itself, with no ingest process: TRACKING_URL names the app's own
 * `/api/track` (serverless). Then nothing forwards besides the route's passes and the sweep, and
 * the health check has no ingest to ask.
 */
export function trackingServedByApp(e: Env): boolean {
  if (!e.TRACKING_URL) return false;
  const t = new URL(e.TRACKING_URL);
  return t.origin === new URL(e.appUrl).origin && t.pathname.replace(/\/$/, "") === APP_TRACKING_PATH;
}

/** Where the app reaches the ingest's /health (null: the app serves tracking, no ingest runs). */
export function ingestInternalUrl(e: Env): string | null {
  if (trackingServedByApp(e)) return null;
  return (e.TRACKING_INGEST_URL ?? `http://127.0.0.1:${e.TRACKING_PORT}`).replace(/\/$/, "");
}

/**
 * How the app reaches Inngest, in cloud mode either way (docs/security.md): its API and event base,
 * and the origin it serves /api/inngest on, pinned by configuration rather than taken from a
 * request's Host. The bundled executor calls the app on loopback; an external Inngest at APP_URL.
 */
export function inngestTarget(e: Env): { baseUrl: string | undefined; serveOrigin: string } {
  if (e.TILLIT_INNGEST === "external") return { baseUrl: e.INNGEST_BASE_URL, serveOrigin: (e.INNGEST_SERVE_ORIGIN ?? e.appUrl).replace(/\/$/, "") };
  return {
    baseUrl: e.INNGEST_BASE_URL ?? `http://127.0.0.1:${e.INNGEST_LOCAL_PORT}`,
    serveOrigin: `http://127.0.0.1:${e.PORT}`,
  };
}
