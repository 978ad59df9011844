/**
 * Deletion of finished sagas past their retention. Only rows that are finished and unclaimed are
 * taken, each batch under `FOR UPDATE SKIP LOCKED`, so live sagas (and rows another instance is
 * deleting or an operator is acting on) are never waited for or touched.
 */
import type { SagaStatus } from '@nest-saga/contracts';
import { FINISHED_SAGA_STATUSES } from './saga-status-sets.js';

/** The statuses retention deletes. `FAILED` is kept: it waits for an operator. */
export const RETAINED_STATUSES_DELETED: readonly SagaStatus[] = FINISHED_SAGA_STATUSES;

export interface RetentionBatch {
  /** The sagas deleted by this batch (with their history). */
  sagas: { id: string; name: string; status: SagaStatus }[];
  /** History rows deleted with them. */
  events: number;
  /** Statements the batch ran, each deleting at most `batchSize` rows. */
  statements: number;
}

export abstract class SagaRetentionStore {
  /**
   * Deletes up to `batchSize` finished sagas that finished more than `finishedAfterMs` ago (store
   * clock), with their history, in one short transaction of statements deleting at most
   * `batchSize` rows each.
   */
  abstract deleteFinishedSagas(finishedAfterMs: number, batchSize: number): Promise<RetentionBatch>;
  /** Deletes up to `batchSize` rows of bulk actions finished more than `finishedAfterMs` ago (items first). Returns the actions deleted. */
  abstract deleteFinishedBulkActions(finishedAfterMs: number, batchSize: number): Promise<{ actions: number; rows: number }>;
}
