/**
 * How a failed step (or compensation) attempt is retried. Delay before attempt n+1 is
 * `min(initialDelayMs * backoffCoefficient^(n-1), maxDelayMs)`, spread by `jitter`.
 */
export interface RetryPolicy {
  /**
   * Total attempts, the first included. 1 means no retry.
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Delay before the first retry.
   * @default 100
   */
  initialDelayMs?: number;
  /**
   * Factor by which the delay grows after each failed attempt.
   * @default 2
   */
  backoffCoefficient?: number;
  /**
   * Upper bound of the delay between attempts.
   * @default 30000
   */
  maxDelayMs?: number;
  /**
   * Fraction (0..1) of the delay that is randomised, so retries of many sagas do not line up.
   * A delay d becomes a value in `[d * (1 - jitter), d]`.
   * @default 0.2
   */
  jitter?: number;
}

/** A retry policy with every field set. */
export type ResolvedRetryPolicy = Required<RetryPolicy>;
