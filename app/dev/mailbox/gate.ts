import "server-only";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { env } from "../../../lib/env";

/** The dev mailbox exists only where TILLIT_DEV_MAILBOX is on (npm run dev, the test runner). */
export async function requireDevMailbox(): Promise<void> {
  // Decided per request, never at build time: a production build must not bake in either answer.
  await connection();
  if (!env().TILLIT_DEV_MAILBOX) notFound();
}
