import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { DeadlinePolicy } from '@nest-saga/contracts';
import { DEADLINE_POLICIES } from '@nest-saga/contracts';
import { SagaConfigurationError } from './errors/saga.errors.js';
import type { ResolvedRetryPolicy } from './interfaces/retry-policy.interface.js';
import type { SagaMetricsRegistry, SagaModuleOptions } from './interfaces/saga-options.interface.js';
import { resolveRetryPolicy, validateTimeout } from './retry/retry-policy.js';

export interface ResolvedSagaOptions {
  defaultRetry: ResolvedRetryPolicy;
  defaultStepTimeoutMs: number;
  defaultSagaTimeoutMs: number | null;
  deadlinePolicy: DeadlinePolicy;
  leaseMs: number;
  concurrency: number;
  pollIntervalMs: number;
  holdRetryUpToMs: number;
  stuckAfterMs: number;
  stuckCheckIntervalMs: number;
  shutdownTimeoutMs: number;
  instanceId: string;
  disableWorker: boolean;
  disableStuckDetector: boolean;
  /** Off (false), or where the metrics go: a registry of the host's, or a new one (with the default metrics). */
  metrics: false | { registry: SagaMetricsRegistry | null; defaultMetrics: boolean };
}

/** True when the options name the PostgreSQL store on the app's TypeORM DataSource (the default). */
export const usesPostgresStore = (options: SagaModuleOptions): boolean =>
  options.store === undefined || options.store === 'postgres' || options.store === 'typeorm';

/** Applies defaults and validates eagerly, so a wrong option stops the bootstrap with a clear message. */
export function resolveSagaOptions(options: SagaModuleOptions = {}): ResolvedSagaOptions {
  const where = 'SagaModule.forRoot()';
  for (const field of ['defaultStepTimeoutMs', 'defaultSagaTimeoutMs', 'leaseMs', 'pollIntervalMs', 'stuckAfterMs', 'stuckCheckIntervalMs'] as const) {
    validateTimeout(where, field, options[field]);
  }
  if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency >= 1)) {
    throw new SagaConfigurationError(`${where}: concurrency must be an integer of at least 1 (got ${options.concurrency}).`);
  }
  // Stored in owner_id varchar(200) and compared on every fenced write.
  if (options.instanceId !== undefined && !(typeof options.instanceId === 'string' && options.instanceId.trim() !== '' && options.instanceId.length <= 200)) {
    throw new SagaConfigurationError(`${where}: instanceId must be a non-empty string of at most 200 characters (got ${JSON.stringify(options.instanceId)?.slice(0, 60)}).`);
  }
  const metrics = options.metrics;
  if (metrics !== undefined && typeof metrics !== 'boolean' && (typeof metrics !== 'object' || metrics === null)) {
    throw new SagaConfigurationError(`${where}: metrics must be true, false or { registry?, defaultMetrics? } (got ${JSON.stringify(metrics)}).`);
  }
  if (typeof metrics === 'object' && metrics.registry !== undefined && typeof metrics.registry?.metrics !== 'function') {
    throw new SagaConfigurationError(`${where}: metrics.registry must be a prom-client Registry (new Registry() from 'prom-client').`);
  }
  if (options.preparedStatements !== undefined && typeof options.preparedStatements !== 'boolean') {
    throw new SagaConfigurationError(`${where}: preparedStatements must be true or false (got ${JSON.stringify(options.preparedStatements)}).`);
  }
  if (!usesPostgresStore(options) && !(typeof options.store === 'object' && options.store !== null && typeof (options.store as { checkpoint?: unknown }).checkpoint === 'function')) {
    throw new SagaConfigurationError(
      `${where}: store must be 'postgres' (the default) or a SagaStore instance such as new RedisSagaStore({ url }) from '@nest-saga/saga/redis' (got ${JSON.stringify(options.store)?.slice(0, 60) ?? String(options.store)}).`,
    );
  }
  if (options.deadlinePolicy && !DEADLINE_POLICIES.includes(options.deadlinePolicy)) {
    throw new SagaConfigurationError(`${where}: deadlinePolicy must be one of ${DEADLINE_POLICIES.join(', ')} (got ${options.deadlinePolicy}).`);
  }
  return {
    defaultRetry: resolveRetryPolicy(where, options.defaultRetry),
    defaultStepTimeoutMs: options.defaultStepTimeoutMs ?? 30_000,
    defaultSagaTimeoutMs: options.defaultSagaTimeoutMs ?? null,
    deadlinePolicy: options.deadlinePolicy ?? 'compensate',
    leaseMs: options.leaseMs ?? 30_000,
    concurrency: options.concurrency ?? 100,
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    holdRetryUpToMs: options.holdRetryUpToMs ?? 5_000,
    stuckAfterMs: options.stuckAfterMs ?? 300_000,
    stuckCheckIntervalMs: options.stuckCheckIntervalMs ?? 30_000,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000,
    instanceId: options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    disableWorker: options.disableWorker ?? false,
    disableStuckDetector: options.disableStuckDetector ?? false,
    metrics: !metrics
      ? false
      : metrics === true
        ? { registry: null, defaultMetrics: true }
        : { registry: metrics.registry ?? null, defaultMetrics: metrics.defaultMetrics ?? metrics.registry === undefined },
  };
}
