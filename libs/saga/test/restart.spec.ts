import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { until } from './support/saga-app.js';
import { prepareAttemptLog, startWorker, stopWorker, withClient, type Worker } from './support/processes.js';

let workers: Worker[] = [];
const dbs: TestDatabase[] = [];

afterEach(async () => {
  for (const w of workers) await stopWorker(w, 'SIGKILL');
  workers = [];
});

afterAll(async () => {
  for (const db of dbs) await db.drop();
});

async function freshDb(): Promise<string> {
  const db = await createTestDatabase('saga_restart');
  dbs.push(db);
  await prepareAttemptLog(db.url);
  return db.url;
}

// A lease far longer than the waits below: only an instant takeover can make the saga finish in time.
const LONG_LEASE = { LEASE_MS: '60000', POLL_MS: '100' };

async function sagaRow(url: string, sagaId: string) {
  return (await withClient(url, (c) => c.query(`SELECT status, owner_id, fence, steps, lease_expires_at > now() + interval '30 seconds' AS long_lease FROM saga_instances WHERE id = $1`, [sagaId]))).rows[0];
}

async function firstAttemptOf(url: string, step: string): Promise<string> {
  const r = await until(
    () => withClient(url, (c) => c.query(`SELECT saga_id FROM test_attempts WHERE step = $1`, [step])),
    (res) => res.rows.length === 1,
    `${step} to start`,
  );
  return r.rows[0].saga_id;
}

async function events(url: string, sagaId: string) {
  return (await withClient(url, (c) => c.query(`SELECT type, step, attempt, actor, data, error FROM saga_events WHERE saga_id = $1 ORDER BY id`, [sagaId]))).rows;
}

describe('an instance restarted with the same instanceId', () => {
  it('takes its sagas back at once after kill -9 instead of waiting for the lease, and records the takeover', async () => {
    const url = await freshDb();
    const first = await startWorker(url, 'pod-a', {
      ...LONG_LEASE,
      START_SAGAS: '1',
      KEY_PREFIX: 'restart',
      START_INPUT: JSON.stringify({ firstAttemptDelays: { 'work-2': 120_000 } }),
    });
    workers.push(first);
    const sagaId = await firstAttemptOf(url, 'work-2');
    await stopWorker(first, 'SIGKILL');
    const before = await sagaRow(url, sagaId);
    expect(before).toMatchObject({ status: 'RUNNING', owner_id: 'pod-a', fence: '1', long_lease: true });

    workers.push(await startWorker(url, 'pod-a', LONG_LEASE));
    // Well under the 60 s lease: the restarted instance does not wait for it.
    const done = await until(() => sagaRow(url, sagaId), (r) => r.status === 'COMPLETED', 'the saga to complete after the restart', 20_000);
    expect(done.steps.map((s: any) => s.attempts)).toEqual([1, 2, 1, 1]);
    expect(done.fence).toBe('2');

    const history = await events(url, sagaId);
    const takeovers = history.filter((e) => e.type === 'LEASE_TAKEN_OVER');
    expect(takeovers).toEqual([
      expect.objectContaining({ actor: 'pod-a', data: { previousOwner: 'pod-a', newOwner: 'pod-a', fence: 2, restart: true } }),
    ]);
    expect(history.find((e) => e.type === 'STEP_FAILED')).toMatchObject({ step: 'work-2', attempt: 1, error: { code: 'ATTEMPT_LOST' } });
    const attempts = await withClient(url, (c) => c.query(`SELECT step, attempt, idempotency_key FROM test_attempts WHERE saga_id = $1 ORDER BY id`, [sagaId]));
    expect(attempts.rows.map((r) => [r.step, r.attempt])).toEqual([
      ['work-1', 1],
      ['work-2', 1],
      ['work-2', 2],
      ['work-3', 1],
      ['work-4', 1],
    ]);
    expect(new Set(attempts.rows.filter((r) => r.step === 'work-2').map((r) => r.idempotency_key))).toEqual(new Set([`${sagaId}:work-2`]));
  });

  it('fences out a live instance that still holds the id: its late result is refused and each step succeeds once', async () => {
    const url = await freshDb();
    const first = await startWorker(url, 'pod-b', {
      ...LONG_LEASE,
      START_SAGAS: '1',
      KEY_PREFIX: 'twin',
      START_INPUT: JSON.stringify({ firstAttemptDelays: { 'work-2': 4_000 } }),
    });
    workers.push(first);
    const sagaId = await firstAttemptOf(url, 'work-2');
    // A second process with the same id (a misconfigured replica) while the first one is alive.
    workers.push(await startWorker(url, 'pod-b', LONG_LEASE));
    const done = await until(() => sagaRow(url, sagaId), (r) => r.status === 'COMPLETED', 'the saga to complete', 20_000);
    expect(done.fence).toBe('2');
    // The first process's attempt of work-2 ends after the takeover; its checkpoint no longer matches the fence.
    await until(
      () => withClient(url, (c) => c.query(`SELECT finished_at FROM test_attempts WHERE saga_id = $1 AND step = 'work-2' AND attempt = 1`, [sagaId])),
      (r) => r.rows[0].finished_at !== null,
      'the first attempt of work-2 to end',
    );
    await until(() => events(url, sagaId), (h) => h.some((e) => e.type === 'LEASE_LOST'), 'the first process to notice it lost the saga');
    const history = await events(url, sagaId);
    const successes = history.filter((e) => e.type === 'STEP_SUCCEEDED').map((e) => `${e.step}#${e.attempt}`);
    expect(successes).toEqual(['work-1#1', 'work-2#2', 'work-3#1', 'work-4#1']);
    expect(first.child.exitCode).toBeNull();
  });
});
