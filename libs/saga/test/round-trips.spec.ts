import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { SagaService, PostgresSagaStore } from '../src/index.js';
import type { NamedSqlQuery } from '../src/lib/persistence/postgres-saga.store.js';
import { FlowModule, FlowSaga } from './support/flow.fixtures.js';
import { bootSagaApp } from './support/saga-app.js';
import { recordStatements } from './support/statements.js';

let db: TestDatabase;
let app: INestApplication;

beforeAll(async () => {
  db = await createTestDatabase('saga_trips');
  app = await bootSagaApp(db.url, { imports: [FlowModule] }, { pollIntervalMs: 60_000 });
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('round trips', () => {
  it('runs a 4-step saga alone in 5 write statements: one insert, one checkpoint per step', async () => {
    const sagas = app.get(SagaService);
    // Let the poll that every instance makes at bootstrap pass first.
    await new Promise((r) => setTimeout(r, 200));
    const recorder = recordStatements(app.get<DataSource>(getDataSourceToken() as string));
    const done = new Promise<void>((resolve) => {
      const sub = sagas.events$.subscribe((e) => {
        if (e.type === 'SAGA_COMPLETED') {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    await sagas.start(FlowSaga, {});
    await done;
    recorder.stop();
    const writes = recorder.statements.filter((s) => /INSERT INTO saga_instances|UPDATE saga_instances/.test(s));
    expect(writes, writes.join('\n')).toHaveLength(5);
    expect(writes[0]).toMatch(/^WITH ins AS \( INSERT INTO saga_instances/);
    // Each is a single autocommit statement: no BEGIN/COMMIT round trips.
    expect(recorder.statements.filter((s) => /^(BEGIN|COMMIT|START TRANSACTION)/i.test(s))).toEqual([]);
    // Prepared once per connection: the start and the checkpoints go as named statements.
    const writeNames = recorder.statements.flatMap((s, i) => (/INSERT INTO saga_instances|UPDATE saga_instances/.test(s) ? [recorder.names[i]] : []));
    expect(writeNames).toEqual(['saga_insert', 'saga_checkpoint', 'saga_checkpoint', 'saga_checkpoint', 'saga_checkpoint']);
  });

  it('with preparedStatements: false (a pooler in transaction mode), sends every statement unnamed and still runs sagas', async () => {
    const plainDb = await createTestDatabase('saga_trips_plain');
    const plain = await bootSagaApp(plainDb.url, { imports: [FlowModule] }, { pollIntervalMs: 60_000, preparedStatements: false });
    try {
      const recorder = recordStatements(plain.get<DataSource>(getDataSourceToken() as string));
      const handle = await plain.get(SagaService).start(FlowSaga, {});
      expect((await handle.result({ timeoutMs: 60_000 })).status).toBe('COMPLETED');
      recorder.stop();
      expect(recorder.statements.filter((s) => /INSERT INTO saga_instances|UPDATE saga_instances/.test(s))).toHaveLength(5);
      expect(recorder.names.filter((n) => n !== null)).toEqual([]);
    } finally {
      await plain.close();
      await plainDb.drop();
    }
  });

  it('writes the checkpoints of concurrent sagas together (group commit), each with its own fence result', async () => {
    const statements: string[] = [];
    let holding = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pool = (app.get<DataSource>(getDataSourceToken() as string).driver as unknown as { master: any }).master;
    // Hold the first batch in flight so the next checkpoints queue up behind it.
    const store = new PostgresSagaStore(
      {
        query: async (text: string | NamedSqlQuery, values?: unknown[]) => {
          statements.push(typeof text === 'string' ? text : text.text);
          if (holding && statements.length === 1) await gate;
          return pool.query(text, values);
        },
      },
      undefined,
      { maxConcurrentBatches: 1 },
    );
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { saga } = await store.insert(
        { id: crypto.randomUUID(), name: 'flow', version: 1, status: 'RUNNING', input: {}, idempotencyKey: null, steps: [], deadlineMs: null, ownerId: 'me', leaseMs: 30_000 },
        [],
      );
      ids.push(saga.id);
    }
    statements.length = 0;
    holding = true;
    const cp = (sagaId: string, fence: number) => ({
      sagaId,
      ownerId: 'me',
      fence,
      status: 'RUNNING' as const,
      currentStep: 1,
      steps: [],
      error: null,
      compensationCause: null,
      deadlineHandled: false,
      finished: false,
      release: false,
      nextRunInMs: 0,
      leaseMs: 30_000,
      clearRequestToken: null,
      events: [{ type: 'STEP_SUCCEEDED' as const, step: 'a', attempt: 1 }],
    });
    const results = ids.map((id, i) => store.checkpoint(cp(id, i === 3 ? 99 : 1)));
    release();
    const outcomes = await Promise.all(results);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, false, true, true]);
    expect(statements).toHaveLength(2);
    const events = await Promise.all(ids.map((id) => store.getEvents(id)));
    expect(events.map((e) => e.length)).toEqual([1, 1, 1, 0, 1, 1]);
  });

  it('writes concurrent starts together, and an idempotency key repeated inside one batch still makes one saga', async () => {
    const statements: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pool = (app.get<DataSource>(getDataSourceToken() as string).driver as unknown as { master: any }).master;
    const store = new PostgresSagaStore(
      {
        query: async (text: string | NamedSqlQuery, values?: unknown[]) => {
          statements.push(typeof text === 'string' ? text : text.text);
          if (statements.length === 1) await gate;
          return pool.query(text, values);
        },
      },
      undefined,
      { maxConcurrentBatches: 1 },
    );
    const start = (key: string | null) =>
      store.insert(
        { id: crypto.randomUUID(), name: 'flow', version: 1, status: 'PENDING', input: { key }, idempotencyKey: key, steps: [], deadlineMs: null, ownerId: null, leaseMs: 1_000 },
        [{ type: 'SAGA_STARTED' }],
      );
    const suffix = Math.random().toString(36).slice(2);
    const pending = [start(`first-${suffix}`), start(`a-${suffix}`), start(null), start(`b-${suffix}`), start(`b-${suffix}`)];
    release();
    const results = await Promise.all(pending);
    expect(results.map((r) => r.created)).toEqual([true, true, true, true, false]);
    expect(results[4].saga.id).toBe(results[3].saga.id);
    expect(statements.filter((t) => t.includes('INSERT INTO saga_instances'))).toHaveLength(2);
    const events = await Promise.all(results.slice(0, 4).map((r) => store.getEvents(r.saga.id)));
    expect(events.map((e) => e.map((x) => x.type))).toEqual([['SAGA_STARTED'], ['SAGA_STARTED'], ['SAGA_STARTED'], ['SAGA_STARTED']]);
  });
});
