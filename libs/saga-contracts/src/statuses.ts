/**
 * Saga and step statuses. These strings are persisted and part of the public API: never rename one.
 */
export const SAGA_STATUSES = [
  'PENDING',
  'RUNNING',
  'PAUSED',
  'COMPENSATING',
  'COMPLETED',
  'COMPENSATED',
  'CANCELLED',
  'FAILED',
] as const;

/** Status of a saga instance. */
export type SagaStatus = (typeof SAGA_STATUSES)[number];

/** Statuses a saga never leaves on its own (an operator may still compensate a `COMPLETED` one). */
export const TERMINAL_SAGA_STATUSES: readonly SagaStatus[] = ['COMPLETED', 'COMPENSATED', 'CANCELLED'];

export const STEP_STATUSES = [
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'COMPENSATING',
  'COMPENSATED',
  'COMPENSATION_FAILED',
  'SKIPPED',
] as const;

/** Status of one step of a saga instance. */
export type StepStatus = (typeof STEP_STATUSES)[number];

/**
 * True when the engine will do nothing more with the saga by itself. `FAILED` is not terminal in
 * this sense for operators (it waits for them), but the engine stops working on it.
 */
export function isTerminal(status: SagaStatus): boolean {
  return TERMINAL_SAGA_STATUSES.includes(status);
}

/** True when the saga is waiting for an operator or is finished: nothing runs until someone acts. */
export function isSettled(status: SagaStatus): boolean {
  return isTerminal(status) || status === 'FAILED' || status === 'PAUSED';
}

export function isSagaStatus(value: unknown): value is SagaStatus {
  return typeof value === 'string' && (SAGA_STATUSES as readonly string[]).includes(value);
}

/** What the engine does when a saga's deadline (`timeoutMs`) passes. */
export const DEADLINE_POLICIES = ['compensate', 'pause', 'flag'] as const;
export type DeadlinePolicy = (typeof DEADLINE_POLICIES)[number];

/** What the engine does when a step fails for good. */
export const STEP_FAILURE_POLICIES = ['compensate', 'pause'] as const;
export type StepFailurePolicy = (typeof STEP_FAILURE_POLICIES)[number];

/** Whether a step acts outside the process (`external`, the default) or not (`none`: running it again changes nothing). */
export const STEP_EFFECTS = ['external', 'none'] as const;
export type StepEffects = (typeof STEP_EFFECTS)[number];

/** Why a saga is reported as stuck. */
export const STUCK_REASONS = [
  'LEASE_EXPIRED',
  'STEP_TIMEOUT_EXCEEDED',
  'RETRY_OVERDUE',
  'PAUSED_TOO_LONG',
  'DEADLINE_PASSED',
  'NO_PROGRESS',
  /** Its plan names a step this instance does not have: it waits for an instance that has it. */
  'STEP_NOT_REGISTERED',
] as const;
export type StuckReason = (typeof STUCK_REASONS)[number];
