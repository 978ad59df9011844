/**
 * Retry arithmetic, pure. Delays grow geometrically from `initialDelayMs`, are capped at
 * `maxDelayMs`, and lose up to `jitter` of their length at random so that retries spread out.
 */
import type { RetryPolicyView } from '@nest-saga/contracts';
import { SagaConfigurationError } from '../errors/saga.errors.js';
import type { ResolvedRetryPolicy, RetryPolicy } from '../interfaces/retry-policy.interface.js';

export const DEFAULT_RETRY_POLICY: ResolvedRetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 100,
  backoffCoefficient: 2,
  maxDelayMs: 30_000,
  jitter: 0.2,
};

/** Merges and validates; throws a `SagaConfigurationError` naming `where` on a bad value. */
export function resolveRetryPolicy(where: string, ...layers: (RetryPolicy | undefined)[]): ResolvedRetryPolicy {
  const policy = Object.assign({}, DEFAULT_RETRY_POLICY, ...layers.map((l) => l ?? {})) as ResolvedRetryPolicy;
  const fail = (field: string, rule: string) => {
    throw new SagaConfigurationError(`${where}: retry.${field} ${rule} (got ${String((policy as any)[field])}).`);
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) fail('maxAttempts', 'must be an integer of at least 1');
  if (!(policy.initialDelayMs >= 0)) fail('initialDelayMs', 'must be a number >= 0');
  if (!(policy.backoffCoefficient >= 1)) fail('backoffCoefficient', 'must be a number >= 1');
  if (!(policy.maxDelayMs >= 0)) fail('maxDelayMs', 'must be a number >= 0');
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) fail('jitter', 'must be between 0 and 1');
  return policy;
}

/** Delay before the attempt that follows failed attempt `attempt` (1-based). */
export function retryDelayMs(policy: ResolvedRetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.initialDelayMs * policy.backoffCoefficient ** Math.max(0, attempt - 1), policy.maxDelayMs);
  return Math.round(base * (1 - policy.jitter * random()));
}

export function toRetryPolicyView(policy: ResolvedRetryPolicy): RetryPolicyView {
  return { ...policy };
}

export function validateTimeout(where: string, field: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new SagaConfigurationError(`${where}: ${field} must be a positive number of milliseconds (got ${String(value)}).`);
  }
}
