import { createHash, randomBytes } from "node:crypto";

/** Tokens and keys are stored only as this hash; the plain value exists in the mail or on screen once. */
export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export const randomToken = (bytes = 24) => randomBytes(bytes).toString("base64url");
