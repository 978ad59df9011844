import type { RetryPolicyView } from '@nest-saga/contracts';
import { formatDuration } from '../../../lib/format';

/** `3 attempts · backoff 200 ms ×2, max 5 s · jitter 20%` */
export function formatRetryPolicy(policy: RetryPolicyView): string {
  if (policy.maxAttempts <= 1) return 'No retries (1 attempt)';
  const parts = [`${policy.maxAttempts} attempts`];
  const backoff = [`backoff ${formatDuration(policy.initialDelayMs)}`];
  if (policy.backoffCoefficient !== 1) backoff.push(`×${policy.backoffCoefficient}`);
  parts.push(`${backoff.join(' ')}, max ${formatDuration(policy.maxDelayMs)}`);
  if (policy.jitter > 0) parts.push(`jitter ${policy.jitter <= 1 ? `${Math.round(policy.jitter * 100)}%` : formatDuration(policy.jitter)}`);
  return parts.join(' · ');
}
