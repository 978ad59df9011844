/**
 * Retention on PostgreSQL. A batch is one transaction on a connection of its own: lock up to
 * `batchSize` finished, unclaimed sagas past the cutoff (`FOR UPDATE SKIP LOCKED`), delete their
 * history `batchSize` rows at a time, then the sagas. An operator request that reaches a locked
 * saga waits for the commit and then finds it gone (404), never half-deleted. The candidate scan
 * uses the list index `(status, created_at)`: a saga finished before the cutoff was created before it.
 */
import type { SagaStatus } from '@nest-saga/contracts';
import { RETAINED_STATUSES_DELETED, SagaRetentionStore, type RetentionBatch } from './saga-retention.store.js';
import type { SqlPool } from './sql-pool.js';

const ms = (param: string) => `(${param}::double precision * interval '1 millisecond')`;

export class PostgresSagaRetentionStore extends SagaRetentionStore {
  constructor(private readonly pool: () => SqlPool) {
    super();
  }

  async deleteFinishedSagas(finishedAfterMs: number, batchSize: number): Promise<RetentionBatch> {
    const client = await this.pool().connect();
    let statements = 0;
    let failed: Error | undefined;
    try {
      await client.query('BEGIN');
      const { rows: picked } = await client.query(
        `SELECT id, name, status FROM saga_instances
         WHERE status = ANY($1::varchar[])
           AND created_at < now() - ${ms('$2')} AND finished_at < now() - ${ms('$2')}
           AND owner_id IS NULL AND pending_request IS NULL
         LIMIT $3
         FOR UPDATE SKIP LOCKED`,
        [RETAINED_STATUSES_DELETED, finishedAfterMs, batchSize],
      );
      statements++;
      const ids = picked.map((r) => r.id as string);
      let events = 0;
      if (ids.length) {
        for (;;) {
          const res = await client.query(
            `DELETE FROM saga_events WHERE id IN (SELECT id FROM saga_events WHERE saga_id = ANY($1::uuid[]) LIMIT $2)`,
            [ids, batchSize],
          );
          statements++;
          events += res.rowCount ?? 0;
          if ((res.rowCount ?? 0) < batchSize) break;
        }
        await client.query(`DELETE FROM saga_instances WHERE id = ANY($1::uuid[])`, [ids]);
        statements++;
      }
      await client.query('COMMIT');
      return { sagas: picked.map((r) => ({ id: r.id, name: r.name, status: r.status as SagaStatus })), events, statements };
    } catch (error) {
      failed = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection whose transaction failed is closed rather than reused.
      client.release(failed);
    }
  }

  async deleteFinishedBulkActions(finishedAfterMs: number, batchSize: number): Promise<{ actions: number; rows: number }> {
    const pool = this.pool();
    const items = await pool.query(
      `DELETE FROM saga_bulk_action_items WHERE (bulk_action_id, seq) IN (
         SELECT i.bulk_action_id, i.seq FROM saga_bulk_actions a JOIN saga_bulk_action_items i ON i.bulk_action_id = a.id
         WHERE a.status <> 'RUNNING' AND a.finished_at < now() - ${ms('$1')}
         LIMIT $2)`,
      [finishedAfterMs, batchSize],
    );
    const actions = await pool.query(
      `DELETE FROM saga_bulk_actions WHERE id IN (
         SELECT a.id FROM saga_bulk_actions a
         WHERE a.status <> 'RUNNING' AND a.finished_at < now() - ${ms('$1')}
           AND NOT EXISTS (SELECT 1 FROM saga_bulk_action_items i WHERE i.bulk_action_id = a.id)
         LIMIT $2)`,
      [finishedAfterMs, batchSize],
    );
    return { actions: actions.rowCount ?? 0, rows: (items.rowCount ?? 0) + (actions.rowCount ?? 0) };
  }
}
