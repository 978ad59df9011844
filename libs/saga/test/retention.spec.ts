/**
 * Retention on PostgreSQL: the scheduled job deletes finished sagas past the cutoff with their
 * history, in bounded batches, and leaves every other saga alone, running ones included.
 */
import { randomUUID } from 'node:crypto';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { SagaConfigurationError, SagaModule, SagaNotFoundError, SagaRetentionJob, SagaService, type SagaRetentionDeletion } from '../src/index.js';
import { InMemorySagaStore } from '../src/testing/index.js';
import { PostgresSagaRetentionStore } from '../src/lib/persistence/postgres-saga-retention.store.js';
import type { SqlConnection, SqlPool } from '../src/lib/persistence/sql-pool.js';
import { bootSagaApp, until } from './support/saga-app.js';
import { FlowModule, FlowSaga, type FlowInput } from './support/flow.fixtures.js';

const HOUR = 3_600_000;

let db: TestDatabase;
let sql: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase('saga_retention');
  sql = new pg.Pool({ connectionString: db.url, max: 4 });
  // Dropping the database at the end terminates whatever is still connected: not an error here.
  sql.on('error', () => undefined);
  sql.on('connect', (client) => client.on('error', () => undefined));
});

afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

/** Makes sagas look as if they started and finished `ms` ago. */
async function age(ids: string[], ms: number): Promise<void> {
  await sql.query(
    `UPDATE saga_instances SET created_at = created_at - $2 * interval '1 millisecond',
       finished_at = finished_at - $2 * interval '1 millisecond' WHERE id = ANY($1::uuid[])`,
    [ids, ms],
  );
}

async function statusesOf(ids: string[]): Promise<Record<string, string>> {
  const { rows } = await sql.query(`SELECT id, status FROM saga_instances WHERE id = ANY($1::uuid[])`, [ids]);
  return Object.fromEntries(rows.map((r) => [r.id, r.status]));
}

async function historyRows(ids: string[]): Promise<number> {
  const { rows } = await sql.query(`SELECT count(*)::int AS n FROM saga_events WHERE saga_id = ANY($1::uuid[])`, [ids]);
  return rows[0].n;
}

describe('retention', () => {
  it('deletes only finished sagas past the cutoff, with their history, in batches, while other sagas run', async () => {
    const app = await bootSagaApp(db.url, { imports: [FlowModule] }, { retention: { finishedAfterMs: HOUR, intervalMs: 24 * HOUR, batchSize: 10 } });
    try {
      const sagas = app.get(SagaService);
      const job = app.get(SagaRetentionJob);
      expect(job.enabled).toBe(true);
      const settle = async (input: FlowInput) => {
        const handle = await sagas.start(FlowSaga, input);
        return (await handle.result({ timeoutMs: 20_000 })).id;
      };
      const completed = await Promise.all(Array.from({ length: 25 }, () => settle({})));
      const compensated = await Promise.all(Array.from({ length: 4 }, () => settle({ script: { 'step-c': { failAlways: true, nonRetryable: true } } })));
      const failed = await Promise.all(
        Array.from({ length: 3 }, () => settle({ script: { 'step-c': { failAlways: true, nonRetryable: true }, 'step-a': { compFailAlways: true } } })),
      );
      const cancelled: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { sagaId } = await sagas.start(FlowSaga, { script: { 'step-c': { delayMs: 10_000 } } });
        await until(() => sagas.get(sagaId), (d) => d.steps[2]!.status === 'RUNNING', 'step-c running');
        await sagas.cancel(sagaId, { reason: 'test' });
        cancelled.push(sagaId);
      }
      const st = await until(() => statusesOf([...compensated, ...failed, ...cancelled]), (s) => Object.keys(s).length === 10 && cancelled.every((id) => s[id] === 'CANCELLED'), 'settled');
      expect(compensated.map((id) => st[id])).toEqual(['COMPENSATED', 'COMPENSATED', 'COMPENSATED', 'COMPENSATED']);
      expect(failed.map((id) => st[id])).toEqual(['FAILED', 'FAILED', 'FAILED']);

      // Past the cutoff: 22 completed, the compensated, the cancelled (29 to delete) and the failed (kept).
      const oldCompleted = completed.slice(0, 22);
      const recentCompleted = completed.slice(22);
      const doomed = [...oldCompleted, ...compensated, ...cancelled];
      await age([...doomed, ...failed], 2 * HOUR);
      // A live saga that started long ago: retention never touches it.
      const oldRunning = (await sagas.start(FlowSaga, { script: { 'step-b': { delayMs: 3_000 } } })).sagaId;
      await until(() => sagas.get(oldRunning), (d) => d.status === 'RUNNING', 'old one running');
      await age([oldRunning], 2 * HOUR);
      // And sagas running while the job deletes.
      const running = await Promise.all(Array.from({ length: 10 }, async () => (await sagas.start(FlowSaga, { script: { 'step-c': { delayMs: 300 } } })).sagaId));
      const keptHistory = await historyRows([...recentCompleted, ...failed]);
      expect(await historyRows(doomed)).toBeGreaterThan(29 * 4);

      const batches: SagaRetentionDeletion[] = [];
      const subscription = job.deletions$.subscribe((b) => batches.push(b));
      const run = await job.purge();
      subscription.unsubscribe();

      expect(run).toMatchObject({ sagas: 29, batches: 3 });
      expect(batches.map((b) => b.sagas)).toEqual([10, 10, 9]);
      const byStatus: Record<string, number> = {};
      for (const b of batches) for (const c of b.bySaga) byStatus[c.status] = (byStatus[c.status] ?? 0) + c.count;
      expect(byStatus).toEqual({ COMPLETED: 22, COMPENSATED: 4, CANCELLED: 3 });
      expect(batches.every((b) => b.bySaga.every((c) => c.sagaName === 'flow'))).toBe(true);
      expect(job.deletedTotal).toBe(29);

      expect(await statusesOf(doomed)).toEqual({});
      expect(await historyRows(doomed)).toBe(0);
      expect(run.events).toBeGreaterThan(29 * 4);
      await expect(sagas.get(doomed[0]!)).rejects.toBeInstanceOf(SagaNotFoundError);
      // Everything else is as it was: recent ones, FAILED ones (they wait for an operator), live ones.
      const kept = await statusesOf([...recentCompleted, ...failed, oldRunning]);
      expect(Object.values(kept).sort()).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED', 'FAILED', 'FAILED', 'RUNNING']);
      expect(await historyRows([...recentCompleted, ...failed])).toBe(keptHistory);
      // The sagas that ran meanwhile finish as ever.
      await until(() => statusesOf([...running, oldRunning]), (s) => Object.values(s).length === 11 && Object.values(s).every((x) => x === 'COMPLETED'), 'all completed');
      // Nothing more is due.
      expect(await job.purge()).toMatchObject({ sagas: 0, batches: 0 });
    } finally {
      await app.close();
    }
  });

  it('deletes at most batchSize rows per statement, and skips a finished saga someone holds without waiting for it', async () => {
    // Seeded directly: three old finished sagas with 30 history rows each, and one old saga a
    // concurrent transaction holds (an operator's request being written, say).
    const seeded: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = randomUUID();
      seeded.push(id);
      await sql.query(
        `INSERT INTO saga_instances (id, name, status, steps, created_at, finished_at)
         VALUES ($1, 'seeded', 'COMPLETED', '[]'::jsonb, now() - interval '3 hours', now() - interval '3 hours')`,
        [id],
      );
      await sql.query(`INSERT INTO saga_events (saga_id, type) SELECT $1, 'STEP_SUCCEEDED' FROM generate_series(1, 30)`, [id]);
    }
    const holder = await sql.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT id FROM saga_instances WHERE id = $1 FOR UPDATE`, [seeded[3]]);

    const statements: { text: string; rows: number }[] = [];
    const recording: SqlPool = {
      query: (text, values) => sql.query(text, values as unknown[]) as never,
      connect: async () => {
        const client = await sql.connect();
        const wrapped: SqlConnection = {
          query: async (text, values) => {
            const res = await client.query(text, values as unknown[]);
            statements.push({ text: (typeof text === 'string' ? text : text.text).trim().split(/\s+/).slice(0, 3).join(' '), rows: res.rowCount ?? 0 });
            return res as never;
          },
          release: (error) => client.release(error as Error | undefined),
        };
        return wrapped;
      },
    };
    const store = new PostgresSagaRetentionStore(() => recording);
    try {
      const batch = await store.deleteFinishedSagas(2 * HOUR, 25);
      expect(batch.sagas.map((s) => s.id).sort()).toEqual(seeded.slice(0, 3).sort());
      expect(batch.events).toBe(90);
      const deletes = statements.filter((s) => s.text.startsWith('DELETE'));
      expect(deletes.map((s) => s.rows)).toEqual([25, 25, 25, 15, 3]);
      expect(Math.max(...statements.map((s) => s.rows))).toBeLessThanOrEqual(25);
      expect(await statusesOf(seeded)).toEqual({ [seeded[3]!]: 'COMPLETED' });
    } finally {
      await holder.query('COMMIT');
      holder.release();
    }
    // Once let go, the next batch takes it.
    const next = await store.deleteFinishedSagas(2 * HOUR, 25);
    expect(next.sagas.map((s) => s.id)).toEqual([seeded[3]]);
    expect(await historyRows(seeded)).toBe(0);
  });

  it('runs by itself on its interval, and deletes finished bulk actions past the cutoff too', async () => {
    const app = await bootSagaApp(db.url, { imports: [FlowModule] }, { retention: { finishedAfterMs: HOUR, intervalMs: 100 } });
    try {
      const sagas = app.get(SagaService);
      const id = (await (await sagas.start(FlowSaga, {})).result({ timeoutMs: 20_000 })).id;
      const bulkId = randomUUID();
      await sql.query(
        `INSERT INTO saga_bulk_actions (id, action, status, filter, reason, actor, rate_per_sec, total, done, succeeded, created_at, finished_at)
         VALUES ($1, 'cancel', 'DONE', '{}'::jsonb, 'old', 'operator', 50, 1, 1, 1, now() - interval '3 hours', now() - interval '3 hours')`,
        [bulkId],
      );
      await sql.query(`INSERT INTO saga_bulk_action_items (bulk_action_id, seq, saga_id, outcome) VALUES ($1, 1, $2, 'SUCCEEDED')`, [bulkId, id]);
      await age([id], 2 * HOUR);
      await until(() => statusesOf([id]), (s) => Object.keys(s).length === 0, 'the old saga deleted by the scheduled job');
      await until(
        async () => (await sql.query(`SELECT count(*)::int AS n FROM saga_bulk_actions WHERE id = $1`, [bulkId])).rows[0].n,
        (n) => n === 0,
        'the old bulk action deleted',
      );
      expect((await sql.query(`SELECT count(*)::int AS n FROM saga_bulk_action_items WHERE bulk_action_id = $1`, [bulkId])).rows[0].n).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('is off unless configured, and refuses a store it cannot work on or options that cannot work', async () => {
    const app = await bootSagaApp(db.url, { imports: [FlowModule] });
    try {
      const job = app.get(SagaRetentionJob);
      expect(job.enabled).toBe(false);
      expect(await job.purge()).toEqual({ sagas: 0, events: 0, bulkActions: 0, batches: 0 });
    } finally {
      await app.close();
    }
    const boot = (options: object) =>
      Test.createTestingModule({ imports: [ScheduleModule.forRoot(), SagaModule.forRoot(options)] })
        .compile()
        .then((m) => m.createNestApplication({ logger: false }).init());
    await expect(boot({ store: new InMemorySagaStore(), retention: { finishedAfterMs: HOUR } })).rejects.toThrow(SagaConfigurationError);
    await expect(boot({ store: new InMemorySagaStore(), retention: { finishedAfterMs: HOUR, batchSize: 5_000 } })).rejects.toThrow(/batchSize must be an integer from 1 to 1000/);
    await expect(boot({ store: new InMemorySagaStore(), retention: { finishedAfterMs: 10 } })).rejects.toThrow(/finishedAfterMs/);
  });
});

