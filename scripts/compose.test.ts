import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { APP_TRACKING_PATH, ingestInternalUrl, inngestTarget, parseEnv, serverConfigProblem, SETTINGS, trackingServedByApp } from "../lib/env";

/**
 * deploy/compose.yaml, held to lib/env.ts: no container engine runs here, so this reads the file
 * as compose would (YAML merge keys, `${VAR}` interpolation from deploy/.env) and checks that
 * what each service is given is what Tillit reads, that nothing production requires is missing,
 * and that the services' keys, ports and URLs point at each other.
 */

const root = path.resolve(import.meta.dirname, "..");
const read = (f: string) => readFileSync(path.join(root, f), "utf8");

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
};

/** Compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR:?message}` (an unset required one throws with its message). */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string | undefined) => {
    const v = vars[name];
    if (v !== undefined && v !== "") return v;
    if (op === ":?") throw new Error(`required variable ${name}: ${arg}`);
    return op === ":-" ? (arg ?? "") : "";
  });
}

/** deploy/.env.example as compose's .env parser reads it (inline comments after a space dropped). */
function dotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!.replace(/\s+#.*$/, "").trim();
    if (/^".*"$/.test(v)) v = v.slice(1, -1);
    out[m[1]!] = v;
  }
  return out;
}

const example = dotenv(read("deploy/.env.example"));
// The example with its required secrets filled in, as an operator's deploy/.env would be.
const filled: Record<string, string> = {
  ...example,
  AUTH_SECRET: "a-long-random-secret-for-the-test",
  POSTGRES_PASSWORD: "pw-tillit",
  INNGEST_POSTGRES_PASSWORD: "pw-inngest",
  INNGEST_EVENT_KEY: "0123456789abcdef0123456789abcdef",
  INNGEST_SIGNING_KEY_HEX: "ab".repeat(32),
};

function load(vars: Record<string, string>): Record<string, Service> {
  const doc = parse(interpolate(read("deploy/compose.yaml"), vars), { merge: true }) as { services: Record<string, Service> };
  return doc.services;
}
const services = load(filled);
const envOf = (name: string): Record<string, string> => Object.fromEntries(Object.entries(services[name]!.environment ?? {}).map(([k, v]) => [k, String(v)]));
const tillitServices = ["app", "ingest", "migrate"] as const;
/** The port a service's own process listens on, from its command (`--port N`) or its settings. */
const flag = (cmd: string[] | undefined, name: string) => cmd?.[cmd.indexOf(name) + 1];

describe("deploy/compose.yaml", () => {
  it("has Postgres, the app, the ingest, a one-shot migrate, self-hosted Inngest with its Postgres, and Redis", () => {
    expect(Object.keys(services).sort()).toEqual(["app", "ingest", "inngest", "inngest-postgres", "migrate", "postgres", "redis"]);
    expect(services.inngest!.image).toMatch(/^inngest\/inngest(:|$)/);
    expect(services.inngest!.command!.slice(0, 2)).toEqual(["inngest", "start"]);
    expect(services.migrate!.restart).toBe("no");
  });

  it("gives Tillit's services only settings lib/env.ts reads", () => {
    for (const s of tillitServices) {
      const unknown = Object.keys(envOf(s)).filter((k) => !SETTINGS.includes(k));
      expect(unknown, `${s} is given settings Tillit does not read`).toEqual([]);
    }
  });

  it("gives each of them a configuration that parses, and the app everything a production server needs", () => {
    for (const s of tillitServices) {
      const e = parseEnv(envOf(s));
      expect(e.NODE_ENV, s).toBe("production");
      expect(e.embeddedDatabase, `${s} must use the postgres service, not the embedded database`).toBe(false);
    }
    const app = parseEnv(envOf("app"));
    expect(serverConfigProblem(app)).toBeUndefined();
    expect(app.TILLIT_INNGEST).toBe("external");
    expect(app.APP_URL).toBe(filled.APP_URL);
    expect(app.AUTH_URL).toBe(filled.APP_URL);
    // The ingest forwards through the same Inngest as the app.
    expect(parseEnv(envOf("ingest")).TILLIT_INNGEST).toBe("external");
  });

  it("stops with the variable's name when a required secret is missing", () => {
    for (const name of ["AUTH_SECRET", "POSTGRES_PASSWORD", "INNGEST_POSTGRES_PASSWORD", "INNGEST_EVENT_KEY", "INNGEST_SIGNING_KEY_HEX", "APP_URL", "TRACKING_URL"])
      expect(() => load({ ...filled, [name]: "" }), name).toThrow(new RegExp(`required variable ${name}`));
  });

  it("points every Tillit service at one database, the postgres service's", () => {
    const pg = services.postgres!.environment!;
    const urls = new Set(tillitServices.map((s) => envOf(s).DATABASE_URL));
    expect(urls.size).toBe(1);
    const u = new URL([...urls][0]!);
    expect([u.hostname, u.port, u.username, decodeURIComponent(u.password), u.pathname]).toEqual(["postgres", "5432", pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, `/${pg.POSTGRES_DB}`]);
  });

  it("gives Inngest the keys the app and the ingest use", () => {
    const inn = services.inngest!.environment!;
    for (const s of ["app", "ingest"]) {
      expect(envOf(s).INNGEST_EVENT_KEY, s).toBe(inn.INNGEST_EVENT_KEY);
      // Inngest takes the signing key as plain hex; the SDK in its signkey-<env>-<hex> form.
      expect(envOf(s).INNGEST_SIGNING_KEY, s).toBe(`signkey-prod-${String(inn.INNGEST_SIGNING_KEY)}`);
    }
    expect(String(inn.INNGEST_SIGNING_KEY)).toMatch(/^(?:[0-9a-f]{2})+$/);
  });

  it("lines up ports and URLs: the app reaches Inngest, Inngest reaches the app's /api/inngest, TRACKING_URL is the ingest", () => {
    const app = parseEnv(envOf("app"));
    const ingest = parseEnv(envOf("ingest"));
    const inn = services.inngest!.environment!;
    // The app listens on every interface of its container, on PORT.
    expect(flag(services.app!.command, "--hostname")).toBe("0.0.0.0");
    expect(flag(services.app!.command, "--port")).toBe(String(app.PORT));
    // Inngest's API on 8288 (inngest start's default; no --port given).
    expect(services.inngest!.command).not.toContain("--port");
    for (const e of [app, ingest]) expect(new URL(inngestTarget(e).baseUrl!)).toMatchObject({ hostname: "inngest", port: "8288" });
    // Inngest syncs and calls the app at the very URL the app's serve handler announces.
    const serveUrl = `${inngestTarget(app).serveOrigin}/api/inngest`;
    expect(inn.INNGEST_SDK_URL).toBe(serveUrl);
    expect(new URL(serveUrl)).toMatchObject({ hostname: "app", port: String(app.PORT) });
    expect(services.inngest!.depends_on!.app).toEqual({ condition: "service_healthy" });
    // Inngest's own stores.
    const ipg = services["inngest-postgres"]!.environment!;
    const iu = new URL(String(inn.INNGEST_POSTGRES_URI));
    expect([iu.hostname, iu.username, decodeURIComponent(iu.password), iu.pathname]).toEqual(["inngest-postgres", ipg.POSTGRES_USER, ipg.POSTGRES_PASSWORD, `/${ipg.POSTGRES_DB}`]);
    expect(new URL(String(inn.INNGEST_REDIS_URI)).hostname).toBe("redis");
    // The ingest listens for other containers; the app's health check asks it there.
    expect(ingest.TRACKING_HOST).toBe("0.0.0.0");
    expect(ingestInternalUrl(app)).toBe(`http://ingest:${ingest.TRACKING_PORT}`);
    expect(services.ingest!.ports).toContain(`${ingest.TRACKING_PORT}:${ingest.TRACKING_PORT}`);
    // Browsers are sent to the ingest (the app and the ingest agree on its public URL), not the app's route.
    expect(app.TRACKING_URL).toBe(filled.TRACKING_URL);
    expect(ingest.TRACKING_URL).toBe(app.TRACKING_URL);
    expect(trackingServedByApp(app)).toBe(false);
    expect(new URL(app.TRACKING_URL!).pathname).not.toBe(APP_TRACKING_PATH);
  });

  it("starts in order: migrations once the database is healthy, then the app and the ingest, each with a health check", () => {
    expect(services.migrate!.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    for (const s of ["app", "ingest"]) expect(services[s]!.depends_on!.migrate, s).toEqual({ condition: "service_completed_successfully" });
    expect(services.inngest!.depends_on).toMatchObject({ "inngest-postgres": { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
    for (const [name, s] of Object.entries(services)) if (name !== "migrate") expect(s.healthcheck?.test, `${name} has no health check`).toBeDefined();
    expect(services.app!.healthcheck!.test.join(" ")).toContain(`127.0.0.1:${parseEnv(envOf("app")).PORT}/api/health`);
    expect(services.ingest!.healthcheck!.test.join(" ")).toContain(`127.0.0.1:${parseEnv(envOf("ingest")).TRACKING_PORT}/health`);
  });

  it("keeps Inngest's unauthenticated dashboard off the network: loopback of the host only", () => {
    expect(services.inngest!.ports).toEqual(["127.0.0.1:8288:8288"]);
  });

  it("runs the ingest bundle ingest/launch.ts builds, with its arguments", () => {
    expect(services.ingest!.command).toEqual(["node", "--enable-source-maps", "--max-semi-space-size=32", "node_modules/.cache/tillit/ingest.mjs"]);
    expect(read("ingest/launch.ts")).toContain('"--max-semi-space-size=32"');
    expect(read("deploy/Dockerfile")).toContain("/node_modules/.cache/tillit/ingest.mjs");
  });
});
