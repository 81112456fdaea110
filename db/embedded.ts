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
  keepExtendedQueriesTogether(server);
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

type QueueItem = {
  handlerId: number;
  message: Uint8Array;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
  onData: (data: Uint8Array) => void;
};
type QueryQueue = {
  queue: QueueItem[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue: () => Promise<void>;
  clearQueueForHandler: (handlerId: number) => void;
};

// Extended-protocol messages: Parse, Bind, Describe, Execute, Close, Flush. Sync, Query and
// Terminate end a client's turn.
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);
const END_OF_TURN = new Set([0x53, 0x51, 0x58]);

/**
 * pglite-socket runs one protocol message at a time from whichever connection sent it, so a
 * Parse from one connection can land between another connection's Parse and Bind — they share
 * PGlite's single session and its unnamed statement ("bind message supplies 1 parameters, but
 * prepared statement "" requires 2"). This keeps each connection's Parse…Sync run together, the
 * way the library already keeps a transaction's statements together.
 */
function keepExtendedQueriesTogether(server: PGLiteSocketServer): void {
  // The server's queue is a private field of pglite-socket, absent from its published types.
  const q = (server as unknown as { queryQueue: QueryQueue }).queryQueue;
  let pinned: number | null = null;
  let stall: NodeJS.Timeout | undefined;
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId) => {
    if (pinned === handlerId) pinned = null;
    clear(handlerId);
    void q.processQueue();
  };
  q.processQueue = async function (this: QueryQueue) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = this.db.isInTransaction() && this.lastHandlerId !== null ? this.lastHandlerId : pinned;
        const index = owner === null ? 0 : this.queue.findIndex((i) => i.handlerId === owner);
        if (index === -1) {
          // The owner's next message is on its way; if its connection died instead, let others go.
          clearTimeout(stall);
          stall = setTimeout(() => {
            pinned = null;
            void q.processQueue();
          }, 5_000);
          break;
        }
        clearTimeout(stall);
        const item = this.queue.splice(index, 1)[0]!;
        const type = item.message[0]!;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (d: Uint8Array) => {
                bytes += d.length;
                item.onData(d);
              },
            }),
          );
        } catch (err) {
          pinned = null;
          item.reject(err);
          continue;
        }
        if (EXTENDED.has(type)) pinned = item.handlerId;
        else if (END_OF_TURN.has(type)) pinned = null;
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
}
