/** Starts worker fixture processes (real app instances) against a test database. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
export const WORKER_JS = resolve(here, '../fixtures/dist/worker.js');
/** The instance whose four steps are transactional and which kills itself at a given point (CRASH_AT). */
export const TX_WORKER_JS = resolve(here, '../fixtures/dist/tx-worker.js');

export interface Worker {
  id: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export async function startWorker(databaseUrl: string, id: string, env: Record<string, string> = {}, script = WORKER_JS): Promise<Worker> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, DATABASE_URL: databaseUrl, INSTANCE_ID: id, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await new Promise<void>((resolveReady, reject) => {
    // Generous: on a busy machine a Nest boot with migrations can take many seconds; a ready worker says so at once.
    const timer = setTimeout(() => reject(new Error(`worker ${id} did not start:\n${out}`)), 120_000);
    const check = () => {
      if (out.includes(`READY ${id}`)) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${id} exited with ${code} before it was ready:\n${out}`));
    });
  });
  return { id, child, output: () => out, exited };
}

export async function stopWorker(w: Worker, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill(signal);
  await w.exited;
}

export async function prepareAttemptLog(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, (c) =>
    c.query(`CREATE TABLE IF NOT EXISTS test_attempts (
      id serial PRIMARY KEY, saga_id uuid NOT NULL, step varchar NOT NULL, phase varchar NOT NULL, attempt int NOT NULL,
      instance varchar NOT NULL, idempotency_key varchar NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz, params jsonb)`),
  );
}

export async function withClient<T>(databaseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
