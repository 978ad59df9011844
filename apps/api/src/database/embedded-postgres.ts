/**
 * The embedded database: PGlite (PostgreSQL compiled to WASM) stored in a directory and served on a
 * loopback port by pglite-socket, so the app talks to it with the ordinary `pg` driver, exactly as
 * to a real server. PGlite runs one transaction at a time and allows one process per directory:
 * a lock file refuses a second process instead of letting it corrupt the data.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { ProtocolBatchQueue } from './protocol-batch-queue.js';

export interface EmbeddedPostgres {
  /** `postgres://` URL of the served database. */
  url: string;
  /** Directory holding the data files. */
  dataDir: string;
  stop(): Promise<void>;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds: its own pid in a lock is "in use" only if it is listed here (pids repeat across container restarts). */
const held = new Set<string>();

function takeLock(lockFile: string): void {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    held.add(lockFile);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const owner = Number(readFileSync(lockFile, 'utf8').trim());
  const inUse = owner === process.pid ? held.has(lockFile) : Number.isInteger(owner) && owner > 0 && isRunning(owner);
  if (inUse) {
    throw new Error(
      `The embedded database in ${lockFile.replace(/[/\\][^/\\]+$/, '')} is in use by process ${owner}. ` +
        'Stop that process, point SAGA_DATA_DIR at another directory, or set DATABASE_URL to use a PostgreSQL server.',
    );
  }
  // A lock left by a process that died: take it over.
  writeFileSync(lockFile, String(process.pid));
  held.add(lockFile);
}

function releaseLock(lockFile: string): void {
  held.delete(lockFile);
  rmSync(lockFile, { force: true });
}

/** Serves `db` on 127.0.0.1:<free port>, one pglite-socket handler per connection, all through one batch-aware queue. */
async function serve(db: PGlite, maxConnections: number): Promise<{ port: number; stop(): Promise<void> }> {
  const queue = new ProtocolBatchQueue(db);
  const handlers = new Set<PGLiteSocketHandler>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    if (handlers.size >= maxConnections) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const handler = new PGLiteSocketHandler({ queryQueue: queue as never, closeOnDetach: true });
    handlers.add(handler);
    handler.addEventListener('close', () => handlers.delete(handler));
    handler.addEventListener('error', () => handlers.delete(handler));
    handler.attach(socket).catch(() => {
      handlers.delete(handler);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const handler of handlers) await handler.detach(true).catch(() => undefined);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Opens (creating on first use) the database in `<dataDir>/pglite` and serves it on 127.0.0.1:<free port>. */
export async function startEmbeddedPostgres(dataDir: string, options: { maxConnections?: number } = {}): Promise<EmbeddedPostgres> {
  const pgDir = join(dataDir, 'pglite');
  mkdirSync(pgDir, { recursive: true });
  const lockFile = join(dataDir, 'pglite.lock');
  takeLock(lockFile);
  let db: PGlite | undefined;
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    db = await PGlite.create(pgDir);
    server = await serve(db, options.maxConnections ?? 64);
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    releaseLock(lockFile);
    throw error;
  }
  const openDb = db;
  const openServer = server;
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${openServer.port}/postgres`,
    dataDir: pgDir,
    stop: () =>
      (stopped ??= (async () => {
        try {
          await openServer.stop();
        } finally {
          try {
            await openDb.close();
          } finally {
            releaseLock(lockFile);
          }
        }
      })()),
  };
}
