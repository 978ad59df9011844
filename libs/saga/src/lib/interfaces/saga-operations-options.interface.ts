/** Options of the operator tools that work on many sagas at once: bulk actions and retention. */

/** `SagaModule.forRoot({ bulkActions })`: defaults of `SagaBulkService` (and `POST /api/bulk-actions`). */
export interface SagaBulkActionsOptions {
  /**
   * Sagas a bulk action acts on per second, when the request sets no `ratePerSec`. Each act is one
   * operator request (a few statements), so this bounds the load a bulk action adds.
   * @default 50
   */
  ratePerSec?: number;
  /**
   * Most sagas one bulk action may take. A filter that matches more is refused
   * (`BULK_ACTION_TOO_LARGE`): narrow it and run several.
   * @default 100000
   */
  maxSagas?: number;
}

/**
 * `SagaModule.forRoot({ retention })`: a scheduled job deletes finished sagas (`COMPLETED`,
 * `COMPENSATED`, `CANCELLED`) with their history, and finished bulk actions, once they are older
 * than `finishedAfterMs`. `FAILED` sagas are kept: they wait for an operator. Off when unset.
 */
export interface SagaRetentionOptions {
  /** Age, counted from when the saga finished, after which it is deleted. At least 1000 ms. */
  finishedAfterMs: number;
  /**
   * How often the job runs (a `SchedulerRegistry` interval). A run deletes batches until none is
   * left (or `maxBatchesPerRun`), so one that is late catches up.
   * @default 60000
   */
  intervalMs?: number;
  /**
   * Most rows one statement deletes, sagas or history rows (1 to 1000). Each batch of sagas is one
   * short transaction that locks only those finished rows (`FOR UPDATE SKIP LOCKED`).
   * @default 1000
   */
  batchSize?: number;
  /**
   * Most batches one run deletes; the next run carries on. Bounds the work of a run after a long pause.
   * @default 100
   */
  maxBatchesPerRun?: number;
}
