/**
 * kill -9 inside transactional steps. Each case is an app instance (a child process) that starts a
 * saga of four transactional steps, each writing one business row through `ctx.manager`, and kills
 * itself at one point of one step or compensation: before its write, after it, as its checkpoint is
 * sent, while it is in flight, while the COMMIT is, after the commit. Another instance takes the sagas
 * over. Whatever the point, every step that completed (and every compensation that did) has its
 * business row exactly once, and a step that did not complete has none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { TX_WORKER_JS, startWorker, stopWorker, withClient, type Worker } from './support/processes.js';
import { until } from './support/saga-app.js';

const POINTS = ['before-insert', 'after-insert', 'checkpoint-before', 'checkpoint-sent', 'commit-sent', 'after-commit'];
const CASES: { at: string; failAt?: string }[] = [
  ...['tx-1', 'tx-2', 'tx-4'].flatMap((step) => POINTS.map((point) => ({ at: `${step}:execute:${point}` }))),
  // tx-4 fails for good (its write rolled back): tx-3, tx-2, tx-1 are compensated, in transactions too.
  ...['tx-3', 'tx-1'].flatMap((step) => POINTS.map((point) => ({ at: `${step}:compensate:${point}`, failAt: 'tx-4' }))),
];
/** Cases run this many at a time (each is a process of its own). */
const PARALLEL = 5;
const STEPS = ['tx-1', 'tx-2', 'tx-3', 'tx-4'];

let db: TestDatabase;
let rescuer: Worker | undefined;

beforeAll(async () => {
  db = await createTestDatabase('saga_tx_crash');
  // Runs the migrations, then takes over every saga whose owner was killed (1 s leases).
  rescuer = await startWorker(db.url, 'rescuer', { LEASE_MS: '1000', POLL_MS: '100' }, TX_WORKER_JS);
  await withClient(db.url, (c) =>
    c.query(`CREATE TABLE tx_business (id serial PRIMARY KEY, saga_id uuid NOT NULL, step varchar NOT NULL, phase varchar NOT NULL,
      attempt int NOT NULL, instance varchar NOT NULL)`),
  );
});

afterAll(async () => {
  if (rescuer) await stopWorker(rescuer);
  await db?.drop();
});

interface SagaRow {
  id: string;
  idempotency_key: string;
  status: string;
  input: { failAt?: string };
  steps: { name: string; status: string; compensation: { status: string | null } }[];
}

describe('kill -9 inside transactional steps', () => {
  it(`leaves every business row exactly once for what completed, never for what did not (${CASES.length} crash points)`, { timeout: 600_000 }, async () => {
    for (let from = 0; from < CASES.length; from += PARALLEL) {
      const batch = CASES.slice(from, from + PARALLEL).map((c, k) => ({ ...c, n: from + k }));
      await Promise.all(
        batch.map(async (c) => {
          const w = await startWorker(
            db.url,
            `victim-${c.n}`,
            {
              CRASH_AT: c.at,
              ...(c.failAt ? { FAIL_AT: c.failAt } : {}),
              START_SAGAS: '1',
              KEY_PREFIX: `case-${c.n}`,
              RUN_MIGRATIONS: 'false',
              LEASE_MS: '1000',
              POLL_MS: '60000',
            },
            TX_WORKER_JS,
          );
          await w.exited;
          // It died at its crash point, by SIGKILL (at its own saga, or at one it took over).
          expect(w.child.signalCode, w.output()).toBe('SIGKILL');
          expect(w.output()).toContain(`CRASH ${c.at}`);
        }),
      );
      // The rescuer finishes what the killed instances left, before the next batch starts.
      await until(
        () => withClient(db.url, (c) => c.query(`SELECT count(*)::int AS n FROM saga_instances WHERE status NOT IN ('COMPLETED', 'COMPENSATED')`)),
        (r) => r.rows[0].n === 0,
        `the sagas of cases ${from}..${from + batch.length - 1} to settle`,
        120_000,
      );
    }

    const { sagas, rows, events } = await withClient(db.url, async (c) => ({
      sagas: (await c.query(`SELECT id, idempotency_key, status, input, steps FROM saga_instances`)).rows as SagaRow[],
      rows: (await c.query(`SELECT saga_id, step, phase FROM tx_business`)).rows as { saga_id: string; step: string; phase: string }[],
      events: (await c.query(`SELECT saga_id, type, step FROM saga_events WHERE type IN ('STEP_SUCCEEDED', 'STEP_COMPENSATED', 'LEASE_TAKEN_OVER')`)).rows as {
        saga_id: string;
        type: string;
        step: string;
      }[],
    }));
    // Most cases start their own saga; one whose instance took over another case's saga at start and died on it may not have.
    expect(sagas.length).toBeGreaterThanOrEqual(CASES.length - PARALLEL);
    // Every crash left a saga to take over, but those after the last commit (tx-4's, and tx-1's compensation's): it had settled.
    const settledByTheCrash = CASES.filter((c) => /^(tx-4:execute|tx-1:compensate):(commit-sent|after-commit)$/.test(c.at)).length;
    expect(events.filter((e) => e.type === 'LEASE_TAKEN_OVER').length).toBeGreaterThanOrEqual(CASES.length - PARALLEL - settledByTheCrash);
    const count = (sagaId: string, step: string, phase: string) => rows.filter((r) => r.saga_id === sagaId && r.step === step && r.phase === phase).length;
    const history = (sagaId: string, step: string, type: string) => events.filter((e) => e.saga_id === sagaId && e.step === step && e.type === type).length;
    for (const saga of sagas) {
      const where = `saga ${saga.idempotency_key} (${saga.status}): ${JSON.stringify(rows.filter((r) => r.saga_id === saga.id))}`;
      expect(saga.status, where).toBe(saga.input.failAt ? 'COMPENSATED' : 'COMPLETED');
      for (const step of STEPS) {
        const state = saga.steps.find((s) => s.name === step)!;
        const completed = state.status === 'COMPLETED' || state.status === 'COMPENSATED';
        const compensated = state.compensation.status === 'COMPENSATED';
        // The business row exists exactly once when the step completed, never otherwise; its history says the same.
        expect(count(saga.id, step, 'execute'), `${step} execute, ${where}`).toBe(completed ? 1 : 0);
        expect(history(saga.id, step, 'STEP_SUCCEEDED'), `${step} history, ${where}`).toBe(completed ? 1 : 0);
        expect(count(saga.id, step, 'compensate'), `${step} compensate, ${where}`).toBe(compensated ? 1 : 0);
        expect(history(saga.id, step, 'STEP_COMPENSATED'), `${step} compensation history, ${where}`).toBe(compensated ? 1 : 0);
      }
      // What the saga's outcome says happened: all four steps, or three steps and their compensations.
      const expected = saga.input.failAt ? ['tx-1', 'tx-2', 'tx-3'] : STEPS;
      expect(STEPS.filter((s) => count(saga.id, s, 'execute') === 1), where).toEqual(expected);
      expect(STEPS.filter((s) => count(saga.id, s, 'compensate') === 1), where).toEqual(saga.input.failAt ? ['tx-1', 'tx-2', 'tx-3'] : []);
    }
  });
});
