import { SagaConfigurationError } from '../errors/saga.errors.js';
import type { SagaBulkActionsOptions } from '../interfaces/saga-operations-options.interface.js';

/** Bounds of a bulk action's rate, in sagas per second. */
export const BULK_RATE_MIN = 0.1;
export const BULK_RATE_MAX = 1_000;
/** Most ids a filter may list. */
export const BULK_MAX_IDS = 1_000;
/** Failures a bulk action's view lists (the counters count them all). */
export const BULK_FAILURES_SHOWN = 500;
/** Matched sagas a dry run shows. */
export const BULK_SAMPLE_SIZE = 20;

export interface ResolvedBulkOptions {
  ratePerSec: number;
  maxSagas: number;
}

export const isBulkRate = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= BULK_RATE_MIN && value <= BULK_RATE_MAX;

/** Applies defaults and validates eagerly (at bootstrap). */
export function resolveBulkOptions(options: SagaBulkActionsOptions = {}): ResolvedBulkOptions {
  const where = 'SagaModule.forRoot({ bulkActions })';
  if (options.ratePerSec !== undefined && !isBulkRate(options.ratePerSec)) {
    throw new SagaConfigurationError(`${where}: ratePerSec must be a number from ${BULK_RATE_MIN} to ${BULK_RATE_MAX} (got ${options.ratePerSec}).`);
  }
  if (options.maxSagas !== undefined && !(Number.isInteger(options.maxSagas) && options.maxSagas >= 1)) {
    throw new SagaConfigurationError(`${where}: maxSagas must be an integer of at least 1 (got ${options.maxSagas}).`);
  }
  return { ratePerSec: options.ratePerSec ?? 50, maxSagas: options.maxSagas ?? 100_000 };
}
