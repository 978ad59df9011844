/**
 * The engine's view of stored sagas. Stores translate these to and from their own representation;
 * nothing outside persistence/ knows how they are laid out.
 */
import type { ErrorView, SagaEventType, SagaStatus, StepStatus, StuckReason } from '@nest-saga/contracts';
import type { SagaPlan } from '../plan/saga-plan.js';

export type CompensationStatus = 'PENDING' | 'RUNNING' | 'COMPENSATED' | 'FAILED' | 'SKIPPED' | 'RESOLVED';

export interface StepCompensationState {
  status: CompensationStatus | null;
  attempts: number;
  /** `attempts` when the current retry budget started (an operator retry resets the budget). */
  budgetStart: number;
  error: ErrorView | null;
  startedAt: string | null;
  finishedAt: string | null;
  nextAttemptAt: string | null;
}

export interface StepState {
  name: string;
  status: StepStatus;
  attempts: number;
  budgetStart: number;
  output?: unknown;
  error: ErrorView | null;
  startedAt: string | null;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  outcomeUnknown: boolean;
  compensation: StepCompensationState;
}

export type SagaRequestAction = 'cancel' | 'compensate' | 'pause' | 'resume' | 'retry' | 'resolve';

export interface SagaRequest {
  action: SagaRequestAction;
  step: string | null;
  actor: string | null;
  reason: string | null;
  /** Unique per request (ISO time with a random suffix); used to clear exactly the applied one. */
  token: string;
  at: string;
}

export type CompensationCause = 'STEP_FAILED' | 'DEADLINE' | 'CANCELLED' | 'OPERATOR';

export interface SagaRecord {
  id: string;
  name: string;
  version: number;
  status: SagaStatus;
  input: unknown;
  currentStep: number;
  idempotencyKey: string | null;
  ownerId: string | null;
  leaseExpiresAt: Date | null;
  fence: number;
  nextRunAt: Date | null;
  deadlineAt: Date | null;
  deadlineHandledAt: Date | null;
  compensationCause: CompensationCause | null;
  request: SagaRequest | null;
  error: ErrorView | null;
  steps: StepState[];
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  stuckSince: Date | null;
  stuckReason: StuckReason | null;
  /** The trace the saga's spans belong to, stored at its start; null when no trace was active. */
  traceContext?: SagaTraceContext | null;
  /** What the saga runs, written once at its start; null for sagas stored before plans existed. */
  plan: SagaPlan | null;
}

export interface NewSagaEvent {
  type: SagaEventType;
  step?: string | null;
  attempt?: number | null;
  actor?: string | null;
  reason?: string | null;
  error?: ErrorView | null;
  data?: Record<string, unknown> | null;
}

export interface SagaEventRecord extends Required<NewSagaEvent> {
  id: string;
  sagaId: string;
  at: Date;
}

/** What a saga row keeps of the trace it belongs to (the `trace_context` column). */
export interface SagaTraceContext {
  /** W3C `traceparent` of the span that started the saga. */
  traceparent: string;
  /** W3C `tracestate`, when the trace carried one. */
  tracestate?: string;
}
