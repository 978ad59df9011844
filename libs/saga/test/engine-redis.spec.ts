/**
 * The engine on RedisSagaStore, in an app with no TypeORM: sagas run to completion, retry, compensate,
 * pause and resume, get cancelled; start is idempotent; the list pages; the connection is closed
 * with the app; PostgreSQL-only features refuse clearly.
 */
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SagaBulkService, SagaConfigurationError, SagaService } from '../src/index.js';
import { RedisSagaStore } from '../src/redis/index.js';
import { until } from './support/saga-app.js';
import { bootSagaAppOnStore } from './support/store-app.js';
import { deleteRedisPrefix, randomRedisPrefix, TEST_REDIS_URL } from './support/redis.js';
import { CarefulFlowSaga, DeadlineFlowSaga, FlowModule, FlowSaga, Journal, TimeoutFlowSaga, type FlowInput } from './support/flow.fixtures.js';

const prefix = randomRedisPrefix('engine');
let store: RedisSagaStore;
let app: INestApplication;
let sagas: SagaService;
let journal: Journal;

beforeAll(async () => {
  store = new RedisSagaStore({ url: TEST_REDIS_URL, keyPrefix: prefix });
  app = await bootSagaAppOnStore(store, { imports: [FlowModule] });
  sagas = app.get(SagaService);
  journal = app.get(Journal);
});

afterAll(async () => {
  await app?.close();
  await deleteRedisPrefix(store.keyPrefix);
});

async function run(input: FlowInput, saga: any = FlowSaga) {
  const handle = await sagas.start(saga, input);
  const detail = await handle.result({ timeoutMs: 20_000 });
  return { id: handle.sagaId, detail };
}

const stepStatuses = (d: { steps: { name: string; status: string }[] }) => Object.fromEntries(d.steps.map((s) => [s.name, s.status]));
const eventTypes = (d: { events: { type: string }[] }) => d.events.map((e) => e.type);

describe('saga engine on Redis', () => {
  it('runs every step in order, stores each output and completes, owned by nobody at the end', async () => {
    const { id, detail } = await run({ label: 'happy' });
    expect(detail.status).toBe('COMPLETED');
    expect(journal.calls(id)).toEqual(['execute:step-a', 'execute:step-b', 'execute:step-c', 'execute:step-d']);
    expect(detail.steps.map((s) => s.output)).toEqual([
      { step: 'step-a', attempt: 1 },
      { step: 'step-b', attempt: 1 },
      { step: 'step-c', attempt: 1 },
      { step: 'step-d', attempt: 1 },
    ]);
    expect(detail.lease.ownerId).toBeNull();
    expect(detail.finishedAt).not.toBeNull();
    expect(eventTypes(detail)).toEqual(['SAGA_STARTED', 'STEP_SUCCEEDED', 'STEP_SUCCEEDED', 'STEP_SUCCEEDED', 'STEP_SUCCEEDED', 'SAGA_COMPLETED']);
  });

  it('retries a step that fails twice and records every attempt', async () => {
    const { id, detail } = await run({ script: { 'step-b': { failTimes: 2 } } });
    expect(detail.status).toBe('COMPLETED');
    expect(detail.steps.find((s) => s.name === 'step-b')!.attempts).toBe(3);
    expect(journal.of(id).filter((e) => e.step === 'step-b').map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(detail.events.filter((e) => e.type === 'STEP_FAILED').map((e) => [e.step, e.attempt])).toEqual([
      ['step-b', 1],
      ['step-b', 2],
    ]);
  });

  it('compensates completed steps in reverse order when a step exhausts its retries', async () => {
    const { id, detail } = await run({ script: { 'step-d': { failAlways: true } } });
    expect(detail.status).toBe('COMPENSATED');
    expect(journal.calls(id).filter((c) => c.startsWith('compensate'))).toEqual(['compensate:step-c', 'compensate:step-a']);
    expect(stepStatuses(detail)).toEqual({ 'step-a': 'COMPENSATED', 'step-b': 'SKIPPED', 'step-c': 'COMPENSATED', 'step-d': 'FAILED' });
    expect(detail.compensationCause).toBe('STEP_FAILED');
  });

  it('ends FAILED when a compensation is exhausted; an operator retry finishes it', async () => {
    const { id, detail } = await run({ script: { 'step-d': { failAlways: true }, 'step-a': { compFailAlways: true } } });
    expect(detail.status).toBe('FAILED');
    journal.healed.add(`${id}:step-a`);
    await sagas.retry(id, { actor: 'alice', reason: 'provider back up' });
    await until(() => sagas.get(id), (d) => d.status === 'COMPENSATED', 'COMPENSATED after retry');
    expect(journal.calls(id).filter((c) => c === 'compensate:step-c')).toHaveLength(1);
  });

  it('aborts a step that runs past its timeout and compensates it as an unknown outcome', async () => {
    const { id, detail } = await run({ script: { 'step-slow': { delayMs: 5_000 } } }, TimeoutFlowSaga);
    expect(detail.status).toBe('COMPENSATED');
    const slow = detail.steps.find((s) => s.name === 'step-slow')!;
    expect(slow.outcomeUnknown).toBe(true);
    expect(journal.calls(id).filter((c) => c.startsWith('compensate'))).toEqual(['compensate:step-slow', 'compensate:step-a']);
  });

  it('compensates when the saga deadline passes during a step', async () => {
    const { id, detail } = await run({ script: { 'step-c': { delayMs: 5_000 } } }, DeadlineFlowSaga);
    expect(detail.status).toBe('COMPENSATED');
    expect(detail.compensationCause).toBe('DEADLINE');
    expect(eventTypes(detail)).toContain('DEADLINE_PASSED');
    expect(journal.calls(id)).not.toContain('execute:step-d');
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
  });

  it('pauses after the step in flight and resumes where it stopped', async () => {
    const handle = await sagas.start(FlowSaga, { script: { 'step-b': { delayMs: 300 } } });
    await until(() => sagas.get(handle.sagaId), (d) => d.currentStep === 'step-b', 'step-b running');
    await sagas.pause(handle.sagaId, { actor: 'erin', reason: 'investigating' });
    await until(() => sagas.get(handle.sagaId), (d) => d.status === 'PAUSED', 'PAUSED');
    expect(journal.calls(handle.sagaId)).toEqual(['execute:step-a', 'execute:step-b']);
    await sagas.resume(handle.sagaId, { actor: 'erin', reason: 'all good' });
    const done = await handle.result({ timeoutMs: 10_000 });
    expect(done.status).toBe('COMPLETED');
    expect(journal.calls(handle.sagaId)).toEqual(['execute:step-a', 'execute:step-b', 'execute:step-c', 'execute:step-d']);
  });

  it('pauses on a step with failure policy "pause"; retry runs it again', async () => {
    const { id, detail } = await run({ script: { 'step-careful': { failTimes: 2 } } }, CarefulFlowSaga);
    expect(detail.status).toBe('PAUSED');
    await sagas.retry(id, { actor: 'frank', reason: 'fixed config' });
    const done = await until(() => sagas.get(id), (d) => d.status === 'COMPLETED', 'COMPLETED after retry');
    expect(done.steps[1]).toMatchObject({ status: 'COMPLETED', attempts: 3 });
  });

  it('starts once per idempotency key, also concurrently, and lists and counts the sagas', async () => {
    const concurrent = await Promise.all([1, 2, 3, 4, 5].map(() => sagas.start(FlowSaga, {}, { idempotencyKey: 'redis-order-1' })));
    expect(new Set(concurrent.map((h) => h.sagaId)).size).toBe(1);
    expect(concurrent.filter((h) => h.created)).toHaveLength(1);
    await concurrent[0].result();
    expect((await sagas.list({ q: 'redis-order-' })).items.map((s) => s.id)).toEqual([concurrent[0].sagaId]);
    const pageThrough = async (filter: { name?: string }) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await sagas.list({ ...filter, limit: 3, cursor });
        seen.push(...page.items.map((s) => s.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      return seen;
    };
    const flows = await pageThrough({ name: 'flow' });
    const all = await pageThrough({});
    expect(all.filter((id) => flows.includes(id))).toEqual(flows);
    const stats = await sagas.stats();
    expect(stats.total).toBe(all.length);
    expect(Object.values(stats.byName.flow ?? {}).reduce((a, b) => a + (b ?? 0), 0)).toBe(flows.length);
    await expect(sagas.list({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'cursor' });
  });

  it('answers bulk actions (PostgreSQL only) with a configuration error', async () => {
    const bulk = app.get(SagaBulkService);
    await expect(bulk.preview({ action: 'cancel', filter: { status: ['RUNNING'] } } as never)).rejects.toBeInstanceOf(SagaConfigurationError);
  });
});

describe('RedisSagaStore lifecycle', () => {
  it('refuses retention (PostgreSQL only) at bootstrap with a SagaConfigurationError', async () => {
    const other = new RedisSagaStore({ url: TEST_REDIS_URL, keyPrefix: randomRedisPrefix('retention') });
    await expect(bootSagaAppOnStore(other, { imports: [FlowModule] }, { retention: { finishedAfterMs: 60_000 } })).rejects.toBeInstanceOf(SagaConfigurationError);
    await other.close();
  });

  it('closes its connection when the app shuts down', async () => {
    const own = new RedisSagaStore({ url: TEST_REDIS_URL, keyPrefix: randomRedisPrefix('shutdown') });
    const second = await bootSagaAppOnStore(own, { imports: [FlowModule] });
    await own.ping();
    await second.close();
    await expect(own.ping()).rejects.toThrow(/closed/);
    await deleteRedisPrefix(own.keyPrefix);
  });

  it('ping fails while Redis is unreachable', async () => {
    const nowhere = new RedisSagaStore({ url: 'redis://127.0.0.1:1', keyPrefix: randomRedisPrefix('nowhere') });
    await expect(nowhere.ping()).rejects.toThrow();
    await nowhere.close();
  });
});
