import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateInngestKeys, InngestKeysError, inngestKeysPath, loadOrCreateInngestKeys, signingKeyBearer, verifyBearer } from "./keys";

const root = mkdtempSync(path.join(os.tmpdir(), "tillit-keys-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("loadOrCreateInngestKeys", () => {
  it("generates a pair once, readable by its owner only, and returns the same pair after", () => {
    const dir = path.join(root, "fresh", "data");
    const first = loadOrCreateInngestKeys(dir);
    expect(first.signingKey).toMatch(/^signkey-local-[0-9a-f]{64}$/);
    expect(first.eventKey).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(inngestKeysPath(dir)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateInngestKeys(dir)).toEqual(first);
    expect(generateInngestKeys()).not.toEqual(first);
  });

  it("stops with one line saying what to set when the keys cannot be kept", () => {
    const file = path.join(root, "a-file");
    writeFileSync(file, "");
    expect(() => loadOrCreateInngestKeys(path.join(file, "data"))).toThrow(InngestKeysError);
    expect(() => loadOrCreateInngestKeys(path.join(file, "data"))).toThrow(/^cannot keep the Inngest keys at .* — set INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY, or make TILLIT_DATA_DIR writable$/);
  });

  it("refuses a damaged keys file rather than replacing it", () => {
    const dir = path.join(root, "damaged");
    loadOrCreateInngestKeys(dir);
    writeFileSync(inngestKeysPath(dir), "{\"eventKey\":");
    expect(() => loadOrCreateInngestKeys(dir)).toThrow(/^the Inngest keys at .* are damaged — restore the file, or set INNGEST_EVENT_KEY/);
    expect(readFileSync(inngestKeysPath(dir), "utf8")).toBe("{\"eventKey\":");
  });
});

describe("signingKeyBearer", () => {
  it("is the prefix and sha256 of the hex-decoded key, as the SDK sends it", () => {
    // That the SDK agrees is proven where it matters: its checkpoints reach the executor (checkpoint.int.test.ts).
    const key = "signkey-test-1a2b3c4d5e6f70811a2b3c4d5e6f70811a2b3c4d5e6f70811a2b3c4d5e6f7081";
    expect(signingKeyBearer(key)).toMatch(/^signkey-test-[0-9a-f]{64}$/);
    expect(verifyBearer(`Bearer ${signingKeyBearer(key)}`, key)).toBe(true);
    expect(verifyBearer(`Bearer ${key}`, key)).toBe(false);
    expect(verifyBearer(undefined, key)).toBe(false);
  });
});
