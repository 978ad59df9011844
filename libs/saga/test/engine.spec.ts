import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { InvalidSagaTransitionError, SagaService, SagaStore } from '../src/index.js';
import { bootSagaApp, until } from './support/saga-app.js';
import { CarefulFlowSaga, DeadlineFlagSaga, DeadlinePauseSaga, DeadlineFlowSaga, FlowModule, FlowSaga, Journal, TimeoutFlowSaga, type FlowInput } from './support/flow.fixtures.js';

let db: TestDatabase;
let app: INestApplication;
let sagas: SagaService;
let journal: Journal;

beforeAll(async () => {
  db = await createTestDatabase('saga_engine');
  app = await bootSagaApp(db.url, { imports: [FlowModule] });
  sagas = app.get(SagaService);
  journal = app.get(Journal);
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

async function run(input: FlowInput, saga: any = FlowSaga) {
  const handle = await sagas.start(saga, input);
  const detail = await handle.result({ timeoutMs: 20_000 });
  return { id: handle.sagaId, detail };
}

const stepStatuses = (d: { steps: { name: string; status: string }[] }) => Object.fromEntries(d.steps.map((s) => [s.name, s.status]));
const eventTypes = (d: { events: { type: string }[] }) => d.events.map((e) => e.type);

describe('saga engine on PostgreSQL', () => {
  it('runs every step in order, stores each output and completes', async () => {
    const { id, detail } = await run({ label: 'happy' });
    expect(detail.status).toBe('COMPLETED');
    expect(journal.calls(id)).toEqual(['execute:step-a', 'execute:step-b', 'execute:step-c', 'execute:step-d']);
    expect(detail.steps.map((s) => s.output)).toEqual([
      { step: 'step-a', attempt: 1 },
      { step: 'step-b', attempt: 1 },
      { step: 'step-c', attempt: 1 },
      { step: 'step-d', attempt: 1 },
    ]);
    expect(detail.steps.every((s) => s.attempts === 1 && s.status === 'COMPLETED')).toBe(true);
    expect(detail.finishedAt).not.toBeNull();
    expect(detail.lease.ownerId).toBeNull();
    expect(eventTypes(detail)).toEqual(['SAGA_STARTED', 'STEP_SUCCEEDED', 'STEP_SUCCEEDED', 'STEP_SUCCEEDED', 'STEP_SUCCEEDED', 'SAGA_COMPLETED']);
  });

  it('hands each step the outputs of the steps before it and a stable idempotency key', async () => {
    const { id } = await run({ script: { 'step-c': { failTimes: 1 } } });
    const calls = journal.of(id);
    const c = calls.filter((e) => e.step === 'step-c');
    expect(c.map((e) => e.idempotencyKey)).toEqual([`${id}:step-c`, `${id}:step-c`]);
    expect(Object.keys(c[0].outputs)).toEqual(['step-a', 'step-b']);
    expect(calls.find((e) => e.step === 'step-d')!.outputs['step-c']).toEqual({ step: 'step-c', attempt: 2 });
  });

  it('retries a step that fails twice, with growing backoff, and records every attempt', async () => {
    const { id, detail } = await run({ script: { 'step-b': { failTimes: 2 } } });
    expect(detail.status).toBe('COMPLETED');
    const b = detail.steps.find((s) => s.name === 'step-b')!;
    expect(b.attempts).toBe(3);
    const attempts = journal.of(id).filter((e) => e.step === 'step-b');
    expect(attempts.map((e) => e.attempt)).toEqual([1, 2, 3]);
    // initialDelayMs 40, coefficient 2, jitter 0.25: gaps of at least 30 ms then 60 ms.
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(29);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(59);
    const failures = detail.events.filter((e) => e.type === 'STEP_FAILED');
    expect(failures.map((e) => [e.step, e.attempt])).toEqual([
      ['step-b', 1],
      ['step-b', 2],
    ]);
    expect(failures[0].error?.message).toContain('step-b failed on attempt 1');
    const scheduled = detail.events.filter((e) => e.type === 'STEP_RETRY_SCHEDULED');
    expect(scheduled.map((e) => (e.data as any).delayMs).every((d: number) => d >= 30)).toBe(true);
  });

  it('compensates completed steps in reverse order when a step exhausts its retries', async () => {
    const { id, detail } = await run({ script: { 'step-d': { failAlways: true } } });
    expect(detail.status).toBe('COMPENSATED');
    expect(journal.calls(id)).toEqual([
      'execute:step-a',
      'execute:step-b',
      'execute:step-c',
      'execute:step-d',
      'execute:step-d',
      'execute:step-d',
      'compensate:step-c',
      'compensate:step-a',
    ]);
    expect(stepStatuses(detail)).toEqual({ 'step-a': 'COMPENSATED', 'step-b': 'SKIPPED', 'step-c': 'COMPENSATED', 'step-d': 'FAILED' });
    const compC = journal.of(id).find((e) => e.phase === 'compensate' && e.step === 'step-c')!;
    expect(compC.receivedOutput).toEqual({ step: 'step-c', attempt: 1 });
    expect(detail.error?.message).toContain('step-d');
    expect(detail.compensationCause).toBe('STEP_FAILED');
  });

  it('does not retry a NonRetryableStepError', async () => {
    const { id, detail } = await run({ script: { 'step-b': { failAlways: true, nonRetryable: true } } });
    expect(detail.status).toBe('COMPENSATED');
    expect(journal.calls(id)).toEqual(['execute:step-a', 'execute:step-b', 'compensate:step-a']);
  });

  it('retries a compensation that fails and then succeeds', async () => {
    const { id, detail } = await run({ script: { 'step-c': { failAlways: true }, 'step-a': { compFailTimes: 1 } } });
    expect(detail.status).toBe('COMPENSATED');
    const a = detail.steps.find((s) => s.name === 'step-a')!;
    expect(a.compensation.attempts).toBe(2);
    expect(a.compensation.status).toBe('COMPENSATED');
    expect(journal.calls(id).filter((c) => c.startsWith('compensate'))).toEqual(['compensate:step-a', 'compensate:step-a']);
  });

  it('ends FAILED when a compensation is exhausted, and retry finishes it without re-running done compensations', async () => {
    const { id, detail } = await run({ script: { 'step-d': { failAlways: true }, 'step-a': { compFailAlways: true } } });
    expect(detail.status).toBe('FAILED');
    expect(detail.error?.message).toContain('Compensation of step "step-a" failed');
    expect(stepStatuses(detail)).toMatchObject({ 'step-a': 'COMPENSATION_FAILED', 'step-c': 'COMPENSATED' });

    journal.healed.add(`${id}:step-a`);
    await sagas.retry(id, { actor: 'alice', reason: 'payment provider back up' });
    const done = await until(() => sagas.get(id), (d) => d.status === 'COMPENSATED', 'COMPENSATED after retry');
    expect(journal.calls(id).filter((c) => c === 'compensate:step-c')).toHaveLength(1);
    const retried = done.events.find((e) => e.type === 'SAGA_RETRIED')!;
    expect([retried.actor, retried.reason]).toEqual(['alice', 'payment provider back up']);
  });

  it('compensates a FAILED saga on request: the failed compensations run again, done ones do not', async () => {
    const { id, detail } = await run({ script: { 'step-d': { failAlways: true }, 'step-a': { compFailAlways: true } } });
    expect(detail.status).toBe('FAILED');
    journal.healed.add(`${id}:step-a`);
    await sagas.compensate(id, { actor: 'hana', reason: 'ledger fixed, undo the rest' });
    const done = await until(() => sagas.get(id), (d) => d.status === 'COMPENSATED', 'COMPENSATED');
    expect(journal.calls(id).filter((c) => c === 'compensate:step-c')).toHaveLength(1);
    expect(done.steps[0].compensation).toMatchObject({ status: 'COMPENSATED', attempts: 4 });
    const started = done.events.filter((e) => e.type === 'COMPENSATION_STARTED').at(-1)!;
    expect([started.actor, started.reason]).toEqual(['hana', 'ledger fixed, undo the rest']);
  });

  it('lets an operator resolve a failed compensation by hand, then carries on with the compensations still due', async () => {
    const { id, detail } = await run({ script: { 'step-d': { failAlways: true }, 'step-c': { compFailAlways: true } } });
    expect(detail.status).toBe('FAILED');
    expect(stepStatuses(detail)).toMatchObject({ 'step-c': 'COMPENSATION_FAILED', 'step-a': 'COMPLETED' });
    await expect(sagas.resolveStep(id, 'step-c', { actor: 'bob', reason: '' })).rejects.toThrow(/reason is required/);
    await expect(sagas.resolveStep(id, 'step-a', { actor: 'bob', reason: 'x' })).rejects.toBeInstanceOf(InvalidSagaTransitionError);

    await sagas.resolveStep(id, 'step-c', { actor: 'bob', reason: 'refunded by hand in the PSP console' });
    const done = await until(() => sagas.get(id), (d) => d.status === 'COMPENSATED', 'COMPENSATED after resolve');
    expect(stepStatuses(done)).toMatchObject({ 'step-a': 'COMPENSATED', 'step-c': 'COMPENSATED' });
    expect(done.steps.find((s) => s.name === 'step-c')!.compensation.status).toBe('RESOLVED');
    const resolved = done.events.find((e) => e.type === 'STEP_RESOLVED')!;
    expect([resolved.step, resolved.actor, resolved.reason]).toEqual(['step-c', 'bob', 'refunded by hand in the PSP console']);
    expect(journal.calls(id).filter((c) => c === 'compensate:step-a')).toHaveLength(1);
  });

  it('aborts a step that runs past its timeout and compensates it as an unknown outcome', async () => {
    const { id, detail } = await run({ script: { 'step-slow': { delayMs: 5_000 } } }, TimeoutFlowSaga);
    expect(detail.status).toBe('COMPENSATED');
    const slow = detail.steps.find((s) => s.name === 'step-slow')!;
    expect(slow.attempts).toBe(2);
    expect(slow.outcomeUnknown).toBe(true);
    expect(slow.compensation.status).toBe('COMPENSATED');
    expect(journal.of(id).filter((e) => e.step === 'step-slow' && e.phase === 'execute').every((e) => e.aborted)).toBe(true);
    expect(detail.events.filter((e) => e.type === 'STEP_TIMED_OUT')).toHaveLength(2);
    expect(journal.calls(id).filter((c) => c.startsWith('compensate'))).toEqual(['compensate:step-slow', 'compensate:step-a']);
  });

  it('compensates when the saga deadline passes during a step', async () => {
    const { id, detail } = await run({ script: { 'step-c': { delayMs: 5_000 } } }, DeadlineFlowSaga);
    expect(detail.status).toBe('COMPENSATED');
    expect(detail.compensationCause).toBe('DEADLINE');
    expect(eventTypes(detail)).toContain('DEADLINE_PASSED');
    expect(journal.calls(id).filter((c) => c.startsWith('compensate'))).toEqual(['compensate:step-c', 'compensate:step-a']);
    expect(journal.calls(id)).not.toContain('execute:step-d');
  });

  it('pauses at the deadline when the saga\'s policy is "pause", and resumes on request', async () => {
    const { id, detail } = await run({ script: { 'step-c': { delayMs: 1_000 } } }, DeadlinePauseSaga);
    expect(detail.status).toBe('PAUSED');
    expect(detail.error?.code).toBe('DEADLINE_PASSED');
    expect(eventTypes(detail)).toEqual(expect.arrayContaining(['DEADLINE_PASSED', 'SAGA_PAUSED']));
    // The step in flight was let finish; the saga paused before the next one.
    expect(detail.steps.map((s) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'PENDING']);
    await sagas.resume(id, { actor: 'gina', reason: 'deadline extended by hand' });
    const done = await until(() => sagas.get(id), (d) => d.status === 'COMPLETED', 'COMPLETED after resume');
    expect(done.steps.map((s) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  it('only flags the deadline when the saga\'s policy is "flag": the saga runs on', async () => {
    const { detail } = await run({ script: { 'step-c': { delayMs: 500 } } }, DeadlineFlagSaga);
    expect(detail.status).toBe('COMPLETED');
    expect(detail.events.filter((e) => e.type === 'DEADLINE_PASSED')).toHaveLength(1);
    expect(detail.steps.every((s) => s.attempts === 1)).toBe(true);
  });

  it('cancels a running saga: aborts the step in flight, compensates, ends CANCELLED', async () => {
    const handle = await sagas.start(FlowSaga, { script: { 'step-c': { delayMs: 10_000 } } });
    await until(() => sagas.get(handle.sagaId), (d) => d.currentStep === 'step-c', 'step-c running');
    await sagas.cancel(handle.sagaId, { actor: 'carol', reason: 'customer called' });
    const done = await handle.result({ timeoutMs: 10_000 });
    expect(done.status).toBe('CANCELLED');
    expect(journal.calls(handle.sagaId).filter((c) => c.startsWith('compensate'))).toEqual(['compensate:step-c', 'compensate:step-a']);
    const requested = done.events.find((e) => e.type === 'CANCEL_REQUESTED')!;
    expect([requested.actor, requested.reason]).toEqual(['carol', 'customer called']);
    expect(eventTypes(done).at(-1)).toBe('SAGA_CANCELLED');
  });

  it('compensates a COMPLETED saga on request', async () => {
    const { id } = await run({});
    await sagas.compensate(id, { actor: 'dave', reason: 'order returned' });
    const done = await until(() => sagas.get(id), (d) => d.status === 'COMPENSATED', 'COMPENSATED');
    expect(journal.calls(id).filter((c) => c.startsWith('compensate'))).toEqual(['compensate:step-d', 'compensate:step-c', 'compensate:step-a']);
    expect(done.compensationCause).toBe('OPERATOR');
    const e = done.events.find((x) => x.type === 'COMPENSATE_REQUESTED')!;
    expect([e.actor, e.reason]).toEqual(['dave', 'order returned']);
  });

  it('pauses after the step in flight and resumes where it stopped', async () => {
    const handle = await sagas.start(FlowSaga, { script: { 'step-b': { delayMs: 300 } } });
    await until(() => sagas.get(handle.sagaId), (d) => d.currentStep === 'step-b', 'step-b running');
    await sagas.pause(handle.sagaId, { actor: 'erin', reason: 'investigating' });
    const paused = await until(() => sagas.get(handle.sagaId), (d) => d.status === 'PAUSED', 'PAUSED');
    expect(stepStatuses(paused)).toMatchObject({ 'step-b': 'COMPLETED', 'step-c': 'PENDING' });
    expect(journal.calls(handle.sagaId)).toEqual(['execute:step-a', 'execute:step-b']);
    await sagas.resume(handle.sagaId, { actor: 'erin', reason: 'all good' });
    const done = await handle.result({ timeoutMs: 10_000 });
    expect(done.status).toBe('COMPLETED');
    expect(journal.calls(handle.sagaId)).toEqual(['execute:step-a', 'execute:step-b', 'execute:step-c', 'execute:step-d']);
    const paused2 = done.events.find((e) => e.type === 'SAGA_PAUSED')!;
    const resumed = done.events.find((e) => e.type === 'SAGA_RESUMED')!;
    expect([paused2.actor, paused2.reason, resumed.actor, resumed.reason]).toEqual(['erin', 'investigating', 'erin', 'all good']);
  });

  it('result() does not take a PAUSED saga for settled while a request waits on it (resumed from another instance)', async () => {
    const handle = await sagas.start(FlowSaga, { script: { 'step-b': { delayMs: 300 } } });
    await until(() => sagas.get(handle.sagaId), (d) => d.currentStep === 'step-b', 'step-b running');
    await sagas.pause(handle.sagaId, { actor: 'erin' });
    await until(() => sagas.get(handle.sagaId), (d) => d.status === 'PAUSED', 'PAUSED');
    // As another instance's resume leaves it: stored, not handed to a runner of this instance.
    const token = `resume-${Date.now()}`;
    const stored = await app.get(SagaStore).request(handle.sagaId, { action: 'resume', step: null, actor: 'frank', reason: null, token, at: new Date().toISOString() }, ['PAUSED'], null);
    expect(stored?.status).toBe('PAUSED');
    const done = await handle.result({ timeoutMs: 20_000 });
    expect(done.status).toBe('COMPLETED');
    expect(journal.calls(handle.sagaId)).toEqual(['execute:step-a', 'execute:step-b', 'execute:step-c', 'execute:step-d']);
  });

  it('counts every saga once in stats while many change status at once', async () => {
    const before = (await sagas.stats()).total;
    const handles = await Promise.all(Array.from({ length: 150 }, (_, i) => sagas.start(FlowSaga, { label: `stats-${i}` })));
    let settled = false;
    const results = Promise.all(handles.map((h) => h.result({ timeoutMs: 60_000 }))).finally(() => (settled = true));
    const totals: number[] = [];
    while (!settled) totals.push((await sagas.stats()).total);
    await results;
    totals.push((await sagas.stats()).total);
    expect(totals.length).toBeGreaterThan(1);
    expect(totals.filter((t) => t !== before + 150)).toEqual([]);
  });

  it('pauses a saga whose step has failure policy "pause", and retry runs that step again with fresh attempts', async () => {
    const input: FlowInput = { script: { 'step-careful': { failTimes: 2 } } };
    const { id, detail } = await run(input, CarefulFlowSaga);
    expect(detail.status).toBe('PAUSED');
    expect(detail.steps[1]).toMatchObject({ status: 'FAILED', attempts: 2 });
    await sagas.retry(id, { actor: 'frank', reason: 'fixed config' });
    const done = await until(() => sagas.get(id), (d) => d.status === 'COMPLETED', 'COMPLETED after retry');
    expect(done.steps[1]).toMatchObject({ status: 'COMPLETED', attempts: 3 });
  });

  it('returns the existing saga when started again with the same idempotency key', async () => {
    const first = await sagas.start(FlowSaga, { label: 'once' }, { idempotencyKey: 'order-42' });
    const second = await sagas.start(FlowSaga, { label: 'once' }, { idempotencyKey: 'order-42' });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.sagaId).toBe(first.sagaId);
    await first.result();
    const page = await sagas.list({ q: 'order-42' });
    expect(page.items).toHaveLength(1);
    expect(journal.calls(first.sagaId)).toHaveLength(4);
    const concurrent = await Promise.all([1, 2, 3, 4, 5].map(() => sagas.start(FlowSaga, {}, { idempotencyKey: 'order-43' })));
    expect(new Set(concurrent.map((h) => h.sagaId)).size).toBe(1);
    expect(concurrent.filter((h) => h.created)).toHaveLength(1);
  });

  it('refuses every transition the status does not allow with InvalidSagaTransitionError', async () => {
    const { id: completed } = await run({});
    for (const action of ['cancel', 'pause', 'resume', 'retry'] as const) {
      await expect(sagas[action](completed, { reason: 'x' })).rejects.toBeInstanceOf(InvalidSagaTransitionError);
    }
    await expect(sagas.resolveStep(completed, 'step-a', { reason: 'x' })).rejects.toBeInstanceOf(InvalidSagaTransitionError);
    const { id: compensated } = await run({ script: { 'step-a': { failAlways: true, nonRetryable: true } } });
    for (const action of ['cancel', 'compensate', 'pause', 'resume', 'retry'] as const) {
      await expect(sagas[action](compensated, {})).rejects.toMatchObject({ code: 'INVALID_SAGA_TRANSITION', sagaId: compensated });
    }
    const { id: failed } = await run({ script: { 'step-b': { failAlways: true, nonRetryable: true }, 'step-a': { compFailAlways: true } } });
    for (const action of ['cancel', 'pause', 'resume'] as const) {
      await expect(sagas[action](failed, {})).rejects.toBeInstanceOf(InvalidSagaTransitionError);
    }
    await expect(sagas.get('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'SAGA_NOT_FOUND' });
    await expect(sagas.cancel('not-a-uuid')).rejects.toMatchObject({ code: 'SAGA_NOT_FOUND' });
    await expect(sagas.start('no-such-saga', {})).rejects.toMatchObject({ code: 'SAGA_DEFINITION_NOT_FOUND' });
  });

  it('lists newest first with keyset paging, filters and stats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await sagas.start(FlowSaga, { label: `page-${i}` }, { idempotencyKey: `page-${i}` })).sagaId);
    await Promise.all(ids.map((id) => sagas.get(id)));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await sagas.list({ q: 'page-', limit: 3, cursor });
      seen.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    await Promise.all(ids.map((id, i) => sagas.start(FlowSaga, { label: `page-${i}` }, { idempotencyKey: `page-${i}` }).then((h) => h.result())));
    const completed = await sagas.list({ status: ['COMPLETED'], name: 'flow', limit: 500 });
    expect(completed.items.every((s) => s.status === 'COMPLETED' && s.name === 'flow')).toBe(true);
    const stats = await sagas.stats();
    expect(stats.byName.flow?.COMPLETED).toBeGreaterThanOrEqual(7);
    expect(stats.total).toBe(Object.values(stats.byStatus).reduce((a, b) => a + b, 0));
    await expect(sagas.list({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'cursor' });
    await expect(sagas.list({ limit: 501 })).rejects.toMatchObject({ field: 'limit' });
  });

  it('describes the registered sagas', () => {
    const flow = sagas.definitions().find((d) => d.name === 'flow')!;
    expect(flow.steps.map((s) => [s.name, s.hasCompensation])).toEqual([
      ['step-a', true],
      ['step-b', false],
      ['step-c', true],
      ['step-d', true],
    ]);
    expect(flow.steps[0].retry).toMatchObject({ maxAttempts: 3, initialDelayMs: 40 });
  });
});
