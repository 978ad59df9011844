/**
 * A saga composed at run time lives on its stored plan alone: killed with SIGKILL mid-step, it is
 * finished by a restarted process that composes and defines nothing.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { until } from './support/saga-app.js';
import { prepareAttemptLog, startWorker, stopWorker, withClient, type Worker } from './support/processes.js';

let workers: Worker[] = [];
let db: TestDatabase | undefined;

afterEach(async () => {
  for (const w of workers) await stopWorker(w, 'SIGKILL');
  workers = [];
});

afterAll(async () => {
  await db?.drop();
});

// A lease far longer than the test: only the restarted instance (same id) taking it back at once finishes it.
const LONG_LEASE = { LEASE_MS: '60000', POLL_MS: '100' };

describe('a composed saga and kill -9', () => {
  it('survives kill -9 and a restart with no re-definition: the restarted process runs the stored plan, params included', async () => {
    db = await createTestDatabase('saga_composed_crash');
    await prepareAttemptLog(db.url);
    const steps = [{ step: 'work-3', params: { bin: 'A-7' } }, { step: 'work-1' }, { step: 'work-4', params: { notify: 'sms' } }];
    const first = await startWorker(db.url, 'pod-c', {
      ...LONG_LEASE,
      START_SAGAS: '1',
      KEY_PREFIX: 'composed',
      COMPOSE_NAME: 'restock',
      COMPOSE_STEPS: JSON.stringify(steps),
      START_INPUT: JSON.stringify({ firstAttemptDelays: { 'work-1': 120_000 } }),
    });
    workers.push(first);
    const sagaId = (
      await until(
        () => withClient(db!.url, (c) => c.query(`SELECT saga_id FROM test_attempts WHERE step = 'work-1'`)),
        (r) => r.rows.length === 1,
        'work-1 to start',
      )
    ).rows[0].saga_id as string;
    await stopWorker(first, 'SIGKILL');

    const row = async () => (await withClient(db!.url, (c) => c.query(`SELECT name, status, fence, steps, plan FROM saga_instances WHERE id = $1`, [sagaId]))).rows[0];
    const killed = await row();
    expect(killed).toMatchObject({ name: 'restock', status: 'RUNNING' });
    expect(killed.steps.map((s: any) => [s.name, s.status])).toEqual([
      ['work-3', 'COMPLETED'],
      ['work-1', 'RUNNING'],
      ['work-4', 'PENDING'],
    ]);
    expect(killed.plan).toMatchObject({ name: 'restock', origin: 'composed', steps: [{ step: 'work-3', params: { bin: 'A-7' } }, { step: 'work-1', params: {} }, { step: 'work-4', params: { notify: 'sms' } }] });

    // The same instance id, started with nothing to compose or define.
    workers.push(await startWorker(db.url, 'pod-c', LONG_LEASE));
    const done = await until(row, (r) => r.status === 'COMPLETED', 'the composed saga to complete after the restart', 30_000);
    expect(done.fence).toBe('2');
    expect(done.steps.map((s: any) => [s.name, s.attempts])).toEqual([
      ['work-3', 1],
      ['work-1', 2],
      ['work-4', 1],
    ]);
    const attempts = await withClient(db.url, (c) => c.query(`SELECT step, attempt, params FROM test_attempts WHERE saga_id = $1 ORDER BY id`, [sagaId]));
    expect(attempts.rows.map((r) => [r.step, r.attempt, r.params])).toEqual([
      ['work-3', 1, { bin: 'A-7' }],
      ['work-1', 1, {}],
      ['work-1', 2, {}],
      ['work-4', 1, { notify: 'sms' }],
    ]);
  });
});
