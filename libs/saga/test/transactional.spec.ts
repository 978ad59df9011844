/**
 * Transactional steps (`@SagaStep(name, { transactional: true })`) on a real PostgreSQL database:
 * the step's writes through `ctx.manager` commit with its checkpoint and history, or not at all.
 */
import type { INestApplication } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import {
  NonRetryableStepError,
  Saga,
  SagaDefinition,
  SagaService,
  SagaStep,
  TransactionalStepsUnsupportedError,
  type SagaStepHandler,
  type StepContext,
} from '../src/index.js';
import { createSagaTestingModule } from '../src/testing/index.js';
import { bootSagaApp, until } from './support/saga-app.js';

interface TxInput {
  /** Per step: throw after the insert on this many attempts (retryable), then succeed. */
  failTimes?: Record<string, number>;
  /** Per step: fail for good after the insert. */
  failForGood?: string;
  /** Per step: insert, then wait past the step's timeout ignoring the signal. */
  hang?: string;
  /** Per step: insert, then wait for the test to open `gates[gateKey]`. */
  gate?: string;
  gateKey?: string;
}

const gates = new Map<string, { reached: () => void; open: Promise<void> }>();

async function insertRow(ctx: StepContext): Promise<void> {
  await ctx.manager.query(`INSERT INTO tx_rows (saga_id, step, phase, attempt) VALUES ($1, $2, $3, $4)`, [ctx.sagaId, ctx.stepName, ctx.phase, ctx.attempt]);
}

abstract class RowStep implements SagaStepHandler<TxInput, { step: string }> {
  async execute(input: TxInput, ctx: StepContext) {
    await insertRow(ctx);
    if ((input.failTimes?.[ctx.stepName] ?? 0) >= ctx.attempt) throw new Error(`planned failure of ${ctx.stepName} #${ctx.attempt}`);
    if (input.failForGood === ctx.stepName) throw new NonRetryableStepError(`${ctx.stepName} fails for good`);
    if (input.hang === ctx.stepName) await new Promise((r) => setTimeout(r, 1_500));
    if (input.gate === ctx.stepName) {
      const gate = gates.get(input.gateKey!)!;
      gate.reached();
      await gate.open;
    }
    return { step: ctx.stepName };
  }
  async compensate(_input: TxInput, _output: unknown, ctx: StepContext) {
    await insertRow(ctx);
  }
}

const retry = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5, jitter: 0 };

@SagaStep('tx-a', { transactional: true, retry })
class TxA extends RowStep {}
@SagaStep('tx-b', { transactional: true, retry, timeoutMs: 300 })
class TxB extends RowStep {}
@SagaStep('tx-c', { transactional: true, retry })
class TxC extends RowStep {}
@SagaStep('tx-d', { transactional: true, retry })
class TxD extends RowStep {}

@SagaStep('plain-reads-manager')
class PlainStep implements SagaStepHandler<unknown, string> {
  execute(_input: unknown, ctx: StepContext) {
    return typeof ctx.manager;
  }
}

@Saga('tx-four', { steps: [TxA, TxB, TxC, TxD] })
class TxFour extends SagaDefinition<TxInput> {}
@Saga('plain-manager', { steps: [PlainStep] })
class PlainManager extends SagaDefinition<unknown> {}

@Module({ providers: [TxA, TxB, TxC, TxD, PlainStep, TxFour, PlainManager] })
class TxModule {}

let db: TestDatabase;
let app: INestApplication;
let ds: DataSource;
let sagas: SagaService;

beforeAll(async () => {
  db = await createTestDatabase('saga_tx');
  app = await bootSagaApp(db.url, { imports: [TxModule] }, { leaseMs: 2_000 });
  ds = app.get<DataSource>(getDataSourceToken() as string);
  await ds.query(`CREATE TABLE tx_rows (id serial PRIMARY KEY, saga_id uuid NOT NULL, step varchar NOT NULL, phase varchar NOT NULL, attempt int NOT NULL)`);
  sagas = app.get(SagaService);
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

async function rowsOf(sagaId: string): Promise<string[]> {
  const rows: { step: string; phase: string }[] = await ds.query(`SELECT step, phase FROM tx_rows WHERE saga_id = $1 ORDER BY id`, [sagaId]);
  return rows.map((r) => `${r.phase}:${r.step}`);
}

async function settled(sagaId: string) {
  return until(() => sagas.get(sagaId), (s) => ['COMPLETED', 'COMPENSATED', 'FAILED', 'PAUSED', 'CANCELLED'].includes(s.status), `saga ${sagaId} to settle`);
}

describe('transactional steps', () => {
  it('commits each step\'s writes with its checkpoint: one row per step, and its success in the history', async () => {
    const handle = await sagas.start(TxFour, {});
    expect((await settled(handle.sagaId)).status).toBe('COMPLETED');
    expect(await rowsOf(handle.sagaId)).toEqual(['execute:tx-a', 'execute:tx-b', 'execute:tx-c', 'execute:tx-d']);
    const { events } = await sagas.get(handle.sagaId);
    expect(events.filter((e) => e.type === 'STEP_SUCCEEDED').map((e) => e.step)).toEqual(['tx-a', 'tx-b', 'tx-c', 'tx-d']);
  });

  it('rolls back the writes of a failed attempt: the retry that succeeds leaves the only row', async () => {
    const handle = await sagas.start(TxFour, { failTimes: { 'tx-b': 2 } });
    const saga = await settled(handle.sagaId);
    expect(saga.status).toBe('COMPLETED');
    expect(saga.steps.find((s) => s.name === 'tx-b')!.attempts).toBe(3);
    expect(await rowsOf(handle.sagaId)).toEqual(['execute:tx-a', 'execute:tx-b', 'execute:tx-c', 'execute:tx-d']);
  });

  it('rolls back an attempt that timed out, whose code ignores the signal', async () => {
    const handle = await sagas.start(TxFour, { hang: 'tx-b', failTimes: {} });
    const saga = await settled(handle.sagaId);
    // Every attempt timed out; each one's insert was rolled back, so there is nothing to compensate in tx-b.
    expect(saga.status).toBe('COMPENSATED');
    const b = saga.steps.find((s) => s.name === 'tx-b')!;
    expect(b.attempts).toBe(3);
    expect(b.outcomeUnknown).toBe(false);
    expect(b.compensation.status).toBe(null);
    // Give a late statement of the hung code the chance to show up, had it escaped the transaction.
    await new Promise((r) => setTimeout(r, 1_600));
    expect(await rowsOf(handle.sagaId)).toEqual(['execute:tx-a', 'compensate:tx-a']);
  });

  it('compensates in a transaction too: a step failing for good leaves only the undo rows of the steps before it', async () => {
    const handle = await sagas.start(TxFour, { failForGood: 'tx-c' });
    const saga = await settled(handle.sagaId);
    expect(saga.status).toBe('COMPENSATED');
    expect(await rowsOf(handle.sagaId)).toEqual(['execute:tx-a', 'execute:tx-b', 'compensate:tx-b', 'compensate:tx-a']);
    const { events } = await sagas.get(handle.sagaId);
    expect(events.filter((e) => e.type === 'STEP_COMPENSATED').map((e) => e.step)).toEqual(['tx-b', 'tx-a']);
  });

  it('a stale owner\'s transaction finds the fence moved and rolls back its writes', async () => {
    let reached!: () => void;
    const atGate = new Promise<void>((r) => (reached = r));
    let open!: () => void;
    const gateKey = crypto.randomUUID();
    gates.set(gateKey, { reached, open: new Promise<void>((r) => (open = r)) });
    const handle = await sagas.start(TxFour, { gate: 'tx-b', gateKey });
    await atGate;
    // Another instance takes the saga over while tx-b is inside its transaction.
    await ds.query(`UPDATE saga_instances SET owner_id = 'someone-else', fence = fence + 1, lease_expires_at = now() + interval '1 hour' WHERE id = $1`, [handle.sagaId]);
    open();
    await until(() => sagas.get(handle.sagaId), (d) => d.events.some((e) => e.type === 'LEASE_LOST'), 'the lost lease in the history');
    expect(await rowsOf(handle.sagaId)).toEqual(['execute:tx-a']);
    const saga = await sagas.get(handle.sagaId);
    expect(saga.steps.find((s) => s.name === 'tx-b')!.status).toBe('RUNNING');
    expect(saga.events.filter((e) => e.type === 'STEP_SUCCEEDED').map((e) => e.step)).toEqual(['tx-a']);
  });

  it('costs its own statements, START TRANSACTION, its checkpoint and COMMIT: 17 statements and 5 commits for 4 steps', async () => {
    // Every statement on every connection of the pool (the shared one and the steps' transactions).
    const pool = (ds.driver as unknown as { master: { on(e: string, l: (c: any) => void): void; off(e: string, l: (c: any) => void): void } }).master;
    const statements: string[] = [];
    const wrapped = new Set<any>();
    const onAcquire = (client: any) => {
      if (wrapped.has(client)) return;
      wrapped.add(client);
      const original = client.query;
      client.query = function (this: unknown, ...args: unknown[]) {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
        statements.push(String(text).replace(/\s+/g, ' ').trim());
        return original.apply(this, args);
      };
      client.__original = original;
    };
    pool.on('acquire', onAcquire);
    let sagaId = '';
    try {
      const handle = await sagas.start(TxFour, {});
      sagaId = handle.sagaId;
      expect((await settled(sagaId)).status).toBe('COMPLETED');
    } finally {
      pool.off('acquire', onAcquire);
      for (const client of wrapped) client.query = client.__original;
    }
    const mine = statements.filter((s) => /INSERT INTO saga_instances|UPDATE saga_instances s SET status|START TRANSACTION|INSERT INTO tx_rows|^(COMMIT|ROLLBACK|BEGIN)/.test(s));
    const writes = mine.filter((s) => /INSERT INTO saga_instances|UPDATE saga_instances s SET status/.test(s));
    expect(writes, mine.join('\n')).toHaveLength(5);
    // Each step: its transaction, its write, its checkpoint, then the COMMIT of all three.
    expect(mine.slice(1).map((s) => (s.startsWith('INSERT INTO tx_rows') ? 'write' : /UPDATE saga_instances/.test(s) ? 'checkpoint' : s)), mine.join('\n')).toEqual(
      Array.from({ length: 4 }, () => ['START TRANSACTION', 'write', 'checkpoint', 'COMMIT']).flat(),
    );
    expect(mine.filter((s) => /^(ROLLBACK|BEGIN)/.test(s))).toEqual([]);
    expect(mine).toHaveLength(17);
    expect(await rowsOf(sagaId)).toHaveLength(4);
  });

  it('tells a step that is not transactional that it has no ctx.manager', async () => {
    const handle = await sagas.start(PlainManager, {});
    const saga = await settled(handle.sagaId);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.steps[0].error?.message).toMatch(/ctx\.manager exists only in transactional steps.*transactional: true/);
  });

  it('refuses to boot a transactional step on a store that cannot run it (the in-memory store)', async () => {
    const boot = createSagaTestingModule({ imports: [TxModule] });
    await expect(boot).rejects.toBeInstanceOf(TransactionalStepsUnsupportedError);
    await expect(createSagaTestingModule({ imports: [TxModule] })).rejects.toThrow(/tx-a.*transactional.*InMemorySagaStore/);
  });
});
