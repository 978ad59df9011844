/**
 * The step circuit breaker on PostgreSQL. A held saga is an ordinary `PAUSED` row whose `error.code`
 * is `STEP_PAUSED`, at the step named by its current step: nothing new on the saga's row, and the
 * counts read the partial index of active sagas. A release locks the step's row (`SKIP LOCKED`), so
 * one instance at a time releases for a step, and counts what it released in the same statement:
 * the rate holds across instances.
 */
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { SagaStepPauseStore, type StepPauseRecord } from './saga-step-pause.store.js';
import type { SqlClient } from './postgres-saga.store.js';

const ms = (param: string) => `(${param}::double precision * interval '1 millisecond')`;
const HELD = `s.status = 'PAUSED' AND s.error->>'code' = '${SAGA_ERROR_CODES.STEP_PAUSED}'`;
const HELD_STEP = `(s.steps -> s.current_step ->> 'name')`;

function toPause(row: any): StepPauseRecord {
  return {
    step: row.step,
    status: row.status,
    reason: row.reason,
    pausedBy: row.paused_by,
    pausedAt: row.paused_at,
    resumedBy: row.resumed_by,
    resumedAt: row.resumed_at,
    resumeReason: row.resume_reason,
    ratePerSec: row.rate_per_sec === null ? null : Number(row.rate_per_sec),
    released: row.released,
  };
}

export class PostgresSagaStepPauseStore extends SagaStepPauseStore {
  readonly supported = true;

  constructor(private readonly sql: () => SqlClient) {
    super();
  }

  async all(): Promise<StepPauseRecord[]> {
    const { rows } = await this.sql().query(`SELECT * FROM saga_step_pauses ORDER BY paused_at, step`);
    return rows.map(toPause);
  }

  async get(step: string): Promise<StepPauseRecord | null> {
    const { rows } = await this.sql().query(`SELECT * FROM saga_step_pauses WHERE step = $1`, [step]);
    return rows.length ? toPause(rows[0]) : null;
  }

  async waiting(): Promise<Map<string, number>> {
    const { rows } = await this.sql().query(`SELECT ${HELD_STEP} AS step, count(*)::int AS n FROM saga_instances s WHERE ${HELD} GROUP BY 1`);
    return new Map(rows.map((r: any) => [r.step, r.n]));
  }

  async pause(step: string, reason: string, actor: string): Promise<{ pause: StepPauseRecord; created: boolean }> {
    const { rows } = await this.sql().query(
      `WITH u AS (
         INSERT INTO saga_step_pauses AS p (step, status, reason, paused_by) VALUES ($1, 'PAUSED', $2, $3)
         ON CONFLICT (step) DO UPDATE SET status = 'PAUSED', reason = EXCLUDED.reason, paused_by = EXCLUDED.paused_by,
           paused_at = now(), resumed_by = NULL, resumed_at = NULL, resume_reason = NULL, rate_per_sec = NULL,
           released = 0, last_released_at = NULL
         WHERE p.status = 'RESUMING'
         RETURNING p.*
       )
       SELECT u.*, true AS written FROM u
       UNION ALL
       SELECT p.*, false AS written FROM saga_step_pauses p WHERE p.step = $1 AND NOT EXISTS (SELECT 1 FROM u)`,
      [step, reason, actor],
    );
    if (!rows.length) return this.pause(step, reason, actor); // deleted between the two reads: write again
    return { pause: toPause(rows[0]), created: rows[0].written };
  }

  async resume(step: string, reason: string, actor: string, ratePerSec: number | null): Promise<StepPauseRecord | null> {
    const { rows } = await this.sql().query(
      `UPDATE saga_step_pauses SET status = 'RESUMING', resumed_by = $2, resumed_at = now(), resume_reason = $3,
         rate_per_sec = $4, released = 0, last_released_at = NULL
       WHERE step = $1 AND status = 'PAUSED' RETURNING *`,
      [step, actor, reason, ratePerSec],
    );
    return rows.length ? toPause(rows[0]) : null;
  }

  async release(step: string, maxBatch: number, graceMs: number): Promise<{ released: number; finished: boolean }> {
    // The quota: one at once, then `rate` per second since the resume, less what was released,
    // at most one second's worth per statement (an instance that was starved does not burst).
    const { rows } = await this.sql().query(
      `WITH p AS (
         SELECT step, rate_per_sec, released, resumed_at, resumed_by, resume_reason
         FROM saga_step_pauses WHERE step = $1 AND status = 'RESUMING' FOR UPDATE SKIP LOCKED
       ), q AS (
         SELECT p.*, CASE WHEN p.rate_per_sec IS NULL THEN $2::int
           ELSE greatest(0, least($2::int, greatest(1, ceil(p.rate_per_sec)::int),
             floor(extract(epoch FROM now() - p.resumed_at) * p.rate_per_sec)::int + 1 - p.released)) END AS quota
         FROM p
       ), h AS (
         SELECT s.id FROM saga_instances s
         WHERE ${HELD} AND ${HELD_STEP} = $1 AND s.owner_id IS NULL AND s.pending_request IS NULL
         ORDER BY s.updated_at, s.id
         LIMIT coalesce((SELECT quota FROM q), 0)
         FOR UPDATE OF s SKIP LOCKED
       ), u AS (
         UPDATE saga_instances s SET status = 'RUNNING', error = NULL, next_run_at = now(), updated_at = now(),
           stuck_since = NULL, stuck_reason = NULL
         FROM h WHERE s.id = h.id
         RETURNING s.id
       ), ev AS (
         INSERT INTO saga_events (saga_id, type, step, actor, reason, data)
         SELECT u.id, 'SAGA_RESUMED', $1, q.resumed_by, q.resume_reason,
           jsonb_build_object('cause', 'STEP_RESUMED', 'ratePerSec', q.rate_per_sec, 'resumedAt', q.resumed_at)
         FROM u CROSS JOIN q
       ), n AS (
         SELECT count(*)::int AS released FROM u
       ), c AS (
         UPDATE saga_step_pauses sp SET released = sp.released + n.released,
           last_released_at = CASE WHEN n.released > 0 THEN now() ELSE sp.last_released_at END
         FROM n, p WHERE sp.step = p.step
         RETURNING sp.step
       )
       SELECT n.released, (SELECT count(*) FROM c)::int AS counted FROM n`,
      [step, maxBatch],
    );
    const released: number = rows[0]?.released ?? 0;
    if (released > 0) return { released, finished: false };
    const gone = await this.sql().query(
      `DELETE FROM saga_step_pauses sp
       WHERE sp.step = $1 AND sp.status = 'RESUMING'
         AND coalesce(sp.last_released_at, sp.resumed_at) < now() - ${ms('$2')}
         AND NOT EXISTS (SELECT 1 FROM saga_instances s WHERE ${HELD} AND ${HELD_STEP} = $1)
       RETURNING sp.step`,
      [step, graceMs],
    );
    return { released: 0, finished: gone.rows.length > 0 };
  }

  async releaseOrphans(maxBatch: number): Promise<number> {
    const { rows } = await this.sql().query(
      `WITH h AS (
         SELECT s.id, ${HELD_STEP} AS step FROM saga_instances s
         WHERE ${HELD} AND s.owner_id IS NULL AND s.pending_request IS NULL
           AND NOT EXISTS (SELECT 1 FROM saga_step_pauses p WHERE p.step = ${HELD_STEP})
         LIMIT $1
         FOR UPDATE OF s SKIP LOCKED
       ), u AS (
         UPDATE saga_instances s SET status = 'RUNNING', error = NULL, next_run_at = now(), updated_at = now(),
           stuck_since = NULL, stuck_reason = NULL
         FROM h WHERE s.id = h.id
         RETURNING s.id, h.step
       ), ev AS (
         INSERT INTO saga_events (saga_id, type, step, reason, data)
         SELECT u.id, 'SAGA_RESUMED', u.step, 'The step is no longer paused.', jsonb_build_object('cause', 'STEP_RESUMED')
         FROM u
       )
       SELECT count(*)::int AS released FROM u`,
      [maxBatch],
    );
    return rows[0]?.released ?? 0;
  }
}

/** Every call that changes something fails with a clear error: the configured store cannot hold steps. */
export class UnsupportedSagaStepPauseStore extends SagaStepPauseStore {
  readonly supported = false;
  constructor(private readonly error: () => Error) {
    super();
  }
  all = () => Promise.resolve([]);
  get = () => Promise.resolve(null);
  waiting = () => Promise.resolve(new Map<string, number>());
  pause = () => Promise.reject(this.error());
  resume = () => Promise.reject(this.error());
  release = () => Promise.resolve({ released: 0, finished: true });
  releaseOrphans = () => Promise.resolve(0);
}
