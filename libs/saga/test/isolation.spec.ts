/**
 * Nothing poisons its neighbours (SPEC section 9): a value PostgreSQL refuses fails only the saga or
 * step it belongs to, never the other sagas written in the same statement, and never leaves a saga
 * RUNNING with its lease held.
 */
import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { SagaService, SagaValidationError, PostgresSagaStore, sagaMigrations } from '../src/index.js';
import type { NamedSqlQuery } from '../src/lib/persistence/postgres-saga.store.js';
import type { Checkpoint, NewSaga } from '../src/lib/persistence/saga.store.js';
import { FlowModule, FlowSaga, Journal, TRIGGER_REFUSES, type BadOutput, type FlowInput } from './support/flow.fixtures.js';
import { bootSagaApp, until } from './support/saga-app.js';
import { withClient } from './support/processes.js';

const apps: INestApplication[] = [];
const dbs: TestDatabase[] = [];

afterAll(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  for (const db of dbs) await db.drop();
});

async function database(prefix: string): Promise<TestDatabase> {
  const db = await createTestDatabase(prefix);
  dbs.push(db);
  return db;
}

async function engine(db: TestDatabase) {
  const app = await bootSagaApp(db.url, { imports: [FlowModule] });
  apps.push(app);
  return { app, sagas: app.get(SagaService), journal: app.get(Journal) };
}

/**
 * A PostgreSQL store whose first statement is held until `open()`, so the writes submitted
 * meanwhile queue up and go to the database together, as one batch.
 */
function batchingStore(pool: pg.Pool) {
  const statements: string[] = [];
  let held: Promise<void> | null = null;
  let open = () => undefined as void;
  const store = new PostgresSagaStore(
    {
      query: async (text: string | NamedSqlQuery, values?: unknown[]) => {
        statements.push(typeof text === 'string' ? text : text.text);
        if (held) {
          const gate = held;
          held = null;
          await gate;
        }
        return pool.query(text, values);
      },
    },
    undefined,
    { maxConcurrentBatches: 1 },
  );
  return {
    store,
    statements,
    hold: () => {
      held = new Promise<void>((r) => (open = r));
    },
    open: () => open(),
  };
}

const newSaga = (input: unknown, idempotencyKey: string | null = null): NewSaga => ({
  id: crypto.randomUUID(),
  name: 'flow',
  version: 1,
  status: 'RUNNING',
  input,
  idempotencyKey,
  steps: [],
  deadlineMs: null,
  ownerId: 'me',
  leaseMs: 30_000,
});

describe('group writes isolate the item at fault (PostgreSQL store)', () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await database('saga_isolate_store');
    pool = new pg.Pool({ connectionString: db.url });
    // Dropping the database at the end terminates the pool's clients, idle or still closing: not an
    // error here (the pool re-emits an idle client's error, and an unheard 'error' event throws).
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    for (const Migration of sagaMigrations) await new Migration().up({ query: (q: string) => pool.query(q) } as any);
  });

  afterAll(async () => {
    await pool?.end();
  });

  it('writes a failed batch of starts again one by one: the bad inputs get their own error, the others are created', async () => {
    const { store, statements, hold, open } = batchingStore(pool);
    hold();
    const first = store.insert(newSaga({ n: 'first' }), [{ type: 'SAGA_STARTED' }]);
    const inputs: unknown[] = Array.from({ length: 12 }, (_, n) => ({ n }));
    inputs[3] = { n: 3, note: 'NUL \u0000 here' };
    inputs[8] = { n: 8, note: 'lone \udc00 surrogate' };
    const starts = inputs.map((input) => store.insert(newSaga(input), [{ type: 'SAGA_STARTED' }]).then((r) => r, (e: unknown) => e));
    open();
    expect((await first).created).toBe(true);
    const results = await Promise.all(starts);
    // Batched: the held statement, one shared insert of the other twelve, then each alone.
    expect(statements.filter((t) => t.includes('INSERT INTO saga_instances'))).toHaveLength(1 + 1 + 12);
    results.forEach((result, n) => {
      if (n === 3 || n === 8) {
        expect(result).toMatchObject({ code: 'DATA_UNSTORABLE', sqlState: n === 3 ? '22P05' : '22P02' });
        expect((result as Error).message).toMatch(/PostgreSQL refused the start of saga .*cannot succeed/);
      } else {
        expect(result).toMatchObject({ created: true, saga: { input: { n } } });
      }
    });
    const ids = results.filter((r): r is { saga: { id: string } } => 'saga' in (r as object)).map((r) => r.saga.id);
    const stored = await pool.query(`SELECT count(*)::int AS n, (SELECT count(*)::int FROM saga_events WHERE saga_id = ANY($1)) AS events FROM saga_instances WHERE id = ANY($1)`, [ids]);
    expect(stored.rows[0]).toEqual({ n: 10, events: 10 });
  });

  it('writes a failed batch of checkpoints again one by one: only the checkpoint at fault fails, the others are stored', async () => {
    const { store, hold, open } = batchingStore(pool);
    const ids: string[] = [];
    for (let n = 0; n < 8; n++) ids.push((await store.insert(newSaga({ n }), [])).saga.id);
    const cp = (sagaId: string, output: unknown): Checkpoint => ({
      sagaId,
      ownerId: 'me',
      fence: 1,
      status: 'RUNNING',
      currentStep: 1,
      steps: [{ name: 'a', status: 'COMPLETED', attempts: 1, output } as any],
      error: null,
      compensationCause: null,
      deadlineHandled: false,
      finished: false,
      release: false,
      nextRunInMs: 0,
      leaseMs: 30_000,
      clearRequestToken: null,
      events: [{ type: 'STEP_SUCCEEDED', step: 'a', attempt: 1 }],
    });
    hold();
    const first = store.checkpoint(cp(ids[0], { ok: 0 }));
    const rest = ids.slice(1).map((id, i) => store.checkpoint(cp(id, i === 2 ? { bad: 'x\u0000' } : { ok: i + 1 })).then((r) => r, (e: unknown) => e));
    open();
    expect(await first).toEqual({ ok: true, request: null });
    const results = await Promise.all(rest);
    expect(results[2]).toMatchObject({ code: 'DATA_UNSTORABLE', sqlState: '22P05', sagaId: ids[3] });
    expect(results.filter((r, i) => i !== 2)).toEqual(Array(6).fill({ ok: true, request: null }));
    const rows = await pool.query(`SELECT id, current_step FROM saga_instances WHERE id = ANY($1)`, [ids]);
    const step = Object.fromEntries(rows.rows.map((r) => [r.id, r.current_step]));
    expect(ids.map((id) => step[id])).toEqual([1, 1, 1, 0, 1, 1, 1, 1]);
    const events = await pool.query(`SELECT saga_id FROM saga_events WHERE saga_id = ANY($1)`, [ids]);
    expect(events.rows.map((r) => r.saga_id).sort()).toEqual(ids.filter((_, i) => i !== 3).sort());
  });
});

describe('SagaService on PostgreSQL: unstorable inputs and outputs', () => {
  let db: TestDatabase;
  let sagas: SagaService;
  let journal: Journal;

  beforeAll(async () => {
    db = await database('saga_isolate');
    ({ sagas, journal } = await engine(db));
  });

  it('starts many sagas at once where a few carry text PostgreSQL cannot store: the others all start and complete, the bad ones are refused naming the field', async () => {
    const bad: Record<number, { input?: unknown; key?: string; field: string; path: string }> = {
      4: { input: { label: 'nul \u0000' }, field: 'input', path: 'input.label' },
      11: { input: { script: {}, label: 'half \ud800' }, field: 'input', path: 'input.label' },
      23: { input: { ['k\u0000']: 1 }, field: 'input', path: 'input["k\\u0000"]' },
      30: { key: `key-\u0000-${crypto.randomUUID()}`, field: 'idempotencyKey', path: 'idempotencyKey' },
      41: { input: JSON.parse(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`), field: 'input', path: 'input' },
    };
    const calls = Array.from({ length: 48 }, (_, n) =>
      sagas.start(FlowSaga, (bad[n]?.input ?? { label: `ok-${n}` }) as FlowInput, { idempotencyKey: bad[n]?.key ?? `iso-${n}-${crypto.randomUUID()}` }),
    );
    const settled = await Promise.allSettled(calls);
    const handles = [];
    for (const [n, result] of settled.entries()) {
      if (bad[n]) {
        expect(result.status).toBe('rejected');
        const error = (result as PromiseRejectedResult).reason;
        expect(error).toBeInstanceOf(SagaValidationError);
        expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field: bad[n].field, sagaName: 'flow' });
        expect(error.message).toContain(bad[n].path);
      } else {
        expect(result.status).toBe('fulfilled');
        handles.push((result as PromiseFulfilledResult<Awaited<(typeof calls)[number]>>).value);
      }
    }
    expect(handles).toHaveLength(43);
    const done = await Promise.all(handles.map((h) => h.result({ timeoutMs: 60_000 })));
    expect(done.map((d) => d.status)).toEqual(Array(43).fill('COMPLETED'));
    // Refused before anything was written: no row for the bad ones.
    const rows = await withClient(db.url, (c) => c.query(`SELECT count(*)::int AS n FROM saga_instances WHERE idempotency_key LIKE 'iso-%' OR idempotency_key LIKE 'key-%'`));
    expect(rows.rows[0].n).toBe(43);
  });

  it.each<[BadOutput, RegExp]>([
    ['nul', /output\.receipt\.lines\[1\] contains the character U\+0000/],
    ['nul-key', /The key output\.receipt\["key\\u0000"\] contains the character U\+0000/],
    ['lone-surrogate', /output\.receipt\.note contains an unpaired UTF-16 surrogate/],
    ['bigint', /output\.receipt\.amount holds a BigInt, which JSON cannot represent/],
    ['circular', /output\.receipt\.self holds a circular reference/],
  ])('fails a step whose output cannot be stored (%s), without retry, and the saga compensates', async (kind, says) => {
    const handle = await sagas.start(FlowSaga, { script: { 'step-c': { badOutput: kind } } });
    const done = await handle.result({ timeoutMs: 30_000 });
    expect(done.status).toBe('COMPENSATED');
    const c = done.steps.find((s) => s.name === 'step-c')!;
    expect(c).toMatchObject({ status: 'COMPENSATED', attempts: 1, outcomeUnknown: true, compensation: { status: 'COMPENSATED' } });
    const failed = done.events.find((e) => e.type === 'STEP_FAILED')!;
    expect(failed).toMatchObject({ step: 'step-c', attempt: 1, error: { code: 'STEP_OUTPUT_UNSTORABLE' } });
    expect(failed.error!.message).toMatch(says);
    expect(done.events.filter((e) => e.type === 'STEP_RETRY_SCHEDULED')).toEqual([]);
    expect(done.error).toMatchObject({ code: 'STEP_OUTPUT_UNSTORABLE', message: expect.stringContaining('Step "step-c" failed') });
    expect(done.lease.ownerId).toBeNull();
    // Its effects happened, so its own compensation runs too, with no output.
    expect(journal.calls(handle.sagaId)).toEqual(['execute:step-a', 'execute:step-b', 'execute:step-c', 'compensate:step-c', 'compensate:step-a']);
    expect(journal.of(handle.sagaId).find((e) => e.phase === 'compensate' && e.step === 'step-c')!.receivedOutput).toBeUndefined();
  });

  it('stores an error message that carries text PostgreSQL cannot store, with that text replaced', async () => {
    const handle = await sagas.start(FlowSaga, { script: { 'step-b': { badErrorMessage: true } } });
    const done = await handle.result({ timeoutMs: 30_000 });
    expect(done.status).toBe('COMPENSATED');
    expect(done.events.find((e) => e.type === 'STEP_FAILED')!.error!.message).toBe('step-b says \ufffd and \ufffd');
  });

  it('refuses operator text and list queries PostgreSQL cannot store, naming the field', async () => {
    const { sagaId } = await sagas.start(FlowSaga, { script: { 'step-b': { delayMs: 20_000 } } });
    // Settled into its long step first, so the history changes only if a refused request wrote to it.
    await until(() => sagas.get(sagaId), (d) => d.currentStep === 'step-b' && d.steps[1].status === 'RUNNING', 'step-b running', 60_000);
    await expect(sagas.cancel(sagaId, { actor: 'ops', reason: 'why \u0000' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'reason', sagaId });
    await expect(sagas.pause(sagaId, { actor: 'x'.repeat(201) })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'actor' });
    await expect(sagas.list({ q: 'order-\u0000' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'q' });
    await expect(sagas.list({ name: '\udfff' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'name' });
    expect((await sagas.get(sagaId)).events.map((e) => e.type)).toEqual(['SAGA_STARTED', 'STEP_SUCCEEDED']);
    await sagas.cancel(sagaId, { actor: 'ops', reason: 'clean up' });
  });
});

describe('a checkpoint PostgreSQL refuses, among many written together', () => {
  it('fails only the step whose output was refused (a data error, not retried) while the other sagas complete', async () => {
    const db = await database('saga_isolate_refuse');
    const { sagas } = await engine(db);
    // A real PostgreSQL data exception (class 22) on the saga row, for text the engine's own scan
    // lets through: it stands in for anything PostgreSQL refuses that the engine does not foresee.
    await withClient(db.url, (c) =>
      c.query(`
        CREATE FUNCTION refuse_marked_steps() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.steps::text LIKE '%${TRIGGER_REFUSES}%' THEN
            RAISE EXCEPTION 'test trigger refuses this value' USING ERRCODE = '22023';
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_marked_steps BEFORE UPDATE ON saga_instances FOR EACH ROW EXECUTE FUNCTION refuse_marked_steps();`),
    );
    const refused = new Set([3, 9, 10, 22, 35]);
    const handles = await Promise.all(
      Array.from({ length: 40 }, (_, n) => sagas.start(FlowSaga, refused.has(n) ? { script: { 'step-b': { badOutput: 'refused-by-trigger' } } } : { label: `n-${n}` })),
    );
    const done = await Promise.all(handles.map((h) => h.result({ timeoutMs: 60_000 })));
    done.forEach((d, n) => {
      if (!refused.has(n)) {
        expect(d.status).toBe('COMPLETED');
        return;
      }
      expect(d.status).toBe('COMPENSATED');
      expect(d.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
        ['step-a', 'COMPENSATED', 1],
        // Failed, outcome unknown, and it has no compensation: skipped.
        ['step-b', 'SKIPPED', 1],
        ['step-c', 'PENDING', 0],
        ['step-d', 'PENDING', 0],
      ]);
      const failed = d.events.find((e) => e.type === 'STEP_FAILED')!;
      expect(failed.error).toMatchObject({ code: 'STEP_OUTPUT_UNSTORABLE', message: expect.stringMatching(/test trigger refuses this value \(SQLSTATE 22023\)/) });
      // The refused write left no trace: no STEP_SUCCEEDED for the step, the next step never started.
      expect(d.events.map((e) => e.type)).toEqual(['SAGA_STARTED', 'STEP_SUCCEEDED', 'STEP_FAILED', 'COMPENSATION_STARTED', 'STEP_COMPENSATION_SKIPPED', 'STEP_COMPENSATED', 'SAGA_COMPENSATED']);
      expect(d.lease.ownerId).toBeNull();
    });
  });
});

describe('repeated operator requests', () => {
  it('answers 20 identical pauses of a running saga with the one waiting request: one history row, every call resolves with the detail', async () => {
    const db = await database('saga_isolate_repeat');
    const { sagas } = await engine(db);
    const handle = await sagas.start(FlowSaga, { script: { 'step-b': { delayMs: 8_000 } } });
    await until(() => sagas.get(handle.sagaId), (d) => d.currentStep === 'step-b' && d.steps[1].status === 'RUNNING', 'step-b running');
    const details = await Promise.all(Array.from({ length: 20 }, (_, i) => sagas.pause(handle.sagaId, { actor: `ops-${i}`, reason: `look ${i}` })));
    const waiting = details.map((d) => d.pendingRequest);
    expect(waiting.every((w) => w?.action === 'pause')).toBe(true);
    // All twenty see the same request: the one that was written first.
    expect(new Set(waiting.map((w) => `${w!.actor}|${w!.reason}|${w!.at}`)).size).toBe(1);
    const paused = await until(() => sagas.get(handle.sagaId), (d) => d.status === 'PAUSED', 'PAUSED', 60_000);
    expect(paused.events.filter((e) => e.type === 'PAUSE_REQUESTED')).toHaveLength(1);
    expect(paused.events.filter((e) => e.type === 'SAGA_PAUSED')).toHaveLength(1);
    expect(paused.events.find((e) => e.type === 'PAUSE_REQUESTED')!.actor).toBe(waiting[0]!.actor);
    expect(paused.pendingRequest).toBeNull();
  });
});
