import { envOrExit } from "../lib/env";
import { StackError, migrateDatabase, startDatabase } from "./stack";
import path from "node:path";

// `npm run db:migrate`: apply migrations without starting the app (production deploys run this first).
const e = envOrExit();
try {
  const db = await startDatabase(
    e.embeddedDatabase
      ? { kind: "embedded", dataDir: path.resolve(e.TILLIT_DATA_DIR, "pglite"), port: e.PGLITE_PORT }
      : { kind: "url", url: e.databaseUrl },
  );
  await migrateDatabase(db.url, e.embeddedDatabase);
  await db.embedded?.stop();
  console.log("tillit: migrations applied");
} catch (err) {
  console.error(`tillit: ${err instanceof StackError ? err.message : (err as Error).message}`);
  process.exit(1);
}
