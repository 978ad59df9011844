/** Injection tokens of bulk actions and retention (internal). */
/** The bulk-action store (PostgreSQL through TypeORM, or one that refuses with a clear error). */
export const SAGA_BULK_STORE = Symbol('SAGA_BULK_STORE');
/** The retention store. */
export const SAGA_RETENTION_STORE = Symbol('SAGA_RETENTION_STORE');
/** Resolved `bulkActions` options. */
export const SAGA_BULK_OPTIONS = Symbol('SAGA_BULK_OPTIONS');
/** Resolved `retention` options (null: off). */
export const SAGA_RETENTION_OPTIONS = Symbol('SAGA_RETENTION_OPTIONS');
/** Name of the bulk-action worker's interval in `SchedulerRegistry`. */
export const SAGA_BULK_INTERVAL_NAME = 'nest-saga:bulk-actions';
/** Name of the retention job's interval in `SchedulerRegistry`. */
export const SAGA_RETENTION_INTERVAL_NAME = 'nest-saga:retention';
/** The step circuit breaker's store (PostgreSQL through TypeORM, or one that refuses with a clear error). */
export const SAGA_STEP_PAUSE_STORE = Symbol('SAGA_STEP_PAUSE_STORE');
