/**
 * The one table of allowed saga status transitions. The engine refuses any write that is not in it,
 * and the dashboard enables buttons by the same guards, so both always agree.
 */
import type { SagaStatus, StepStatus } from './statuses.js';

export const SAGA_TRANSITIONS: Readonly<Record<SagaStatus, readonly SagaStatus[]>> = {
  PENDING: ['RUNNING', 'PAUSED', 'COMPENSATING', 'CANCELLED', 'COMPENSATED'],
  RUNNING: ['COMPLETED', 'COMPENSATING', 'PAUSED', 'CANCELLED', 'COMPENSATED'],
  PAUSED: ['RUNNING', 'COMPENSATING', 'CANCELLED', 'COMPENSATED'],
  COMPENSATING: ['COMPENSATED', 'CANCELLED', 'FAILED'],
  COMPLETED: ['COMPENSATING', 'COMPENSATED'],
  FAILED: ['COMPENSATING', 'COMPENSATED', 'CANCELLED'],
  COMPENSATED: [],
  CANCELLED: [],
};

export function canTransition(from: SagaStatus, to: SagaStatus): boolean {
  return from === to || SAGA_TRANSITIONS[from].includes(to);
}

/**
 * The one table of allowed step status changes, as the engine's state machine makes them: an attempt
 * starts (`RUNNING`), ends (`COMPLETED`, `FAILED`) or is given back before it ran (`PENDING`,
 * `FAILED`); a step to undo starts compensating or is skipped (no compensation); its compensation
 * ends (`COMPENSATED`, `COMPENSATION_FAILED`), is retried, or is resolved by an operator.
 */
export const STEP_TRANSITIONS: Readonly<Record<StepStatus, readonly StepStatus[]>> = {
  PENDING: ['RUNNING'],
  RUNNING: ['COMPLETED', 'FAILED', 'PENDING', 'COMPENSATING', 'SKIPPED'],
  COMPLETED: ['COMPENSATING', 'SKIPPED'],
  FAILED: ['RUNNING', 'COMPENSATING', 'SKIPPED'],
  COMPENSATING: ['COMPENSATED', 'COMPENSATION_FAILED', 'SKIPPED'],
  COMPENSATION_FAILED: ['COMPENSATING', 'COMPENSATED', 'SKIPPED'],
  COMPENSATED: [],
  SKIPPED: [],
};

export function canTransitionStep(from: StepStatus, to: StepStatus): boolean {
  return from === to || STEP_TRANSITIONS[from].includes(to);
}

/** Operator actions on a whole saga. */
export const SAGA_ACTIONS = ['cancel', 'compensate', 'retry', 'pause', 'resume'] as const;
export type SagaAction = (typeof SAGA_ACTIONS)[number];

/** Cancel: undo what was done and end `CANCELLED`. */
export function canCancel(status: SagaStatus): boolean {
  return status === 'PENDING' || status === 'RUNNING' || status === 'PAUSED';
}

/**
 * Compensate: undo what was done and end `COMPENSATED`. Also allowed on a `COMPLETED` saga, and on a
 * `FAILED` one, where it runs the compensations still due again (the failed ones with fresh attempts).
 */
export function canCompensate(status: SagaStatus): boolean {
  return status === 'PENDING' || status === 'RUNNING' || status === 'PAUSED' || status === 'COMPLETED' || status === 'FAILED';
}

/**
 * Retry: on a `PAUSED` saga, run forward again from the failed (or current) step with fresh attempts;
 * on a `FAILED` saga, retry the compensations that failed.
 */
export function canRetry(status: SagaStatus): boolean {
  return status === 'PAUSED' || status === 'FAILED';
}

/** Pause: nothing more runs until an operator resumes, retries, cancels or compensates. */
export function canPause(status: SagaStatus): boolean {
  return status === 'PENDING' || status === 'RUNNING';
}

/** Resume a `PAUSED` saga where it stopped. */
export function canResume(status: SagaStatus): boolean {
  return status === 'PAUSED';
}

/** Resolve: mark a `COMPENSATION_FAILED` step of a `FAILED` saga as compensated by hand. */
export function canResolveStep(sagaStatus: SagaStatus, stepStatus: StepStatus): boolean {
  return sagaStatus === 'FAILED' && stepStatus === 'COMPENSATION_FAILED';
}

const GUARDS: Readonly<Record<SagaAction, (status: SagaStatus) => boolean>> = {
  cancel: canCancel,
  compensate: canCompensate,
  retry: canRetry,
  pause: canPause,
  resume: canResume,
};

/** The guard of an action by name. */
export function canPerform(action: SagaAction, status: SagaStatus): boolean {
  return GUARDS[action](status);
}

/** The actions an operator may take on a saga in this status, in display order. */
export function allowedActions(status: SagaStatus): SagaAction[] {
  return SAGA_ACTIONS.filter((action) => GUARDS[action](status));
}
