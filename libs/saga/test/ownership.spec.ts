import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { SagaService, SagaStore } from '../src/index.js';
import { SagaStuckDetector } from '../src/lib/scheduler/saga-stuck.detector.js';
import { SagaOrchestrator } from '../src/lib/engine/saga.orchestrator.js';
import { bootSagaApp, until } from './support/saga-app.js';
import { FlowModule, FlowSaga, Journal } from './support/flow.fixtures.js';
import { withClient } from './support/processes.js';

const apps: INestApplication[] = [];
const dbs: TestDatabase[] = [];

afterAll(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  for (const db of dbs) await db.drop();
});

async function setup(options = {}) {
  const db = await createTestDatabase('saga_owner');
  dbs.push(db);
  const app = await bootSagaApp(db.url, { imports: [FlowModule] }, options);
  apps.push(app);
  return { db, app, sagas: app.get(SagaService), journal: app.get(Journal) };
}

describe('ownership and fencing', () => {
  it('an instance whose lease was taken cannot write, and stops working on the saga', async () => {
    const { db, app, sagas, journal } = await setup();
    const handle = await sagas.start(FlowSaga, { script: { 'step-c': { delayMs: 400 } } });
    await until(() => sagas.get(handle.sagaId), (d) => d.currentStep === 'step-c', 'step-c running');
    // Another instance claims the saga: the fence moves on, and its lease is live (so nobody claims it back).
    await withClient(db.url, (c) =>
      c.query(`UPDATE saga_instances SET fence = fence + 1, owner_id = 'intruder', lease_expires_at = now() + interval '1 hour' WHERE id = $1`, [handle.sagaId]),
    );
    const detail = await until(() => sagas.get(handle.sagaId), (d) => d.events.some((e) => e.type === 'LEASE_LOST'), 'LEASE_LOST recorded');
    // Once its runner has stopped, this instance can do nothing more to the saga: check what it left.
    const orchestrator = app.get(SagaOrchestrator);
    await until(async () => orchestrator.isRunningLocally(handle.sagaId), (running) => !running, 'the runner to stop');
    const after = await sagas.get(handle.sagaId);
    expect(after.steps.map((s) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'RUNNING', 'PENDING']);
    expect(after.events.filter((e) => e.step === 'step-c' && e.type === 'STEP_SUCCEEDED')).toHaveLength(0);
    expect(after.lease.ownerId).toBe('intruder');
    expect(journal.calls(handle.sagaId)).not.toContain('execute:step-d');
    expect(detail.status).toBe('RUNNING');
  });

  it('on shutdown, lets the step in flight finish and hands the saga back so another instance continues at once', async () => {
    // Shutdown waits as long as the step needs, however slow a busy machine makes it.
    const { db, app, sagas } = await setup({ leaseMs: 60_000, shutdownTimeoutMs: 60_000 });
    const handle = await sagas.start(FlowSaga, { script: { 'step-b': { delayMs: 300 } } });
    await until(() => sagas.get(handle.sagaId), (d) => d.currentStep === 'step-b', 'step-b running');
    await app.close();
    const row = await withClient(db.url, (c) => c.query(`SELECT owner_id, status, steps FROM saga_instances WHERE id = $1`, [handle.sagaId]));
    expect(row.rows[0].owner_id).toBeNull();
    expect(row.rows[0].steps.map((s: any) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'PENDING', 'PENDING']);
    // A second instance picks it up without waiting for the (60 s) lease to expire.
    const second = await bootSagaApp(db.url, { imports: [FlowModule] }, { leaseMs: 60_000 });
    apps.push(second);
    const done = await until(() => second.get(SagaService).get(handle.sagaId), (d) => d.status === 'COMPLETED', 'COMPLETED on the second instance');
    expect(done.steps.map((s) => s.attempts)).toEqual([1, 1, 1, 1]);
  });
});

describe('durable retries and definition versions', () => {
  it('releases a saga during a long retry wait; any instance resumes it when the retry is due', async () => {
    const { db, sagas } = await setup({ holdRetryUpToMs: 5 });
    const handle = await sagas.start(FlowSaga, { script: { 'step-b': { failTimes: 1 } } });
    const done = await handle.result({ timeoutMs: 60_000 });
    expect(done.status).toBe('COMPLETED');
    expect(done.steps[1].attempts).toBe(2);
    // The saga was handed back while it waited, then claimed again (a new fence).
    expect(done.lease.fence).toBe(2);
    const scheduled = done.events.find((e) => e.type === 'STEP_RETRY_SCHEDULED')!;
    expect(scheduled.data).toMatchObject({ delayMs: expect.any(Number) });
    const row = await withClient(db.url, (c) => c.query(`SELECT owner_id, next_run_at FROM saga_instances WHERE id = $1`, [handle.sagaId]));
    expect(row.rows[0]).toMatchObject({ owner_id: null, next_run_at: null });
  });

  it('leaves alone a saga whose stored steps differ from the registered definition', async () => {
    const { db, app } = await setup();
    const store = app.get(SagaStore);
    const id = crypto.randomUUID();
    const steps = ['old-1', 'old-2'].map((name) => ({
      name, status: 'PENDING' as const, attempts: 0, budgetStart: 0, error: null, startedAt: null, finishedAt: null, nextAttemptAt: null, outcomeUnknown: false,
      compensation: { status: null, attempts: 0, budgetStart: 0, error: null, startedAt: null, finishedAt: null, nextAttemptAt: null },
    }));
    await store.insert({ id, name: 'flow', version: 0, status: 'PENDING', input: {}, idempotencyKey: null, steps, deadlineMs: null, ownerId: null, leaseMs: 1000 }, []);
    const row = await until(
      () => withClient(db.url, (c) => c.query(`SELECT status, steps, owner_id, fence, next_run_at > now() + interval '30 seconds' AS later FROM saga_instances WHERE id = $1`, [id])),
      (r) => r.rows[0].fence === '1' && r.rows[0].owner_id === null,
      'the saga to be claimed and put back',
    );
    expect(row.rows[0]).toMatchObject({ status: 'PENDING', later: true });
    expect(row.rows[0].steps.map((s: any) => s.name)).toEqual(['old-1', 'old-2']);
  });
});

describe('operator requests across instances', () => {
  it('an instance applies a cancel written through another instance within a poll interval', async () => {
    // Lease renewal (which also carries requests) comes every 40 s: well after the wait below.
    const { db, sagas: owner, journal } = await setup({ leaseMs: 120_000 });
    const apiOnly = await bootSagaApp(db.url, { imports: [FlowModule] }, { disableWorker: true, leaseMs: 120_000 });
    apps.push(apiOnly);
    const handle = await owner.start(FlowSaga, { script: { 'step-c': { delayMs: 20_000 } } });
    await until(() => owner.get(handle.sagaId), (d) => d.currentStep === 'step-c', 'step-c running');
    const accepted = await apiOnly.get(SagaService).cancel(handle.sagaId, { actor: 'ops', reason: 'wrong address' });
    expect(accepted.status).toBe('RUNNING');
    expect(accepted.pendingRequest).toMatchObject({ action: 'cancel', actor: 'ops', reason: 'wrong address' });
    // The owner's poll delivers it, long before the next lease renewal could.
    const done = await until(() => owner.get(handle.sagaId), (d) => d.status === 'CANCELLED', 'CANCELLED', 30_000);
    expect(done.pendingRequest).toBeNull();
    expect(journal.calls(handle.sagaId).filter((c) => c.startsWith('compensate'))).toEqual(['compensate:step-c', 'compensate:step-a']);
  });
});

describe('conflicting operator requests', () => {
  it('refuses a different action while a request waits for its owner, and says which', async () => {
    const { db, sagas } = await setup({ disableWorker: true });
    const id = (await sagas.start(FlowSaga, {})).sagaId;
    // Owned by a live instance that has not applied anything yet.
    await withClient(db.url, (c) =>
      c.query(`UPDATE saga_instances SET status = 'RUNNING', owner_id = 'busy', fence = 1, lease_expires_at = now() + interval '1 hour' WHERE id = $1`, [id]),
    );
    const accepted = await sagas.cancel(id, { actor: 'ops', reason: 'fraud' });
    expect(accepted.pendingRequest).toMatchObject({ action: 'cancel', actor: 'ops' });
    await expect(sagas.pause(id, { actor: 'other' })).rejects.toThrow(/A cancel requested by ops at .* is still being applied/);
    await expect(sagas.compensate(id, { actor: 'other' })).rejects.toMatchObject({ code: 'INVALID_SAGA_TRANSITION' });
    // Asking for the same action again is fine: it answers with the request that waits, and writes nothing.
    expect((await sagas.cancel(id, { actor: 'ops2', reason: 'fraud, confirmed' })).pendingRequest).toMatchObject({ actor: 'ops', reason: 'fraud' });
    expect((await sagas.get(id)).events.filter((e) => e.type === 'CANCEL_REQUESTED')).toHaveLength(1);
  });
});

describe('stuck-saga detection', () => {
  it('reports each reason on constructed cases, leaves a scheduled retry alone, and recovers an expired lease', async () => {
    const { db, app, sagas } = await setup({ disableWorker: true, stuckAfterMs: 60_000 });
    const ids: Record<string, string> = {};
    for (const name of ['lease', 'timeout', 'overdue', 'paused', 'deadline', 'waiting']) {
      ids[name] = (await sagas.start(FlowSaga, { label: name })).sagaId;
    }
    const sql = (text: string, id: string) => withClient(db.url, (c) => c.query(text, [id]));
    const old = `now() - interval '10 minutes'`;
    const runningStep0 = `jsonb_set(jsonb_set(jsonb_set(steps, '{0,status}', '"RUNNING"'), '{0,attempts}', '1'), '{0,startedAt}', to_jsonb(to_char((now() - interval '10 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))`;
    await sql(`UPDATE saga_instances SET status = 'RUNNING', owner_id = 'ghost', fence = 1, lease_expires_at = now() - interval '1 minute', next_run_at = now() - interval '1 minute', updated_at = ${old}, steps = ${runningStep0} WHERE id = $1`, ids.lease);
    await sql(`UPDATE saga_instances SET status = 'RUNNING', owner_id = 'busy', fence = 1, lease_expires_at = now() + interval '1 hour', next_run_at = now() + interval '1 hour', updated_at = ${old}, steps = ${runningStep0} WHERE id = $1`, ids.timeout);
    await sql(`UPDATE saga_instances SET status = 'RUNNING', next_run_at = ${old}, updated_at = ${old} WHERE id = $1`, ids.overdue);
    await sql(`UPDATE saga_instances SET status = 'PAUSED', next_run_at = NULL, updated_at = ${old} WHERE id = $1`, ids.paused);
    await sql(`UPDATE saga_instances SET status = 'RUNNING', deadline_at = now() - interval '1 minute', next_run_at = now() + interval '1 hour' WHERE id = $1`, ids.deadline);
    await sql(`UPDATE saga_instances SET status = 'RUNNING', next_run_at = now() + interval '1 hour', updated_at = ${old} WHERE id = $1`, ids.waiting);

    const marks = await app.get(SagaStuckDetector).check();
    const reasons = Object.fromEntries(marks.map((m) => [Object.entries(ids).find(([, id]) => id === m.sagaId)![0], m.reason]));
    expect(reasons).toEqual({
      lease: 'LEASE_EXPIRED',
      timeout: 'STEP_TIMEOUT_EXCEEDED',
      overdue: 'RETRY_OVERDUE',
      paused: 'PAUSED_TOO_LONG',
      deadline: 'DEADLINE_PASSED',
    });
    const stuck = await sagas.list({ stuck: true });
    expect(stuck.items.map((s) => s.id).sort()).toEqual([ids.lease, ids.timeout, ids.overdue, ids.paused, ids.deadline].sort());
    const lease = await sagas.get(ids.lease);
    expect(lease.stuckReason).toBe('LEASE_EXPIRED');
    expect(lease.stuckSince).not.toBeNull();
    expect(lease.events.find((e) => e.type === 'STUCK_RECOVERED')).toMatchObject({ reason: 'LEASE_EXPIRED' });
    expect((await sagas.get(ids.waiting)).stuckSince).toBeNull();
    expect((await sagas.stats()).stuck).toBe(5);

    // An instance with a worker takes the expired saga over and finishes it; the stuck mark goes.
    const worker = await bootSagaApp(db.url, { imports: [FlowModule] });
    apps.push(worker);
    const done = await until(() => sagas.get(ids.lease), (d) => d.status === 'COMPLETED', 'recovered saga COMPLETED');
    expect(done.stuckSince).toBeNull();
    expect(done.events.find((e) => e.type === 'LEASE_TAKEN_OVER')?.data).toMatchObject({ previousOwner: 'ghost' });
    expect(done.steps[0].attempts).toBe(2);
  });

  it('records a stuck saga once when several instances\' detectors find it at the same time', async () => {
    const { db, app, sagas } = await setup({ disableWorker: true, stuckAfterMs: 60_000 });
    const other = await bootSagaApp(db.url, { imports: [FlowModule] }, { disableWorker: true, stuckAfterMs: 60_000 });
    apps.push(other);
    const id = (await sagas.start(FlowSaga, {})).sagaId;
    await withClient(db.url, (c) => c.query(`UPDATE saga_instances SET status = 'PAUSED', next_run_at = NULL, updated_at = now() - interval '10 minutes' WHERE id = $1`, [id]));
    const detectors = [app.get(SagaStuckDetector), other.get(SagaStuckDetector)];
    for (let round = 0; round < 3; round++) await Promise.all(detectors.map((d) => d.check()));
    const detail = await sagas.get(id);
    expect(detail.stuckReason).toBe('PAUSED_TOO_LONG');
    expect(detail.events.filter((e) => e.type === 'STUCK_DETECTED')).toHaveLength(1);
  });
});
