/**
 * An idempotency key names one saga and its input: the same start again returns that saga, the same
 * key with another input is a conflict, on every store and when the two starts race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { SagaIdempotencyConflictError, SagaService } from '../src/index.js';
import { createSagaTestingModule } from '../src/testing/index.js';
import { DeadlineFlagSaga, FlowModule, FlowSaga } from './support/flow.fixtures.js';
import { bootSagaApp } from './support/saga-app.js';

const closers: (() => Promise<unknown>)[] = [];
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('saga_idem');
});

afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
  await db?.drop();
});

const stores: [string, () => Promise<SagaService>][] = [
  [
    'PostgreSQL store',
    async () => {
      const app = await bootSagaApp(db.url, { imports: [FlowModule] });
      closers.push(() => app.close());
      return app.get(SagaService);
    },
  ],
  [
    'in-memory store',
    async () => {
      const t = await createSagaTestingModule({ imports: [FlowModule] });
      closers.push(() => t.close());
      return t.module.get(SagaService);
    },
  ],
];

describe.each(stores)('idempotent start on the %s', (_name, boot) => {
  let sagas: SagaService;
  const key = (label: string) => `${label}-${crypto.randomUUID()}`;

  beforeAll(async () => {
    sagas = await boot();
  });

  it('returns the existing saga for the same input, whatever the order of its keys', async () => {
    const k = key('same');
    const first = await sagas.start(FlowSaga, { label: 'a', script: { 'step-b': { failTimes: 1 } } }, { idempotencyKey: k });
    const again = await sagas.start(FlowSaga, { script: { 'step-b': { failTimes: 1 } }, label: 'a' }, { idempotencyKey: k });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, sagaId: first.sagaId });
    expect((await first.result({ timeoutMs: 30_000 })).status).toBe('COMPLETED');
    // Still the same saga once it has finished.
    expect(await sagas.start(FlowSaga, { label: 'a', script: { 'step-b': { failTimes: 1 } } }, { idempotencyKey: k })).toMatchObject({ created: false, sagaId: first.sagaId });
  });

  it('refuses the same key with a different input, or for another saga, with IDEMPOTENCY_KEY_CONFLICT and the existing saga id', async () => {
    const k = key('conflict');
    const first = await sagas.start(FlowSaga, { label: 'a' }, { idempotencyKey: k });
    const conflict = await sagas.start(FlowSaga, { label: 'b' }, { idempotencyKey: k }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(SagaIdempotencyConflictError);
    expect(conflict).toMatchObject({ code: 'IDEMPOTENCY_KEY_CONFLICT', sagaId: first.sagaId, sagaName: 'flow', idempotencyKey: k });
    expect((conflict as Error).message).toContain(`(id=${first.sagaId}), started with a different input`);
    expect((conflict as Error).message).toMatch(/use a new key/);
    await expect(sagas.start(FlowSaga, { label: 'a', extra: 1 } as never, { idempotencyKey: k })).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_CONFLICT' });
    await expect(sagas.start(FlowSaga, {}, { idempotencyKey: k })).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_CONFLICT' });
    await expect(sagas.start(DeadlineFlagSaga, { label: 'a' }, { idempotencyKey: k })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_CONFLICT',
      sagaId: first.sagaId,
      message: expect.stringContaining('as saga "flow", not "deadline-flag-flow"'),
    });
    const page = await sagas.list({ q: k });
    expect(page.items.map((s) => s.id)).toEqual([first.sagaId]);
  });

  it('lets one of two racing starts with the same key and different inputs win; the other gets the conflict', async () => {
    for (let round = 0; round < 10; round++) {
      const k = key(`race-${round}`);
      const results = await Promise.allSettled([
        sagas.start(FlowSaga, { label: 'left' }, { idempotencyKey: k }),
        sagas.start(FlowSaga, { label: 'right' }, { idempotencyKey: k }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ sagaId: string; created: boolean }>).value);
      const lost = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
      expect(won).toHaveLength(1);
      expect(won[0].created).toBe(true);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toMatchObject({ code: 'IDEMPOTENCY_KEY_CONFLICT', sagaId: won[0].sagaId });
    }
    // Racing starts with the same input all get the one saga.
    const k = key('race-same');
    const same = await Promise.all(Array.from({ length: 6 }, () => sagas.start(FlowSaga, { label: 'x' }, { idempotencyKey: k })));
    expect(new Set(same.map((h) => h.sagaId)).size).toBe(1);
    expect(same.filter((h) => h.created)).toHaveLength(1);
  });
});
