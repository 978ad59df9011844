import { SagaConfigurationError } from '../errors/saga.errors.js';
import type { SagaRetentionOptions } from '../interfaces/saga-operations-options.interface.js';

/** Most rows one retention statement deletes. */
export const RETENTION_MAX_BATCH = 1_000;

export interface ResolvedRetentionOptions {
  finishedAfterMs: number;
  intervalMs: number;
  batchSize: number;
  maxBatchesPerRun: number;
}

/** Applies defaults and validates eagerly; null when retention is off. */
export function resolveRetentionOptions(options: SagaRetentionOptions | undefined | null): ResolvedRetentionOptions | null {
  if (options === undefined || options === null) return null;
  const where = 'SagaModule.forRoot({ retention })';
  const int = (name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)) {
      throw new SagaConfigurationError(`${where}: ${name} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''} (got ${JSON.stringify(value)}).`);
    }
    return value;
  };
  if (typeof options !== 'object') throw new SagaConfigurationError(`${where}: retention must be an object such as { finishedAfterMs: 2592000000 }.`);
  return {
    finishedAfterMs: int('finishedAfterMs', options.finishedAfterMs, 1_000),
    intervalMs: options.intervalMs === undefined ? 60_000 : int('intervalMs', options.intervalMs, 100),
    batchSize: options.batchSize === undefined ? RETENTION_MAX_BATCH : int('batchSize', options.batchSize, 1, RETENTION_MAX_BATCH),
    maxBatchesPerRun: options.maxBatchesPerRun === undefined ? 100 : int('maxBatchesPerRun', options.maxBatchesPerRun, 1),
  };
}
