import type { SagaDetail, SagaEventType, SagaStatus, StuckReason } from '@nest-saga/contracts';

/** What `SagaService.start` returns. */
export interface SagaHandle {
  /** Id of the saga instance (an existing one when the idempotency key was already used). */
  readonly sagaId: string;
  /** False when `start` found an existing saga with the same idempotency key. */
  readonly created: boolean;
  /**
   * Resolves with the saga's detail once it settles: `COMPLETED`, `COMPENSATED`, `CANCELLED`,
   * `FAILED` or `PAUSED` with no operator request waiting on it (a `PAUSED` saga being resumed is not
   * settled). Works across instances (it polls the store when the saga runs elsewhere).
   */
  result(options?: { timeoutMs?: number }): Promise<SagaDetail>;
}

export interface StartSagaOptions {
  /**
   * Starting again with the same key and the same input (as JSON, key order aside) returns the first
   * saga; no second one is created. The same key with another input (or saga) throws
   * `SagaIdempotencyConflictError` (`IDEMPOTENCY_KEY_CONFLICT`), which carries the existing `sagaId`.
   */
  idempotencyKey?: string;
}

/** Who asks for an operator action and why; recorded in the history. */
export interface SagaActionOptions {
  /** @default 'system' */
  actor?: string;
  reason?: string;
}

export interface SagaListQuery {
  status?: SagaStatus[];
  name?: string;
  /** Only sagas currently reported stuck. */
  stuck?: boolean;
  /** An exact saga id or idempotency key (or a prefix of the key). */
  q?: string;
  /** @default 50, at most 500 */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/**
 * One notification per transition and attempt, for metrics and logs. Subscribe with
 * `SagaService.events$` (an rxjs Observable). Emitted after the change is stored.
 */
export interface SagaLifecycleEvent {
  type: SagaEventType;
  sagaId: string;
  sagaName: string;
  status: SagaStatus;
  step?: string;
  attempt?: number;
  durationMs?: number;
  error?: string;
  actor?: string;
  reason?: string;
  stuckReason?: StuckReason;
  at: Date;
}
