import { describe, expect, it } from "vitest";
import { childEnv, EnvError, ingestInternalUrl, inngestTarget, parseEnv, serverConfigProblem, serviceEnv, SETTINGS, trackingServedByApp } from "./env";

describe("parseEnv", () => {
  describe("Inngest keys", () => {
    const signingKey = `signkey-prod-${"ab".repeat(32)}`;
    it("takes both keys or neither", () => {
      expect(() => parseEnv({ INNGEST_EVENT_KEY: "evkey-1234567890abcdef" })).toThrow(/INNGEST_SIGNING_KEY must be set together with the other Inngest key/);
      expect(() => parseEnv({ INNGEST_SIGNING_KEY: signingKey })).toThrow(/INNGEST_EVENT_KEY must be set together/);
      expect(parseEnv({ INNGEST_EVENT_KEY: "evkey-1234567890abcdef", INNGEST_SIGNING_KEY: signingKey }).INNGEST_SIGNING_KEY).toBe(signingKey);
    });
    it("needs the keys of an external Inngest", () => {
      expect(() => parseEnv({ TILLIT_INNGEST: "external" })).toThrow(/INNGEST_SIGNING_KEY and INNGEST_EVENT_KEY are required with TILLIT_INNGEST=external/);
    });
  });

  it("needs nothing to start: embedded database, dev port, local app URL", () => {
    const e = parseEnv({});
    expect(e.embeddedDatabase).toBe(true);
    expect(e.databaseUrl).toBe("postgres://postgres:postgres@127.0.0.1:5433/postgres");
    expect(e.PORT).toBe(3000);
    expect(e.appUrl).toBe("http://localhost:3000");
    expect(e.TILLIT_DEV_MAILBOX).toBe(false);
    expect(e.INNGEST_LOCAL_PORT).toBe(8288);
    expect(e.TILLIT_RENDER_WORKERS).toBeUndefined();
    expect(e.TILLIT_RENDER_PREVIEW_BUDGET_MS).toBe(2_000);
    expect(e.TILLIT_RENDER_SEND_BUDGET_MS).toBe(2_000);
  });

  it("uses DATABASE_URL when set", () => {
    const e = parseEnv({ DATABASE_URL: "postgresql://u:p@db.internal:6543/tillit" });
    expect(e.embeddedDatabase).toBe(false);
    expect(e.databaseUrl).toBe("postgresql://u:p@db.internal:6543/tillit");
  });

  it("follows PGLITE_PORT for the embedded server", () => {
    expect(parseEnv({ PGLITE_PORT: "6000" }).databaseUrl).toContain("127.0.0.1:6000");
  });

  it("treats an empty DATABASE_URL as unset", () => {
    expect(parseEnv({ DATABASE_URL: "  " }).embeddedDatabase).toBe(true);
  });

  it.each([
    ["DATABASE_URL", "not a url", /DATABASE_URL must be a postgres:\/\/ URL/],
    ["DATABASE_URL", "mysql://root@localhost/db", /DATABASE_URL must be a postgres:\/\/ URL/],
    ["PORT", "http", /PORT must be a port number/],
    ["PGLITE_PORT", "70000", /PGLITE_PORT must be a port number between 1 and 65535/],
    ["APP_URL", "ftp://example.com", /APP_URL must be an http\(s\) URL/],
    ["TILLIT_DEV_MAILBOX", "maybe", /TILLIT_DEV_MAILBOX/],
    ["INBOUND_UNSUBSCRIBE_ADDRESS", "unsubscribe at example.com", /INBOUND_UNSUBSCRIBE_ADDRESS must be an email address/],
    ["INBOUND_UNSUBSCRIBE_ADDRESS", "u@example.com?subject=x", /INBOUND_UNSUBSCRIBE_ADDRESS must be an email address/],
    ["INNGEST_DEV", "1", /INNGEST_DEV must be unset: Tillit runs Inngest in cloud mode/],
    ["INNGEST_DEV", "http://127.0.0.1:8288", /INNGEST_DEV must be unset/],
    ["INNGEST_ENABLE_UNAUTHED_SYNC", "1", /INNGEST_ENABLE_UNAUTHED_SYNC must be 0/],
    ["INNGEST_SIGNING_KEY", "hunter2", /INNGEST_SIGNING_KEY must look like signkey-<env>-<hex>/],
    ["TILLIT_INNGEST", "cloud", /TILLIT_INNGEST must be bundled or external/],
    ["TILLIT_RENDER_WORKERS", "0", /TILLIT_RENDER_WORKERS must be between 1 and 64/],
    ["TILLIT_RENDER_WORKERS", "two", /TILLIT_RENDER_WORKERS must be a number of worker threads/],
    ["TILLIT_RENDER_PREVIEW_BUDGET_MS", "1.5", /TILLIT_RENDER_PREVIEW_BUDGET_MS must be a whole number of milliseconds/],
    ["TILLIT_RENDER_SEND_BUDGET_MS", "5", /TILLIT_RENDER_SEND_BUDGET_MS must be between 10 and 600000 milliseconds/],
  ])("refuses a malformed %s with one line naming it", (variable, value, message) => {
    let caught: unknown;
    try {
      parseEnv({ [variable]: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EnvError);
    const err = caught as EnvError;
    expect(err.variable).toBe(variable);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain("\n");
  });

  it("never repeats a password or secret in the error", () => {
    expect(() => parseEnv({ DATABASE_URL: "mysql://root:hunter2@localhost/db" })).toThrow(/root:redacted@/);
    try {
      parseEnv({ DATABASE_URL: "mysql://root:hunter2@localhost/db" });
    } catch (err) {
      expect((err as Error).message).not.toContain("hunter2");
    }
  });

  it("strips a trailing slash from APP_URL and reads the dev mailbox flag", () => {
    const e = parseEnv({ APP_URL: "https://mail.example.com/", TILLIT_DEV_MAILBOX: "1" });
    expect(e.appUrl).toBe("https://mail.example.com");
    expect(e.TILLIT_DEV_MAILBOX).toBe(true);
  });

  it("reads TRUSTED_PROXIES as a list and refuses anything that is not an address or range", () => {
    expect(parseEnv({}).TRUSTED_PROXIES).toEqual([]);
    expect(parseEnv({ TRUSTED_PROXIES: " 10.0.0.0/8, 127.0.0.1 ,::1" }).TRUSTED_PROXIES).toEqual(["10.0.0.0/8", "127.0.0.1", "::1"]);
    expect(() => parseEnv({ TRUSTED_PROXIES: "proxy.internal" })).toThrow(/TRUSTED_PROXIES must be IP addresses or CIDR ranges/);
  });

  it("reads the stack's instance id, up to 100 characters, blank as unset", () => {
    expect(parseEnv({}).TILLIT_INSTANCE_ID).toBeUndefined();
    expect(parseEnv({ TILLIT_INSTANCE_ID: "  " }).TILLIT_INSTANCE_ID).toBeUndefined();
    expect(parseEnv({ TILLIT_INSTANCE_ID: "k3v9x0" }).TILLIT_INSTANCE_ID).toBe("k3v9x0");
    expect(parseEnv({ TILLIT_INSTANCE_ID: "x".repeat(100) }).TILLIT_INSTANCE_ID).toHaveLength(100);
    expect(() => parseEnv({ TILLIT_INSTANCE_ID: "x".repeat(101) })).toThrow(/TILLIT_INSTANCE_ID must be at most 100 characters/);
  });
});

describe("APP_URL in production", () => {
  it("refuses an http APP_URL, naming the variable", () => {
    expect(() => parseEnv({ NODE_ENV: "production", APP_URL: "http://mail.acme.example" })).toThrow(/APP_URL must be an https URL in production/);
    expect(parseEnv({ NODE_ENV: "production", APP_URL: "https://mail.acme.example/" }).appUrl).toBe("https://mail.acme.example");
    expect(parseEnv({ NODE_ENV: "development", APP_URL: "http://mail.acme.example" }).appUrl).toBe("http://mail.acme.example");
    // A production build run on this machine (tests, `npm start` locally) may use http on loopback.
    expect(parseEnv({ NODE_ENV: "production", APP_URL: "http://localhost:3000" }).appUrl).toBe("http://localhost:3000");
  });
});

describe("child environments", () => {
  const from = { PATH: "/usr/bin", DATABASE_URL: "postgres://x", npm_config_cache: "/c", npm_lifecycle_event: "dev", NPM_TOKEN: "t" };
  it("childEnv passes everything on, with overrides and removals", () => {
    expect(childEnv({ PORT: "3000", DATABASE_URL: undefined }, from)).toEqual({ PATH: "/usr/bin", npm_config_cache: "/c", npm_lifecycle_event: "dev", NPM_TOKEN: "t", PORT: "3000" });
  });
  it("serviceEnv drops npm's own script variables, keeping the rest and any it is given", () => {
    expect(serviceEnv({ PORT: "3000", npm_config_user_agent: "tillit" }, from)).toEqual({ PATH: "/usr/bin", DATABASE_URL: "postgres://x", NPM_TOKEN: "t", PORT: "3000", npm_config_user_agent: "tillit" });
  });
});

describe("deploy shapes", () => {
  const keys = { INNGEST_EVENT_KEY: "evkey-1234567890abcdef", INNGEST_SIGNING_KEY: `signkey-prod-${"ab".repeat(32)}` };
  it("lists every setting it reads", () => {
    expect(SETTINGS).toEqual(expect.arrayContaining(["DATABASE_URL", "APP_URL", "TRACKING_URL", "TRACKING_HOST", "TRACKING_INGEST_URL", "INNGEST_SERVE_ORIGIN", "AUTH_SECRET"]));
    expect(SETTINGS).not.toContain("HOSTNAME");
  });

  it("has the ingest listen on loopback unless told otherwise, refusing what is no address", () => {
    expect(parseEnv({}).TRACKING_HOST).toBe("127.0.0.1");
    expect(parseEnv({ TRACKING_HOST: "0.0.0.0" }).TRACKING_HOST).toBe("0.0.0.0");
    expect(() => parseEnv({ TRACKING_HOST: "0.0.0.0; rm -rf /" })).toThrow(/TRACKING_HOST must be an address to listen on/);
  });

  it("tells when the app serves tracking itself: TRACKING_URL names its own /api/track", () => {
    const app = { APP_URL: "https://tillit.example.com" };
    expect(trackingServedByApp(parseEnv({ ...app, TRACKING_URL: "https://tillit.example.com/api/track" }))).toBe(true);
    expect(trackingServedByApp(parseEnv({ ...app, TRACKING_URL: "https://tillit.example.com/api/track/" }))).toBe(true);
    expect(trackingServedByApp(parseEnv({ ...app, TRACKING_URL: "https://track.example.com" }))).toBe(false);
    expect(trackingServedByApp(parseEnv({ ...app, TRACKING_URL: "https://evil.example.net/api/track" }))).toBe(false);
    expect(trackingServedByApp(parseEnv(app))).toBe(false);
    expect(ingestInternalUrl(parseEnv({ ...app, TRACKING_URL: "https://tillit.example.com/api/track" }))).toBeNull();
    expect(ingestInternalUrl(parseEnv({ TRACKING_PORT: "8400" }))).toBe("http://127.0.0.1:8400");
    expect(ingestInternalUrl(parseEnv({ TRACKING_INGEST_URL: "http://ingest:8300/" }))).toBe("http://ingest:8300");
    expect(() => parseEnv({ TRACKING_INGEST_URL: "ingest:8300" })).toThrow(/TRACKING_INGEST_URL must be an http\(s\) URL/);
  });

  it("has an external Inngest call the app at INNGEST_SERVE_ORIGIN when set, else APP_URL", () => {
    const base = { ...keys, TILLIT_INNGEST: "external", APP_URL: "https://tillit.example.com", INNGEST_BASE_URL: "http://inngest:8288" };
    expect(inngestTarget(parseEnv(base)).serveOrigin).toBe("https://tillit.example.com");
    expect(inngestTarget(parseEnv({ ...base, INNGEST_SERVE_ORIGIN: "http://app:3000/" })).serveOrigin).toBe("http://app:3000");
    // Bundled: always loopback, whatever is set.
    expect(inngestTarget(parseEnv({ ...keys, INNGEST_SERVE_ORIGIN: "http://app:3000" })).serveOrigin).toBe("http://127.0.0.1:3000");
  });

  it("names what a production server cannot start without", () => {
    expect(serverConfigProblem(parseEnv({ NODE_ENV: "production", ...keys }))).toMatch(/^AUTH_SECRET is required in production/);
    expect(serverConfigProblem(parseEnv({ NODE_ENV: "production", AUTH_SECRET: "s" }))).toMatch(/^INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY are not set/);
    expect(serverConfigProblem(parseEnv({ NODE_ENV: "production", AUTH_SECRET: "s", ...keys }))).toBeUndefined();
  });
});
