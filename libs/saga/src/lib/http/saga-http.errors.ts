/**
 * Failures of `ctx.http` / `SagaHttpClient`, classified for the engine: `HttpStepError` is retried
 * (no answer, a 5xx, 408 or 429: the next attempt may succeed, and the idempotency key makes it
 * safe); `NonRetryableHttpStepError` is not (the service refused the request itself).
 */
import { NonRetryableStepError, SagaError, type SagaErrorContext } from '../errors/saga.errors.js';

/** What both errors tell about the request. */
export interface HttpFailureDetails {
  method: string;
  /** Origin and path only: query strings may carry secrets and do not go into messages or history. */
  url: string;
  /** HTTP status, or null when no answer came (network error, time limit). */
  status: number | null;
  /** The start of the answer's body (at most `bodyExcerptLength` characters), when there was one. */
  bodyExcerpt: string | null;
}

/** Stable codes of the HTTP step errors (stored with the step's error in the history). */
export const SAGA_HTTP_ERROR_CODES = {
  /** No answer, or an answer worth another attempt (5xx, 408, 429). Retried. */
  HTTP_REQUEST_FAILED: 'HTTP_REQUEST_FAILED',
  /** The service refused the request (4xx other than 408 and 429). Not retried. */
  HTTP_REQUEST_REJECTED: 'HTTP_REQUEST_REJECTED',
} as const;

/** A retryable failure: the engine tries the step again (within its retry policy) with the same key. */
export class HttpStepError extends SagaError implements HttpFailureDetails {
  readonly method: string;
  readonly url: string;
  readonly status: number | null;
  readonly bodyExcerpt: string | null;

  constructor(message: string, details: HttpFailureDetails, context: SagaErrorContext = {}, options?: { cause?: unknown }) {
    super(SAGA_HTTP_ERROR_CODES.HTTP_REQUEST_FAILED, message, context, options);
    this.method = details.method;
    this.url = details.url;
    this.status = details.status;
    this.bodyExcerpt = details.bodyExcerpt;
  }
}

/** The service answered with a 4xx other than 408 and 429: the step fails for good and the saga compensates. */
export class NonRetryableHttpStepError extends NonRetryableStepError implements HttpFailureDetails {
  override readonly code: string = SAGA_HTTP_ERROR_CODES.HTTP_REQUEST_REJECTED;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly bodyExcerpt: string | null;
  readonly sagaId?: string;
  readonly stepName?: string;
  readonly attempt?: number;

  constructor(message: string, details: HttpFailureDetails & { status: number }, context: SagaErrorContext = {}) {
    super(message);
    this.name = 'NonRetryableHttpStepError';
    this.method = details.method;
    this.url = details.url;
    this.status = details.status;
    this.bodyExcerpt = details.bodyExcerpt;
    this.sagaId = context.sagaId;
    this.stepName = context.stepName;
    this.attempt = context.attempt;
  }
}
