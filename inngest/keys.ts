import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import canonicalize from "canonicalize";
import { z } from "zod";
import { SIGNING_KEY } from "../lib/env";

/**
 * The two secrets the app and its Inngest server share, as Inngest Cloud issues them: an event key
 * (in the path of every event sent) and a signing key (HMAC of every call into the app, and a
 * bearer hash on every call the app makes to the server). The bundled executor uses them exactly
 * as Inngest does, so nothing reaches `/api/inngest` or the executor without them (docs/security.md).
 */

export type InngestKeys = { eventKey: string; signingKey: string };

const SIGNING_KEY_PREFIX = /^signkey-[a-z0-9]+-/i;

const keysFile = z.strictObject({
  eventKey: z.string().min(16),
  signingKey: z.string().regex(SIGNING_KEY),
});

export function generateInngestKeys(): InngestKeys {
  return { eventKey: randomBytes(32).toString("hex"), signingKey: `signkey-local-${randomBytes(32).toString("hex")}` };
}

/** Where the supervisor keeps generated keys when none are configured. */
export function inngestKeysPath(dataDir: string): string {
  return path.resolve(dataDir, "inngest-keys.json");
}

export class InngestKeysError extends Error {}

/**
 * The keys in `<dataDir>/inngest-keys.json`, created together on first use (mode 0600, exclusive
 * create, so two starts racing end with one pair). Throws InngestKeysError with one line saying what
 * to set when the file can neither be read nor written.
 */
export function loadOrCreateInngestKeys(dataDir: string): InngestKeys {
  const file = inngestKeysPath(dataDir);
  const help = "set INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY, or make TILLIT_DATA_DIR writable";
  const read = (): InngestKeys | undefined => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw new InngestKeysError(`cannot read the Inngest keys at ${file} (${code}) — ${help}`);
    }
    let parsed;
    try {
      parsed = keysFile.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success)
      throw new InngestKeysError(`the Inngest keys at ${file} are damaged — restore the file, or ${help}`);
    return parsed.data;
  };
  const existing = read();
  if (existing) return existing;
  const keys = generateInngestKeys();
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const fd = openSync(file, "wx", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(keys, null, 2)}\n`);
    } finally {
      closeSync(fd);
    }
    return keys;
  } catch (err) {
    // Another start created it first: use that pair.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      const other = read();
      if (other) return other;
    }
    throw new InngestKeysError(`cannot keep the Inngest keys at ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}) — ${help}`);
  }
}

/** The signing key without its `signkey-<env>-` prefix: the HMAC key, used as the hex string's bytes. */
function hmacKey(signingKey: string): string {
  return signingKey.replace(SIGNING_KEY_PREFIX, "");
}

/**
 * What the SDK sends as `Authorization: Bearer …` on its calls to the server: the prefix, then
 * sha256 of the hex-decoded key.
 */
export function signingKeyBearer(signingKey: string): string {
  const prefix = SIGNING_KEY_PREFIX.exec(signingKey)?.[0] ?? "";
  return `${prefix}${createHash("sha256").update(Buffer.from(hmacKey(signingKey), "hex")).digest("hex")}`;
}

/** True when an Authorization header carries this signing key's bearer hash. */
export function verifyBearer(authorization: string | undefined, signingKey: string): boolean {
  if (!authorization?.startsWith("Bearer ")) return false;
  return safeEqual(authorization.slice("Bearer ".length), signingKeyBearer(signingKey));
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A request body as the SDK verifies it: the canonical JSON (RFC 8785) of the value, which is
 * also what is sent, and its `X-Inngest-Signature` at wall-clock time `nowMs` (the SDK checks the
 * stamp against its own clock, ±5 minutes, so a virtual test clock must not be used here).
 */
export function signedBody(signingKey: string, value: unknown, nowMs = Date.now()): { body: string; signature: string } {
  const body = value === undefined ? "" : (canonicalize(value) ?? "");
  const t = Math.floor(nowMs / 1000);
  const s = createHmac("sha256", hmacKey(signingKey)).update(body + String(t)).digest("hex");
  return { body, signature: `t=${t}&s=${s}` };
}
