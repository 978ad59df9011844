/**
 * kill -9 in the middle of a step: the saga resumes at that step on another instance. Also the
 * price of `effects: 'none'`: a process killed while such a step runs had not stored the result of
 * the step before it, so that step runs again (a lost attempt, same idempotency key).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { until } from './support/saga-app.js';
import { prepareAttemptLog, startWorker, stopWorker, withClient, type Worker } from './support/processes.js';

/** A database per case: each reads the attempt log of its one saga. */
const dbs: TestDatabase[] = [];
const workers: Worker[] = [];
/**
 * The killed instance's lease: long enough that seconds of a starved event loop never let it expire
 * while it runs, short enough to wait out once it is dead. The survivor keeps the default (30 s).
 */
const VICTIM_LEASE_MS = 10_000;

async function freshDatabase(name: string): Promise<TestDatabase> {
  const db = await createTestDatabase(name);
  dbs.push(db);
  await prepareAttemptLog(db.url);
  return db;
}

/** Starts one saga on instance-a with `env`, kills it with SIGKILL once `step` has started, and returns the saga's id. */
async function killDuring(db: TestDatabase, step: string, env: Record<string, string>): Promise<string> {
  const first = await startWorker(db.url, 'instance-a', { START_SAGAS: '1', LEASE_MS: String(VICTIM_LEASE_MS), ...env });
  workers.push(first);
  const sagaId = await until(
    () => withClient(db.url, (c) => c.query(`SELECT saga_id FROM test_attempts WHERE step = $1`, [step])),
    (r) => r.rows.length === 1,
    `${step} to start`,
  ).then((r) => r.rows[0].saga_id as string);
  await stopWorker(first, 'SIGKILL');
  return sagaId;
}

const sagaRow = (db: TestDatabase, sagaId: string) => withClient(db.url, (c) => c.query(`SELECT status, steps FROM saga_instances WHERE id = $1`, [sagaId]));

/** Starts instance-b with `env` and waits for it to take the saga over and complete it; returns the saga's row. */
async function completedByInstanceB(db: TestDatabase, sagaId: string, env: Record<string, string> = {}) {
  workers.push(await startWorker(db.url, 'instance-b', { LEASE_MS: '30000', ...env }));
  const done = await until(() => sagaRow(db, sagaId), (r) => r.rows[0].status === 'COMPLETED', 'the saga to complete on the second instance', VICTIM_LEASE_MS + 120_000);
  return done.rows[0];
}

afterAll(async () => {
  for (const w of workers) await stopWorker(w, 'SIGKILL');
  for (const db of dbs) await db.drop();
});

describe('a process killed in the middle of a step', () => {
  it('resumes on restart at that step, with the same idempotency key, and never re-runs finished steps', { timeout: VICTIM_LEASE_MS + 180_000 }, async () => {
    const db = await freshDatabase('saga_crash');
    const sagaId = await killDuring(db, 'work-2', { KEY_PREFIX: 'crash', START_INPUT: JSON.stringify({ firstAttemptDelays: { 'work-2': 60_000 } }) });
    const before = await sagaRow(db, sagaId);
    expect(before.rows[0].status).toBe('RUNNING');
    expect(before.rows[0].steps.map((s: any) => s.status)).toEqual(['COMPLETED', 'RUNNING', 'PENDING', 'PENDING']);

    const done = await completedByInstanceB(db, sagaId);
    expect(done.steps.map((s: any) => s.attempts)).toEqual([1, 2, 1, 1]);

    const attempts = await withClient(db.url, (c) =>
      c.query(`SELECT step, attempt, instance, idempotency_key, finished_at FROM test_attempts WHERE saga_id = $1 ORDER BY id`, [sagaId]),
    );
    expect(attempts.rows.map((r) => [r.step, r.attempt, r.instance])).toEqual([
      ['work-1', 1, 'instance-a'],
      ['work-2', 1, 'instance-a'],
      ['work-2', 2, 'instance-b'],
      ['work-3', 1, 'instance-b'],
      ['work-4', 1, 'instance-b'],
    ]);
    const keys = attempts.rows.filter((r) => r.step === 'work-2').map((r) => r.idempotency_key);
    expect(keys).toEqual([`${sagaId}:work-2`, `${sagaId}:work-2`]);

    const events = await withClient(db.url, (c) => c.query(`SELECT type, step, attempt, actor, data, error FROM saga_events WHERE saga_id = $1 ORDER BY id`, [sagaId]));
    const takeover = events.rows.find((e) => e.type === 'LEASE_TAKEN_OVER');
    expect(takeover).toMatchObject({ actor: 'instance-b', data: { previousOwner: 'instance-a', newOwner: 'instance-b' } });
    const lost = events.rows.find((e) => e.type === 'STEP_FAILED');
    expect(lost).toMatchObject({ step: 'work-2', attempt: 1, error: { code: 'ATTEMPT_LOST' } });
  });
});

describe("a process killed while an effects: 'none' step runs", () => {
  it('runs the step before it again after the restart, then the rest once, and completes', { timeout: VICTIM_LEASE_MS + 180_000 }, async () => {
    const db = await freshDatabase('saga_no_effects_crash');
    const sagaId = await killDuring(db, 'work-3', {
      KEY_PREFIX: 'pure-crash',
      NO_EFFECTS: 'work-3',
      // work-3 sleeps on this instance only: killed once it has started, while it sleeps. (An input
      // delay would hold work-3 on the next instance too: its attempt there is attempt 1 again,
      // since no write had marked it started.)
      SLOW_MS: '60000',
      SLOW_STEPS: 'work-3',
    });
    // work-2 finished, but its result was to be stored with work-3's: the store still has it running.
    const before = await sagaRow(db, sagaId);
    expect(before.rows[0].steps.map((s: any) => s.status)).toEqual(['COMPLETED', 'RUNNING', 'PENDING', 'PENDING']);

    const done = await completedByInstanceB(db, sagaId, { NO_EFFECTS: 'work-3' });
    expect(done.steps.map((s: any) => s.attempts)).toEqual([1, 2, 1, 1]);
    const attempts = await withClient(db.url, (c) => c.query(`SELECT step, attempt, instance, idempotency_key FROM test_attempts WHERE saga_id = $1 ORDER BY id`, [sagaId]));
    expect(attempts.rows.map((r) => [r.step, r.attempt, r.instance])).toEqual([
      ['work-1', 1, 'instance-a'],
      ['work-2', 1, 'instance-a'],
      ['work-3', 1, 'instance-a'],
      ['work-2', 2, 'instance-b'],
      ['work-3', 1, 'instance-b'],
      ['work-4', 1, 'instance-b'],
    ]);
    expect(new Set(attempts.rows.filter((r) => r.step === 'work-2').map((r) => r.idempotency_key))).toEqual(new Set([`${sagaId}:work-2`]));
    const events = await withClient(db.url, (c) => c.query(`SELECT type, step, attempt, error FROM saga_events WHERE saga_id = $1 ORDER BY id`, [sagaId]));
    expect(events.rows.filter((e) => e.type === 'STEP_FAILED')).toMatchObject([{ step: 'work-2', attempt: 1, error: { code: 'ATTEMPT_LOST' } }]);
    expect(events.rows.filter((e) => e.type === 'STEP_SUCCEEDED').map((e) => e.step)).toEqual(['work-1', 'work-2', 'work-3', 'work-4']);
  });
});
