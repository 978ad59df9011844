import type { DeadlinePolicy, StepEffects, StepFailurePolicy } from '@nest-saga/contracts';
import type { Type } from '@nestjs/common';
import type { RetryPolicy } from './retry-policy.interface.js';
import type { SagaStepHandler } from './step.interface.js';

/** Options of `@SagaStep(name, options)`. Unset fields take the module's defaults. */
export interface SagaStepOptions {
  /**
   * Time limit of one attempt of `execute`. When it passes, `ctx.signal` is aborted and the
   * attempt counts as failed with an unknown outcome (the step is compensated if it can be).
   * @default module `defaultStepTimeoutMs` (30000)
   */
  timeoutMs?: number;
  /** Retry policy of `execute`. @default module `defaultRetry` */
  retry?: RetryPolicy;
  /** Time limit of one attempt of `compensate`. @default the step's `timeoutMs` */
  compensationTimeoutMs?: number;
  /** Retry policy of `compensate`. @default the step's `retry` */
  compensationRetry?: RetryPolicy;
  /**
   * What happens when `execute` fails for good: `compensate` the saga, or `pause` it for an
   * operator (for steps whose failure must not be undone automatically).
   * @default 'compensate'
   */
  onFailure?: StepFailurePolicy;
  /**
   * Names of the steps whose outputs this step reads (`ctx.outputs[name]`): every saga that uses
   * the step must run them earlier. Checked at bootstrap for `@Saga` definitions and when a
   * composed saga starts (`PLAN_REQUIREMENT_MISSING`), instead of failing at run time.
   * @default []
   */
  requires?: string[];
  /**
   * Run `execute` (and `compensate`) in a transaction of the saga's own database, given as
   * `ctx.manager`, that also writes the step's checkpoint and history: the step's writes through
   * `ctx.manager` and its recorded success commit together or not at all, so they happen exactly once,
   * also across crashes, retries and lost leases. A failed, timed out or aborted attempt rolls them
   * back. Needs the PostgreSQL store; with another store the bootstrap fails with
   * `TransactionalStepsUnsupportedError`. Inside such a step, write only through `ctx.manager`.
   * @default false
   */
  transactional?: boolean;
  /**
   * `'none'`: the step has no effect outside the process (it validates, computes, reads): running
   * it again changes nothing. It then runs right after the step before it, and the checkpoint that
   * would have marked it started is not written on its own: what it carried (the previous step's
   * result) is written with this step's own result, one durable write fewer per such step. A crash
   * while it runs may therefore run the step before it again (with the same
   * `ctx.idempotencyKey`, as after any crash mid-step). Not with `transactional: true`.
   * @default 'external'
   */
  effects?: StepEffects;
}


/** Options of `@Saga(name, options)`. */
export interface SagaOptions {
  /** The step classes, in execution order. Each must be a provider decorated with `@SagaStep`. */
  steps: Type<SagaStepHandler<any, any>>[];
  /**
   * Deadline of the whole saga from its start. Unset means no deadline.
   * @default module `defaultSagaTimeoutMs` (none)
   */
  timeoutMs?: number;
  /** What to do when the deadline passes. @default module `deadlinePolicy` ('compensate') */
  deadlinePolicy?: DeadlinePolicy;
  /**
   * Version of the definition, stored on each instance with its plan. Bump it when the steps
   * change: sagas already started keep running the plan of their version; new ones get this one.
   * @default 1
   */
  version?: number;
}

/**
 * A prom-client `Registry` (described by the members the library uses, so that apps without
 * prom-client compile against these types).
 */
export interface SagaMetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
  registerMetric(metric: any): void;
}

/** Options of the `metrics` option of `SagaModule.forRoot`. */
export interface SagaMetricsOptions {
  /**
   * The prom-client registry to register the saga metrics in, when the app serves a registry of its
   * own. @default a new registry of the module's own (serve it through `SagaMetrics`)
   */
  registry?: SagaMetricsRegistry;
  /**
   * Also collect prom-client's default process metrics (CPU, memory, event loop) in that registry.
   * @default true with the module's own registry, false with yours (collect them where you made it)
   */
  defaultMetrics?: boolean;
}

/** Options of `SagaModule.forRoot` / `forRootAsync`. */
export interface SagaModuleOptions {
  /** Retry policy of steps that set none. @default { maxAttempts: 3, initialDelayMs: 100, backoffCoefficient: 2, maxDelayMs: 30000, jitter: 0.2 } */
  defaultRetry?: RetryPolicy;
  /** Attempt time limit of steps that set none. @default 30000 */
  defaultStepTimeoutMs?: number;
  /** Deadline of sagas that set none. @default undefined (no deadline) */
  defaultSagaTimeoutMs?: number;
  /** What happens when a saga's deadline passes. @default 'compensate' */
  deadlinePolicy?: DeadlinePolicy;
  /**
   * How long an instance owns a saga without renewing its lease. After that another instance may
   * take the saga over. Renewal runs every third of it.
   * @default 30000
   */
  leaseMs?: number;
  /** Sagas this instance runs at once. More are left in the database for later or for other instances. @default 100 */
  concurrency?: number;
  /** How often an idle instance looks for runnable sagas (new, retry due, taken over). @default 1000 */
  pollIntervalMs?: number;
  /** Retries waiting longer than this release the saga (any instance may resume it when due). @default 5000 */
  holdRetryUpToMs?: number;
  /** A non-terminal saga with no progress for this long is reported stuck. @default 300000 */
  stuckAfterMs?: number;
  /** How often the stuck-saga detector runs (a `SchedulerRegistry` interval). @default 30000 */
  stuckCheckIntervalMs?: number;
  /** How long shutdown waits for running steps before releasing their sagas. @default 10000 */
  shutdownTimeoutMs?: number;
  /**
   * Id of this app instance in leases and history (at most 200 characters). Give it a stable value,
   * such as the pod name, and an instance restarted after a crash takes back at once the sagas its
   * earlier process owned (new fence, `LEASE_TAKEN_OVER` with `restart: true` in their history)
   * instead of waiting `leaseMs` for their leases to expire. It must be unique among the instances
   * running at the same time: one that starts with the id of a live instance takes that instance's
   * sagas from it (fencing keeps their state safe, but the steps in flight run again).
   * @default `${hostname}:${pid}:${random}`, new at every start (so a restart waits for the leases)
   */
  instanceId?: string;
  /** Name of the TypeORM data source to use. @default the default data source */
  dataSourceName?: string;
  /**
   * With the PostgreSQL store: send starts and checkpoints as named prepared statements,
   * parsed and planned once per connection (about half a checkpoint's time). Turn off behind a
   * pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21).
   * @default true
   */
  preparedStatements?: boolean;
  /**
   * Where sagas are stored. `'postgres'`: a `PostgresSagaStore` on the pg pool of the app's TypeORM
   * `DataSource` (`'typeorm'` is the same, its earlier name); pass a `SagaStore` instance to use
   * another (`new RedisSagaStore(...)` from `@nest-saga/saga/redis`, `InMemorySagaStore` from
   * `@nest-saga/saga/testing`).
   * @default 'postgres'
   */
  store?: 'postgres' | 'typeorm' | import('../persistence/saga.store.js').SagaStore;
  /** Do not run sagas in this instance (an API-only replica); it still starts and serves them. @default false */
  disableWorker?: boolean;
  /** Do not register the stuck-saga detector. @default false */
  disableStuckDetector?: boolean;
  /**
   * Prometheus metrics (see `SagaMetrics`): `true`, or where to register them. Needs the optional
   * peer `prom-client` (loaded only when this is on); without it the bootstrap fails with
   * `SagaMetricsUnavailableError` (`SAGA_METRICS_UNAVAILABLE`).
   * @default false
   */
  metrics?: boolean | SagaMetricsOptions;
  /** Defaults of bulk actions (`SagaBulkService`). @default { ratePerSec: 50, maxSagas: 100000 } */
  bulkActions?: import('./saga-operations-options.interface.js').SagaBulkActionsOptions;
  /**
   * Delete finished sagas (and their history) once they are this old. Needs the PostgreSQL store.
   * @default undefined (off: nothing is ever deleted)
   */
  retention?: import('./saga-operations-options.interface.js').SagaRetentionOptions;
}
