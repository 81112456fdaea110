import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export type EmbeddedServer = {
  /** postgres:// URL of the wire-protocol server. */
  url: string;
  port: number;
  pg: PGlite;
  stop: () => Promise<void>;
};

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use`);
  }
}

/**
 * Starts PGlite and serves it over the Postgres wire protocol, so the app and every tool
 * talk to it with the same driver as to a real server. One process owns a data directory.
 *
 * dataDir: a directory (kept across restarts) or undefined for memory only.
 * load: a dump (from PGlite#dumpDataDir) to start from, e.g. a migrated template in tests.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir?: string;
  port: number;
  load?: Blob;
}): Promise<EmbeddedServer> {
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const pg = await PGlite.create(opts.dataDir, opts.load ? { loadDataDir: opts.load } : {});
  const server = new PGLiteSocketServer({ db: pg, port: opts.port, host: "127.0.0.1", maxConnections: 16 });
  try {
    await server.start();
  } catch (err) {
    await pg.close();
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") throw new PortInUseError(opts.port);
    throw err;
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/postgres`,
    port: opts.port,
    pg,
    stop: async () => {
      await server.stop();
      await pg.close();
    },
  };
}
