import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { until } from './support/saga-app.js';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres.js';
import { prepareAttemptLog, startWorker, stopWorker, withClient, type Worker } from './support/processes.js';

let workers: Worker[] = [];
const databases: TestDatabase[] = [];
let privatePg: PrivatePostgres | undefined;

afterEach(async () => {
  for (const w of workers) await stopWorker(w, 'SIGKILL');
  workers = [];
});

afterAll(async () => {
  for (const db of databases) await db.drop();
  privatePg?.stop();
});

async function freshDb(): Promise<string> {
  const db = await createTestDatabase('saga_multi');
  databases.push(db);
  await prepareAttemptLog(db.url);
  return db.url;
}

const WORKER_ENV = { LEASE_MS: '2000', POLL_MS: '50', CONCURRENCY: '20' };

async function statusCounts(url: string): Promise<Record<string, number>> {
  const r = await withClient(url, (c) => c.query(`SELECT status, count(*)::int AS n FROM saga_instances GROUP BY status`));
  return Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
}

async function waitAllCompleted(url: string, total: number, timeoutMs: number) {
  return until(() => statusCounts(url), (c) => c.COMPLETED === total, `${total} sagas COMPLETED`, timeoutMs);
}

interface AttemptRow {
  saga_id: string;
  step: string;
  attempt: number;
  instance: string;
  started_at: Date;
  finished_at: Date | null;
}

async function attempts(url: string): Promise<AttemptRow[]> {
  return (await withClient(url, (c) => c.query(`SELECT saga_id, step, attempt, instance, started_at, finished_at FROM test_attempts ORDER BY started_at`))).rows;
}

/** Attempts of one saga never overlap in time: each ends before the next one starts. */
function overlaps(rows: AttemptRow[]): string[] {
  const bySaga = new Map<string, AttemptRow[]>();
  for (const r of rows) bySaga.set(r.saga_id, [...(bySaga.get(r.saga_id) ?? []), r]);
  const problems: string[] = [];
  for (const [sagaId, list] of bySaga) {
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      if (prev.finished_at && prev.finished_at > list[i].started_at) {
        problems.push(`${sagaId}: ${prev.step}#${prev.attempt}@${prev.instance} overlaps ${list[i].step}#${list[i].attempt}@${list[i].instance}`);
      }
    }
  }
  return problems;
}

/** Steps that ran again after their success was stored. */
async function rerunsAfterSuccess(url: string): Promise<unknown[]> {
  const r = await withClient(url, (c) =>
    c.query(`
      SELECT a.saga_id, a.step, a.attempt, a.instance FROM test_attempts a
      JOIN saga_events e ON e.saga_id = a.saga_id AND e.step = a.step AND e.type = 'STEP_SUCCEEDED'
      WHERE a.phase = 'execute' AND a.started_at > e.at`),
  );
  return r.rows;
}

async function successesPerStep(url: string): Promise<number[]> {
  const r = await withClient(url, (c) =>
    c.query(`SELECT count(*)::int AS n FROM saga_events WHERE type = 'STEP_SUCCEEDED' GROUP BY saga_id, step`),
  );
  return [...new Set(r.rows.map((x) => x.n))];
}

describe('several app instances on one database', () => {
  it('share 300 sagas: all finish, attempts of a saga never overlap, every instance does some of the work', async () => {
    const url = await freshDb();
    workers.push(await startWorker(url, 'node-b', WORKER_ENV), await startWorker(url, 'node-c', WORKER_ENV));
    workers.push(await startWorker(url, 'node-a', { ...WORKER_ENV, START_SAGAS: '300', START_INPUT: 'random', MAX_DELAY_MS: '30' }));
    await waitAllCompleted(url, 300, 90_000);

    const rows = await attempts(url);
    expect(rows.filter((r) => r.finished_at === null)).toEqual([]);
    expect(rows).toHaveLength(1200);
    expect(overlaps(rows)).toEqual([]);
    const perInstance = new Map<string, number>();
    for (const r of rows) perInstance.set(r.instance, (perInstance.get(r.instance) ?? 0) + 1);
    expect([...perInstance.keys()].sort()).toEqual(['node-a', 'node-b', 'node-c']);
    for (const n of perInstance.values()) expect(n).toBeGreaterThan(20);
    expect(await successesPerStep(url)).toEqual([1]);
    const owners = await withClient(url, (c) => c.query(`SELECT count(*)::int AS n FROM saga_instances WHERE owner_id IS NOT NULL`));
    expect(owners.rows[0].n).toBe(0);
  });

  it('takes over the sagas of an instance killed with SIGKILL; no finished step runs again', async () => {
    const url = await freshDb();
    const victim = await startWorker(url, 'node-victim', WORKER_ENV);
    workers.push(victim, await startWorker(url, 'node-survivor', WORKER_ENV));
    workers.push(await startWorker(url, 'node-starter', { ...WORKER_ENV, START_SAGAS: '150', START_INPUT: JSON.stringify({ delays: { 'work-1': 40, 'work-2': 60, 'work-3': 40, 'work-4': 40 } }) }));
    await until(
      () => withClient(url, (c) => c.query(`SELECT count(*)::int AS n FROM test_attempts WHERE instance = 'node-victim' AND finished_at IS NULL`)),
      (r) => r.rows[0].n > 0,
      'the victim to be in the middle of steps',
    );
    await stopWorker(victim, 'SIGKILL');
    await waitAllCompleted(url, 150, 90_000);

    const takeovers = await withClient(url, (c) =>
      c.query(`SELECT count(*)::int AS n FROM saga_events WHERE type = 'LEASE_TAKEN_OVER' AND data->>'previousOwner' = 'node-victim'`),
    );
    expect(takeovers.rows[0].n).toBeGreaterThan(0);
    expect(await rerunsAfterSuccess(url)).toEqual([]);
    expect(await successesPerStep(url)).toEqual([1]);
    const finished = (await attempts(url)).filter((r) => r.finished_at !== null);
    expect(overlaps(finished)).toEqual([]);
  });

  it('keeps going through a PostgreSQL restart; every saga still finishes', async () => {
    privatePg = await startPrivatePostgres();
    await withClient(privatePg.url, (c) => c.query(`CREATE DATABASE sagas`));
    const url = privatePg.url.replace(/\/postgres$/, '/sagas');
    await prepareAttemptLog(url);
    workers.push(await startWorker(url, 'node-1', WORKER_ENV));
    workers.push(await startWorker(url, 'node-2', { ...WORKER_ENV, START_SAGAS: '100', START_INPUT: JSON.stringify({ delays: { 'work-2': 250, 'work-3': 250 } }) }));
    await until(
      () => withClient(url, (c) => c.query(`SELECT count(*)::int AS n FROM saga_events WHERE type = 'STEP_SUCCEEDED'`)),
      (r) => r.rows[0].n >= 20,
      'some progress before the restart',
    );
    const before = await statusCounts(url);
    expect(before.COMPLETED ?? 0).toBeLessThan(100);
    privatePg.restart();
    await waitAllCompleted(url, 100, 90_000);
    expect(await successesPerStep(url)).toEqual([1]);
    for (const w of workers) expect({ id: w.id, exitCode: w.child.exitCode, output: w.child.exitCode === null ? '' : w.output() }).toEqual({ id: w.id, exitCode: null, output: '' });
  });
});
