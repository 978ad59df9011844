import { describe, expect, it } from 'vitest';
import { SagaConfigurationError } from '../errors/saga.errors.js';
import { resolveRetryPolicy, retryDelayMs } from './retry-policy.js';

describe('retry policy', () => {
  it('grows the delay geometrically and caps it', () => {
    const policy = resolveRetryPolicy('test', { initialDelayMs: 100, backoffCoefficient: 2, maxDelayMs: 350, jitter: 0 });
    expect([1, 2, 3, 4].map((a) => retryDelayMs(policy, a))).toEqual([100, 200, 350, 350]);
  });

  it('takes off at most the jitter share of the delay', () => {
    const policy = resolveRetryPolicy('test', { initialDelayMs: 1000, jitter: 0.25 });
    expect(retryDelayMs(policy, 1, () => 0)).toBe(1000);
    expect(retryDelayMs(policy, 1, () => 0.999999)).toBe(750);
  });

  it('rejects a policy that cannot work, naming the field', () => {
    expect(() => resolveRetryPolicy('Step "x"', { maxAttempts: 0 })).toThrow(SagaConfigurationError);
    expect(() => resolveRetryPolicy('Step "x"', { jitter: 2 })).toThrow(/retry\.jitter/);
  });
});
