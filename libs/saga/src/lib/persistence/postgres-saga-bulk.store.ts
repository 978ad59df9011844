/**
 * Bulk actions on PostgreSQL. The snapshot is one INSERT ... SELECT over the same filter as the list
 * (so the dry run and the real run read the same rows); outcomes are single-row updates fenced by
 * owner and fence, which also move the counters and renew the lease in the same statement.
 */
import type { BulkActionFailure, BulkActionFilter, BulkActionStatus, SagaStatus } from '@nest-saga/contracts';
import type { SagaRecord } from './saga.records.js';
import {
  SagaBulkStore,
  type BulkActionRecord,
  type BulkItem,
  type BulkMatchCount,
  type BulkOutcome,
  type BulkOwnership,
  type BulkStepCount,
  type NewBulkAction,
} from './saga-bulk.store.js';
import { toSagaRecord, type SqlClient } from './postgres-saga.store.js';
import { isUuid } from './stored-values.js';

const ms = (param: string) => `(${param}::double precision * interval '1 millisecond')`;

const BULK_COLUMNS = `id, action, status, filter, reason, actor, rate_per_sec, total, done, succeeded, failed, owner_id, fence,
  coalesce(lease_expires_at > now(), false) AS lease_live, created_at, updated_at, finished_at`;

function toBulkRecord(row: any): BulkActionRecord {
  return {
    id: row.id,
    action: row.action,
    status: row.status,
    filter: row.filter,
    reason: row.reason,
    actor: row.actor,
    ratePerSec: Number(row.rate_per_sec),
    total: row.total,
    done: row.done,
    succeeded: row.succeeded,
    failed: row.failed,
    ownerId: row.owner_id,
    fence: row.fence,
    leaseLive: row.lease_live,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/**
 * The list's filter (`SagaStore.list`) as SQL on `saga_instances s`, plus `ids`. `p` adds a
 * parameter and returns its placeholder.
 */
export function sagaFilterSql(filter: BulkActionFilter, p: (value: unknown) => string): string[] {
  const where: string[] = [];
  if (filter.status?.length) where.push(`s.status = ANY(${p(filter.status)}::varchar[])`);
  if (filter.name) where.push(`s.name = ${p(filter.name)}`);
  if (filter.stuck) where.push(`s.stuck_since IS NOT NULL`);
  if (filter.q) {
    const q = filter.q.trim();
    if (isUuid(q)) where.push(`(s.id = ${p(q)}::uuid OR s.idempotency_key = ${p(q)})`);
    else where.push(`(s.idempotency_key = ${p(q)} OR s.idempotency_key LIKE ${p(q.replace(/[\\%_]/g, (c) => `\\${c}`) + '%')})`);
  }
  if (filter.ids) where.push(`s.id = ANY(${p(filter.ids.filter(isUuid))}::uuid[])`);
  return where;
}

function params(): { values: unknown[]; p: (value: unknown) => string } {
  const values: unknown[] = [];
  return {
    values,
    p: (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    },
  };
}

const and = (where: string[]) => (where.length ? where.join(' AND ') : 'true');

export class PostgresSagaBulkStore extends SagaBulkStore {
  constructor(private readonly sql: () => SqlClient) {
    super();
  }

  async countMatching(filter: BulkActionFilter): Promise<BulkMatchCount[]> {
    const { values, p } = params();
    const { rows } = await this.sql().query(
      `SELECT s.name, s.status, count(*)::int AS n FROM saga_instances s WHERE ${and(sagaFilterSql(filter, p))} GROUP BY s.name, s.status`,
      values,
    );
    return rows.map((r) => ({ name: r.name, status: r.status, count: r.n }));
  }

  async sample(filter: BulkActionFilter, statuses: SagaStatus[], limit: number): Promise<SagaRecord[]> {
    const { values, p } = params();
    const where = [...sagaFilterSql(filter, p), `s.status = ANY(${p(statuses)}::varchar[])`];
    const { rows } = await this.sql().query(
      `SELECT s.* FROM saga_instances s WHERE ${and(where)} ORDER BY s.created_at DESC, s.id DESC LIMIT ${p(limit)}`,
      values,
    );
    return rows.map(toSagaRecord);
  }

  async stepsToUndo(filter: BulkActionFilter, statuses: SagaStatus[]): Promise<BulkStepCount[]> {
    if (!statuses.length) return [];
    const { values, p } = params();
    const where = [...sagaFilterSql(filter, p), `s.status = ANY(${p(statuses)}::varchar[])`];
    // The engine's rule for what compensation covers (needsCompensation in the runner), plus the
    // step in flight: cancel and compensate abort it, and an aborted attempt's outcome is unknown.
    const { rows } = await this.sql().query(
      `SELECT s.name, (st.k - 1)::int AS index, st.v->>'name' AS step, count(*)::int AS n
       FROM saga_instances s CROSS JOIN LATERAL jsonb_array_elements(s.steps) WITH ORDINALITY AS st(v, k)
       WHERE ${and(where)}
         AND coalesce(st.v->'compensation'->>'status', '') NOT IN ('COMPENSATED', 'SKIPPED', 'RESOLVED')
         AND (st.v->>'status' IN ('COMPLETED', 'COMPENSATING', 'COMPENSATION_FAILED', 'RUNNING')
              OR (st.v->>'status' = 'FAILED' AND coalesce((st.v->>'outcomeUnknown')::boolean, false)))
       GROUP BY 1, 2, 3`,
      values,
    );
    return rows.map((r) => ({ name: r.name, index: r.index, step: r.step, count: r.n }));
  }

  async create(action: NewBulkAction, statuses: SagaStatus[], maxSagas: number): Promise<BulkActionRecord> {
    const { values, p } = params();
    const id = p(action.id);
    const where = [...sagaFilterSql(action.filter, p), `s.status = ANY(${p(statuses)}::varchar[])`];
    const { rows } = await this.sql().query(
      `WITH picked AS (
         SELECT s.id, s.created_at FROM saga_instances s WHERE ${and(where)}
         ORDER BY s.created_at DESC, s.id DESC LIMIT ${p(maxSagas)}
       ), items AS (
         INSERT INTO saga_bulk_action_items (bulk_action_id, seq, saga_id)
         SELECT ${id}::uuid, row_number() OVER (ORDER BY picked.created_at DESC, picked.id DESC), picked.id FROM picked
         RETURNING seq
       ), created AS (
         INSERT INTO saga_bulk_actions (id, action, status, filter, reason, actor, rate_per_sec, total, owner_id, fence, lease_expires_at)
         VALUES (${id}::uuid, ${p(action.action)}, 'RUNNING', ${p(JSON.stringify(action.filter))}::jsonb, ${p(action.reason)}, ${p(action.actor)},
           ${p(action.ratePerSec)}, (SELECT count(*) FROM items), ${p(action.ownerId)}, 1, now() + ${ms(p(action.leaseMs))})
         RETURNING *
       )
       SELECT ${BULK_COLUMNS.replace('coalesce(lease_expires_at > now(), false)', 'true')} FROM created`,
      values,
    );
    return toBulkRecord(rows[0]);
  }

  async get(id: string): Promise<BulkActionRecord | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.sql().query(`SELECT ${BULK_COLUMNS} FROM saga_bulk_actions WHERE id = $1`, [id]);
    return rows.length ? toBulkRecord(rows[0]) : null;
  }

  async list(limit: number): Promise<BulkActionRecord[]> {
    const { rows } = await this.sql().query(`SELECT ${BULK_COLUMNS} FROM saga_bulk_actions ORDER BY created_at DESC, id DESC LIMIT $1`, [limit]);
    return rows.map(toBulkRecord);
  }

  async failures(id: string, limit: number): Promise<BulkActionFailure[]> {
    const { rows } = await this.sql().query(
      `SELECT saga_id, error_code, error_message FROM saga_bulk_action_items
       WHERE bulk_action_id = $1 AND outcome = 'FAILED' ORDER BY seq LIMIT $2`,
      [id, limit],
    );
    return rows.map((r) => ({ sagaId: r.saga_id, code: r.error_code ?? 'UNKNOWN', message: r.error_message ?? '' }));
  }

  async pending(id: string, afterSeq: number, limit: number): Promise<BulkItem[]> {
    const { rows } = await this.sql().query(
      `SELECT seq, saga_id FROM saga_bulk_action_items
       WHERE bulk_action_id = $1 AND seq > $2 AND outcome IS NULL ORDER BY seq LIMIT $3`,
      [id, afterSeq, limit],
    );
    return rows.map((r) => ({ seq: r.seq, sagaId: r.saga_id }));
  }

  async record(owner: string, own: BulkOwnership, outcome: BulkOutcome, leaseMs: number): Promise<BulkActionStatus | null> {
    const { rows } = await this.sql().query(
      `WITH b AS (
         SELECT id FROM saga_bulk_actions WHERE id = $1 AND owner_id = $2 AND fence = $3 FOR UPDATE
       ), i AS (
         UPDATE saga_bulk_action_items SET outcome = $5, error_code = $6, error_message = $7, done_at = now()
         WHERE bulk_action_id = (SELECT id FROM b) AND seq = $4 AND outcome IS NULL
         RETURNING outcome
       )
       UPDATE saga_bulk_actions a SET
         done = a.done + (SELECT count(*) FROM i),
         succeeded = a.succeeded + (SELECT count(*) FROM i WHERE outcome = 'SUCCEEDED'),
         failed = a.failed + (SELECT count(*) FROM i WHERE outcome = 'FAILED'),
         lease_expires_at = now() + ${ms('$8')},
         updated_at = now()
       FROM b WHERE a.id = b.id
       RETURNING a.status`,
      [own.id, owner, own.fence, outcome.seq, outcome.ok ? 'SUCCEEDED' : 'FAILED', outcome.ok ? null : (outcome.code ?? null), outcome.ok ? null : (outcome.message ?? null), leaseMs],
    );
    return rows.length ? rows[0].status : null;
  }

  async finish(owner: string, own: BulkOwnership): Promise<BulkActionRecord | null> {
    const { rows } = await this.sql().query(
      `UPDATE saga_bulk_actions SET
         status = CASE WHEN status = 'RUNNING' AND done >= total THEN 'DONE' ELSE status END,
         finished_at = CASE WHEN status = 'RUNNING' AND done >= total THEN now() ELSE finished_at END,
         owner_id = NULL, lease_expires_at = NULL, updated_at = now()
       WHERE id = $1 AND owner_id = $2 AND fence = $3
       RETURNING ${BULK_COLUMNS}`,
      [own.id, owner, own.fence],
    );
    return rows.length ? toBulkRecord(rows[0]) : null;
  }

  async cancel(id: string): Promise<BulkActionRecord | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.sql().query(
      `UPDATE saga_bulk_actions SET status = 'CANCELLED', finished_at = now(), updated_at = now(),
         -- Nobody holds it (its instance died): nothing is in flight to wait for.
         owner_id = CASE WHEN lease_expires_at > now() THEN owner_id ELSE NULL END,
         lease_expires_at = CASE WHEN lease_expires_at > now() THEN lease_expires_at ELSE NULL END
       WHERE id = $1 AND status = 'RUNNING'
       RETURNING ${BULK_COLUMNS}`,
      [id],
    );
    return rows.length ? toBulkRecord(rows[0]) : null;
  }

  async renew(owner: string, owned: BulkOwnership[], leaseMs: number): Promise<{ id: string; status: BulkActionStatus }[]> {
    if (!owned.length) return [];
    const { rows } = await this.sql().query(
      `UPDATE saga_bulk_actions a SET lease_expires_at = now() + ${ms('$2')}
       FROM unnest($3::uuid[], $4::int[]) AS r(id, fence)
       WHERE a.id = r.id AND a.fence = r.fence AND a.owner_id = $1
       RETURNING a.id, a.status`,
      [owner, leaseMs, owned.map((o) => o.id), owned.map((o) => o.fence)],
    );
    return rows.map((r) => ({ id: r.id, status: r.status }));
  }

  async claimOrphan(owner: string, leaseMs: number, exclude: string[]): Promise<BulkActionRecord | null> {
    const { rows } = await this.sql().query(
      `WITH c AS (
         SELECT id FROM saga_bulk_actions
         WHERE status = 'RUNNING' AND (owner_id IS NULL OR lease_expires_at IS NULL OR lease_expires_at < now() OR owner_id = $1)
           AND NOT (id = ANY($3::uuid[]))
         ORDER BY created_at LIMIT 1
         FOR UPDATE SKIP LOCKED
       )
       UPDATE saga_bulk_actions a SET owner_id = $1, fence = a.fence + 1, lease_expires_at = now() + ${ms('$2')}, updated_at = now()
       FROM c WHERE a.id = c.id
       RETURNING a.id, a.action, a.status, a.filter, a.reason, a.actor, a.rate_per_sec, a.total, a.done, a.succeeded, a.failed,
         a.owner_id, a.fence, true AS lease_live, a.created_at, a.updated_at, a.finished_at`,
      [owner, leaseMs, exclude],
    );
    return rows.length ? toBulkRecord(rows[0]) : null;
  }

  async release(owner: string, owned: BulkOwnership[]): Promise<void> {
    if (!owned.length) return;
    await this.sql().query(
      `UPDATE saga_bulk_actions a SET lease_expires_at = now() - interval '1 millisecond', owner_id = NULL
       FROM unnest($2::uuid[], $3::int[]) AS r(id, fence)
       WHERE a.id = r.id AND a.fence = r.fence AND a.owner_id = $1`,
      [owner, owned.map((o) => o.id), owned.map((o) => o.fence)],
    );
  }
}
