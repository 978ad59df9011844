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

/**
 * Leases long enough that a starved event loop (other test runs beside these, a busy CI box) never
 * lets one expire by accident: renewal runs every third of the lease. A test that needs an expiry
 * causes it (SIGKILL) and sizes its waits from the lease it gave the victim.
 */
const LEASE_MS = 30_000;
const WORKER_ENV = { LEASE_MS: String(LEASE_MS), POLL_MS: '50', CONCURRENCY: '20' };
/** Short enough to wait out after the kill, long enough to survive seconds of starvation before it. */
const VICTIM_LEASE_MS = 8_000;
/** Waits for work to finish: generous, since they return as soon as it has. */
const FINISH_MS = 180_000;

async function statusCounts(url: string): Promise<Record<string, number>> {
  const r = await withClient(url, (c) => c.query(`SELECT status, count(*)::int AS n FROM saga_instances GROUP BY status`));
  return Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
}

async function waitAllCompleted(url: string, total: number, timeoutMs = FINISH_MS) {
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

/** Sagas whose lease expired and another instance took them over (recorded in their history). */
async function takenOver(url: string, previousOwner?: string): Promise<Set<string>> {
  const r = await withClient(url, (c) =>
    c.query(`SELECT DISTINCT saga_id FROM saga_events WHERE type = 'LEASE_TAKEN_OVER' AND ($1::text IS NULL OR data->>'previousOwner' = $1)`, [previousOwner ?? null]),
  );
  return new Set(r.rows.map((x) => x.saga_id as string));
}

/**
 * One owner at a time, measured where it is promised: while a saga's lease is held, each of its
 * steps runs once, to the end, and no two attempts of the saga overlap. A saga whose lease expired
 * (taken over, see `takenOver`) is left out: its old owner's attempt may be cut off or still running
 * when the new owner runs the step again; for those, the fenced writes must still store each step's
 * success once and never run a step after its success was stored (rerunsAfterSuccess).
 */
function ownershipViolations(rows: AttemptRow[], exempt: Set<string>): string[] {
  const bySaga = new Map<string, AttemptRow[]>();
  for (const r of rows) if (!exempt.has(r.saga_id)) bySaga.set(r.saga_id, [...(bySaga.get(r.saga_id) ?? []), r]);
  const problems: string[] = [];
  for (const [sagaId, list] of bySaga) {
    const steps = list.map((a) => a.step);
    if (new Set(steps).size !== steps.length) problems.push(`${sagaId}: a step ran twice while the lease was held: ${steps.join(', ')}`);
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (a.finished_at === null) problems.push(`${sagaId}: ${a.step}#${a.attempt}@${a.instance} never finished`);
      const prev = list[i - 1];
      if (prev?.finished_at && prev.finished_at > a.started_at) {
        problems.push(`${sagaId}: ${prev.step}#${prev.attempt}@${prev.instance} overlaps ${a.step}#${a.attempt}@${a.instance}`);
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
  it('share 300 sagas: all finish, one owner at a time (no step runs twice or overlaps while a lease is held), every instance does some of the work', { timeout: FINISH_MS + 120_000 }, async () => {
    const url = await freshDb();
    workers.push(await startWorker(url, 'node-b', WORKER_ENV), await startWorker(url, 'node-c', WORKER_ENV));
    workers.push(await startWorker(url, 'node-a', { ...WORKER_ENV, START_SAGAS: '300', START_INPUT: 'random', MAX_DELAY_MS: '30' }));
    await waitAllCompleted(url, 300);

    const rows = await attempts(url);
    const expired = await takenOver(url);
    // With these leases, an expiry takes tens of seconds without a renewal: at most a few, if any,
    // so the strict check below covers (nearly) every saga.
    expect(expired.size).toBeLessThan(30);
    expect(ownershipViolations(rows, expired)).toEqual([]);
    expect(rows.filter((r) => !expired.has(r.saga_id))).toHaveLength((300 - expired.size) * 4);
    expect(await successesPerStep(url)).toEqual([1]);
    expect(await rerunsAfterSuccess(url)).toEqual([]);
    const perInstance = new Map<string, number>();
    for (const r of rows) perInstance.set(r.instance, (perInstance.get(r.instance) ?? 0) + 1);
    expect([...perInstance.keys()].sort()).toEqual(['node-a', 'node-b', 'node-c']);
    for (const n of perInstance.values()) expect(n).toBeGreaterThan(20);
    const owners = await withClient(url, (c) => c.query(`SELECT count(*)::int AS n FROM saga_instances WHERE owner_id IS NOT NULL`));
    expect(owners.rows[0].n).toBe(0);
  });

  it('takes over the sagas of an instance killed with SIGKILL; no finished step runs again', { timeout: FINISH_MS + VICTIM_LEASE_MS + 120_000 }, async () => {
    const url = await freshDb();
    // The victim starts the sagas itself, so it owns the first ones at once (they start in the
    // instance that has capacity), and runs its steps slowly: it is surely in the middle of steps it
    // owns when we look, however busy the machine. The survivor claims the rest meanwhile.
    workers.push(await startWorker(url, 'node-survivor', WORKER_ENV));
    const victim = await startWorker(url, 'node-victim', {
      ...WORKER_ENV,
      LEASE_MS: String(VICTIM_LEASE_MS),
      SLOW_MS: '3000',
      START_SAGAS: '150',
      START_INPUT: JSON.stringify({ delays: { 'work-1': 40, 'work-2': 60, 'work-3': 40, 'work-4': 40 } }),
    });
    workers.push(victim);
    // In the middle of steps of sagas it owns now (not merely attempts it left behind earlier).
    const ownedMidStep = `SELECT s.id FROM saga_instances s WHERE s.owner_id = 'node-victim' AND s.status = 'RUNNING'
      AND EXISTS (SELECT 1 FROM test_attempts a WHERE a.saga_id = s.id AND a.instance = 'node-victim' AND a.finished_at IS NULL)`;
    await until(() => withClient(url, (c) => c.query(ownedMidStep)), (r) => r.rows.length > 0, 'the victim to be in the middle of steps', FINISH_MS);
    await stopWorker(victim, 'SIGKILL');
    // Dead, it owns what it owns: those sagas must be taken over once its lease runs out.
    const orphans = (await withClient(url, (c) => c.query(`SELECT id FROM saga_instances WHERE owner_id = 'node-victim' AND finished_at IS NULL`))).rows.map((r) => r.id as string);
    expect(orphans.length).toBeGreaterThan(0);
    await waitAllCompleted(url, 150, VICTIM_LEASE_MS + FINISH_MS);

    const fromVictim = await takenOver(url, 'node-victim');
    expect(orphans.filter((id) => !fromVictim.has(id))).toEqual([]);
    expect(await rerunsAfterSuccess(url)).toEqual([]);
    expect(await successesPerStep(url)).toEqual([1]);
    const rows = await attempts(url);
    expect(ownershipViolations(rows, await takenOver(url))).toEqual([]);
  });

  it('keeps going through a PostgreSQL restart; every saga still finishes', { timeout: FINISH_MS + 120_000 }, async () => {
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
      FINISH_MS,
    );
    const before = await statusCounts(url);
    expect(before.COMPLETED ?? 0).toBeLessThan(100);
    privatePg.restart();
    await waitAllCompleted(url, 100);
    expect(await successesPerStep(url)).toEqual([1]);
    for (const w of workers) expect({ id: w.id, exitCode: w.child.exitCode, output: w.child.exitCode === null ? '' : w.output() }).toEqual({ id: w.id, exitCode: null, output: '' });
  });
});
