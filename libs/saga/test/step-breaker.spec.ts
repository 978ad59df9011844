/**
 * The step circuit breaker on real PostgreSQL, with two instances (two apps on one database): a
 * paused step holds the sagas about to run it on every instance, with no attempt used; resume with
 * a rate releases them over time, counted in the database, whichever instance releases.
 */
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { SagaDetail, SagaEventView } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { SagaService, SagaStepNotPausedError, SagaStepNotRegisteredError, SagaValidationError } from '../src/index.js';
import { SagaStepBreaker } from '../src/lib/breaker/saga-step-breaker.js';
import { FlowModule, FlowSaga, Journal } from './support/flow.fixtures.js';
import { bootSagaApp, until } from './support/saga-app.js';

let db: TestDatabase;
let appA: INestApplication;
let appB: INestApplication;
/** Leases long enough that a starved event loop never loses one by accident. */
const ENGINE = { leaseMs: 30_000, pollIntervalMs: 50 };

beforeAll(async () => {
  db = await createTestDatabase('saga_breaker');
  // One after the other: the first runs the migrations.
  appA = await bootSagaApp(db.url, { imports: [FlowModule] }, { ...ENGINE, instanceId: 'instance-a' });
  appB = await bootSagaApp(db.url, { imports: [FlowModule] }, { ...ENGINE, instanceId: 'instance-b' });
});

afterAll(async () => {
  await appA?.close();
  await appB?.close();
  await db?.drop();
});

const sagasOf = (app: INestApplication) => app.get(SagaService);
const journalCalls = (step: string) => [...appA.get(Journal).entries, ...appB.get(Journal).entries].filter((e) => e.phase === 'execute' && e.step === step);

async function details(ids: string[]): Promise<SagaDetail[]> {
  return Promise.all(ids.map((id) => sagasOf(appA).get(id)));
}

/** Both instances know the pause (each reads the paused steps on its own short refresh). */
async function pauseSeenEverywhere(step: string): Promise<void> {
  for (const app of [appA, appB]) await until(async () => app.get(SagaStepBreaker).holdOf(step), Boolean, `both instances to see "${step}" paused`);
}

async function pausedStepsEmpty(): Promise<void> {
  await until(() => sagasOf(appA).pausedSteps(), (list) => list.length === 0, 'no paused step left');
}

const eventsOf = (d: SagaDetail, type: string): SagaEventView[] => d.events.filter((e) => e.type === type);

describe('step circuit breaker', () => {
  it('holds sagas at the step on two instances and the ramp releases them at about the given rate', async () => {
    const paused = await sagasOf(appA).pauseStep('step-c', { reason: 'supplier down', actor: 'ops@example.com' });
    expect(paused).toMatchObject({ step: 'step-c', status: 'PAUSED', reason: 'supplier down', pausedBy: 'ops@example.com', waiting: 0 });
    await pauseSeenEverywhere('step-c');

    // Ten sagas, started on both instances (each runs what it starts while it has capacity).
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await sagasOf(i % 2 ? appB : appA).start(FlowSaga, { label: `held-${i}` })).sagaId);
    const held = await until(
      () => details(ids),
      (all) => all.every((d) => d.status === 'PAUSED'),
      'all ten sagas held at step-c',
    );
    for (const d of held) {
      expect(d.error?.code).toBe('STEP_PAUSED');
      expect(d.currentStep).toBe('step-c');
      expect(d.steps.map((s) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'PENDING', 'PENDING']);
      expect(d.steps[2].attempts).toBe(0);
      const pause = eventsOf(d, 'SAGA_PAUSED');
      expect(pause).toHaveLength(1);
      expect(pause[0]).toMatchObject({ step: 'step-c', actor: 'ops@example.com', reason: 'supplier down', data: { cause: 'STEP_PAUSED' } });
    }
    // Held by both instances: each ran step-b of some of them.
    const ranStepB = new Set(held.map((d) => eventsOf(d, 'STEP_SUCCEEDED').find((e) => e.step === 'step-b')?.data?.instanceId));
    expect(ranStepB).toEqual(new Set(['instance-a', 'instance-b']));
    expect(journalCalls('step-c')).toEqual([]);
    const listed = await sagasOf(appB).pausedSteps();
    expect(listed).toEqual([expect.objectContaining({ step: 'step-c', status: 'PAUSED', reason: 'supplier down', pausedBy: 'ops@example.com', waiting: 10 })]);

    const resumed = await sagasOf(appB).resumeStep('step-c', { reason: 'supplier back', actor: 'lead@example.com', ratePerSec: 2 });
    expect(resumed).toMatchObject({ step: 'step-c', status: 'RESUMING', ratePerSec: 2, resumedBy: 'lead@example.com', resumeReason: 'supplier back' });
    const resumedAt = Date.parse(resumed.resumedAt!);

    const done = await until(() => details(ids), (all) => all.every((d) => d.status === 'COMPLETED'), 'all ten sagas COMPLETED after the resume');
    for (const d of done) {
      expect(d.steps.map((s) => s.attempts)).toEqual([1, 1, 1, 1]);
      expect(eventsOf(d, 'SAGA_RESUMED')).toEqual([
        expect.objectContaining({ step: 'step-c', actor: 'lead@example.com', reason: 'supplier back', data: expect.objectContaining({ cause: 'STEP_RESUMED', ratePerSec: 2 }) }),
      ]);
    }
    expect(journalCalls('step-c')).toHaveLength(10);

    // When each was released, by the database's clock (so a slow test machine cannot blur it).
    const releases = done.map((d) => Date.parse(eventsOf(d, 'SAGA_RESUMED')[0].at)).sort((a, b) => a - b);
    // Not all at once: when the first was released, at least eight others were still held (a
    // release statement takes at most one second's worth, so a starved instance does not burst)...
    expect(releases.filter((at) => at === releases[0]).length).toBeLessThanOrEqual(2);
    // ...and at 2 per second the k-th release cannot come before (k - 1) / 2 seconds after the resume.
    releases.forEach((at, k) => expect(at - resumedAt, `release #${k + 1}`).toBeGreaterThanOrEqual((k / 2) * 1000 - 5));
    expect(new Set(releases).size).toBeGreaterThanOrEqual(5);

    await pausedStepsEmpty();
  });

  it('lets an attempt in flight finish, releases only the sagas it held, and refuses bad requests', async () => {
    const sagas = sagasOf(appA);
    // In flight at step-c when the step is paused: it finishes and the saga carries on.
    const inFlight = await sagas.start(FlowSaga, { script: { 'step-c': { delayMs: 4_000 } } });
    await until(() => sagas.get(inFlight.sagaId), (d) => d.steps[2].status === 'RUNNING', 'step-c running');
    // Paused by an operator (after its step-b), not by the breaker.
    const byOperator = await sagas.start(FlowSaga, { script: { 'step-b': { delayMs: 1_000 } } });
    await until(() => sagas.get(byOperator.sagaId), (d) => d.steps[1].status === 'RUNNING', 'step-b running');
    await sagas.pause(byOperator.sagaId, { reason: 'looking into it', actor: 'alice' });

    await sagas.pauseStep('step-c', { reason: 'maintenance', actor: 'ops' });
    // Pausing again changes nothing.
    expect(await sagas.pauseStep('step-c', { reason: 'other words', actor: 'bob' })).toMatchObject({ reason: 'maintenance', pausedBy: 'ops' });
    await pauseSeenEverywhere('step-c');
    const heldOne = await sagas.start(FlowSaga, {});

    const inFlightDone = await inFlight.result({ timeoutMs: 60_000 });
    expect(inFlightDone.status).toBe('COMPLETED');
    expect(inFlightDone.steps[2].attempts).toBe(1);
    expect(eventsOf(inFlightDone, 'SAGA_PAUSED')).toEqual([]);
    const op = await until(() => sagas.get(byOperator.sagaId), (d) => d.status === 'PAUSED', 'operator pause applied');
    expect(op.error).toBeNull();
    const held = await until(() => sagas.get(heldOne.sagaId), (d) => d.status === 'PAUSED', 'new saga held');
    expect(held.error?.code).toBe('STEP_PAUSED');
    expect((await sagas.pausedSteps())[0]).toMatchObject({ step: 'step-c', waiting: 1 });

    // Bad requests.
    await expect(sagas.pauseStep('no-such-step', { reason: 'x' })).rejects.toBeInstanceOf(SagaStepNotRegisteredError);
    await expect(sagas.pauseStep('step-a', { reason: '   ' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'reason' });
    await expect(sagas.resumeStep('step-a', { reason: 'x' })).rejects.toBeInstanceOf(SagaStepNotPausedError);
    await expect(sagas.resumeStep('step-c', { reason: 'x', ratePerSec: 0 })).rejects.toBeInstanceOf(SagaValidationError);

    // Resume with no rate: every held saga at once; the operator's pause stays.
    await sagasOf(appB).resumeStep('step-c', { reason: 'done', actor: 'ops' });
    expect((await heldOne.result({ timeoutMs: 60_000 })).status).toBe('COMPLETED');
    await pausedStepsEmpty();
    const still = await sagas.get(byOperator.sagaId);
    expect(still.status).toBe('PAUSED');
    expect(eventsOf(still, 'SAGA_RESUMED')).toEqual([]);
    await sagas.resume(byOperator.sagaId, { actor: 'alice' });
    expect((await byOperator.result({ timeoutMs: 60_000 })).status).toBe('COMPLETED');
  });

  it('holds a saga whose first step is paused from its start, with no attempt used', async () => {
    const sagas = sagasOf(appB);
    await sagas.pauseStep('step-a', { reason: 'hold everything', actor: 'ops' });
    await pauseSeenEverywhere('step-a');
    const before = journalCalls('step-a').length;
    const handle = await sagas.start(FlowSaga, {});
    const held = await until(() => sagas.get(handle.sagaId), (d) => d.status === 'PAUSED', 'held at its first step');
    expect(held.steps[0]).toMatchObject({ status: 'PENDING', attempts: 0, startedAt: null });
    expect(journalCalls('step-a')).toHaveLength(before);
    await sagasOf(appA).resumeStep('step-a', { reason: 'go', actor: 'ops', ratePerSec: 5 });
    const done = await handle.result({ timeoutMs: 60_000 });
    expect(done.status).toBe('COMPLETED');
    expect(done.steps[0].attempts).toBe(1);
    await pausedStepsEmpty();
  });

  it('releases a saga held at a step whose pause is gone (held by an instance that read the step paused just before its resume)', async () => {
    const sagas = sagasOf(appA);
    await sagas.pauseStep('step-d', { reason: 'short stop', actor: 'ops' });
    await pauseSeenEverywhere('step-d');
    const handle = await sagas.start(FlowSaga, {});
    await until(() => sagas.get(handle.sagaId), (d) => d.status === 'PAUSED', 'held at step-d');
    // What a late hold looks like: the saga is held, and the step's row is already gone.
    await appA.get<DataSource>(getDataSourceToken() as string).query(`DELETE FROM saga_step_pauses WHERE step = 'step-d'`);
    const done = await handle.result({ timeoutMs: 60_000 }).then((d) => (d.status === 'PAUSED' ? until(() => sagas.get(handle.sagaId), (x) => x.status === 'COMPLETED', 'released and COMPLETED') : d));
    expect(done.status).toBe('COMPLETED');
    // (An instance that had not read the deletion yet may hold it once more, and release it after.)
    const resumes = eventsOf(done, 'SAGA_RESUMED');
    const history = JSON.stringify(done.events.map((e) => [e.type, e.step, e.actor, e.reason]));
    expect(resumes.at(-1), history).toMatchObject({ step: 'step-d', reason: 'The step is no longer paused.' });
    expect(eventsOf(done, 'SAGA_PAUSED'), history).toHaveLength(resumes.length);
    expect(done.steps[3].attempts, history).toBe(1);
  });
});
