/** Shapes of the admin API's JSON, shared by the server and the dashboard. Dates are ISO strings. */
import type { SagaEventType } from './events.js';
import type { PlanStepRequest } from './plans.js';
import type { DeadlinePolicy, SagaStatus, StepEffects, StepFailurePolicy, StepStatus, StuckReason } from './statuses.js';
import type { SagaAction } from './transitions.js';

export interface ErrorView {
  name?: string;
  message: string;
  /** Set on errors the engine classifies: `STEP_TIMEOUT`, `NON_RETRYABLE`, `ABORTED`, ... */
  code?: string;
}

export interface SagaSummary {
  id: string;
  name: string;
  status: SagaStatus;
  idempotencyKey: string | null;
  /** Name of the step running or due next; null when none (completed or not started). */
  currentStep: string | null;
  currentStepIndex: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  deadlineAt: string | null;
  stuckSince: string | null;
  stuckReason: StuckReason | null;
  error: ErrorView | null;
}

export interface StepCompensationView {
  status: 'PENDING' | 'RUNNING' | 'COMPENSATED' | 'FAILED' | 'SKIPPED' | 'RESOLVED' | null;
  attempts: number;
  error: ErrorView | null;
  startedAt: string | null;
  finishedAt: string | null;
  nextAttemptAt: string | null;
}

export interface SagaStepView {
  index: number;
  name: string;
  status: StepStatus;
  attempts: number;
  output: unknown;
  error: ErrorView | null;
  startedAt: string | null;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  /** The step's outcome is not known (it timed out or was aborted): it is compensated if it can be. */
  outcomeUnknown: boolean;
  hasCompensation: boolean;
  compensation: StepCompensationView;
}

export interface SagaEventView {
  id: string;
  sagaId: string;
  at: string;
  type: SagaEventType;
  step: string | null;
  attempt: number | null;
  actor: string | null;
  reason: string | null;
  error: ErrorView | null;
  data: Record<string, unknown> | null;
}

export interface SagaLeaseView {
  ownerId: string | null;
  expiresAt: string | null;
  fence: number;
}

export interface SagaDetail extends SagaSummary {
  input: unknown;
  steps: SagaStepView[];
  events: SagaEventView[];
  lease: SagaLeaseView;
  nextRunAt: string | null;
  /** Why the saga is (being) compensated: `STEP_FAILED`, `DEADLINE`, `CANCELLED`, `OPERATOR`. */
  compensationCause: string | null;
  /** An operator request the owner has not applied yet. */
  pendingRequest: { action: string; actor: string | null; reason: string | null; at: string } | null;
  /** Version of the definition the saga started on (1 for composed sagas unless they set one). */
  definitionVersion: number;
  /**
   * What the saga runs, fixed when it started: a deployment that changes its definition does not
   * change it. Null only for a saga stored before plans whose steps this instance does not have.
   */
  plan: SagaPlanView | null;
}

export interface SagaPage<T = SagaSummary> {
  items: T[];
  nextCursor: string | null;
}

export interface RetryPolicyView {
  maxAttempts: number;
  initialDelayMs: number;
  backoffCoefficient: number;
  maxDelayMs: number;
  jitter: number;
}

export interface StepDefinitionView {
  name: string;
  /** Steps whose outputs this step reads (`@SagaStep(name, { requires })`): they must come earlier. */
  requires: string[];
  hasCompensation: boolean;
  timeoutMs: number;
  retry: RetryPolicyView;
  compensationTimeoutMs: number;
  compensationRetry: RetryPolicyView;
  onFailure: StepFailurePolicy;
  /** `none`: the step acts on nothing outside the process, so it starts without a checkpoint of its own. */
  effects: StepEffects;
}

export interface SagaDefinitionView {
  name: string;
  version: number;
  timeoutMs: number | null;
  deadlinePolicy: DeadlinePolicy;
  steps: StepDefinitionView[];
}

/** How many sagas of one definition version are not finished (neither COMPLETED, COMPENSATED nor CANCELLED). */
export interface SagaVersionCount {
  version: number;
  running: number;
}

/** A registered saga with the versions its unfinished sagas run (`GET /api/saga-definitions`). */
export interface SagaDefinitionCensus extends SagaDefinitionView {
  /** Newest first; the registered version is always listed, older ones while sagas still run on them. */
  versions: SagaVersionCount[];
}

/** One step of a saga's plan, with the policies it runs under, fixed at start. */
export interface SagaPlanStepView {
  /** Registered step name. */
  step: string;
  /** `ctx.params` of the step; `{}` when none were given. */
  params: Record<string, unknown>;
  timeoutMs: number;
  retry: RetryPolicyView;
  compensationTimeoutMs: number;
  compensationRetry: RetryPolicyView;
  onFailure: StepFailurePolicy;
}

/**
 * Where a plan comes from: a registered definition, a composition given at start, or (`legacy`)
 * derived when read, for a saga stored before plans existed.
 */
export type SagaPlanOrigin = 'definition' | 'composed' | 'legacy';

/** What a saga runs, stored with it when it starts. */
export interface SagaPlanView {
  /** The saga (definition or composition) name. */
  name: string;
  version: number;
  origin: SagaPlanOrigin;
  timeoutMs: number | null;
  deadlinePolicy: DeadlinePolicy;
  steps: SagaPlanStepView[];
}

export interface SagaStats {
  total: number;
  byStatus: Record<SagaStatus, number>;
  byName: Record<string, Partial<Record<SagaStatus, number>>>;
  stuck: number;
}

/** Body of every error the admin API returns. */
export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
  /** The request field at fault: for 400s, and for a 404 about a step a composition named (`steps[1].step`). */
  field?: string;
}

export interface StartSagaRequest {
  /** A registered saga's name; with `steps`, the name of the saga composed from them. */
  name: string;
  input: unknown;
  idempotencyKey?: string;
  /** Compose the saga from registered steps, in this order, instead of starting a registered one. */
  steps?: PlanStepRequest[];
}

export interface ActionRequest {
  reason?: string;
}

export type AdminRole = 'viewer' | 'operator';

/** Error codes shared by the library and the API. */
export const SAGA_ERROR_CODES = {
  SAGA_NOT_FOUND: 'SAGA_NOT_FOUND',
  SAGA_DEFINITION_NOT_FOUND: 'SAGA_DEFINITION_NOT_FOUND',
  SAGA_STEP_NOT_FOUND: 'SAGA_STEP_NOT_FOUND',
  INVALID_SAGA_TRANSITION: 'INVALID_SAGA_TRANSITION',
  SAGA_CONFIGURATION_ERROR: 'SAGA_CONFIGURATION_ERROR',
  SAGA_LEASE_LOST: 'SAGA_LEASE_LOST',
  SAGA_INPUT_INVALID: 'SAGA_INPUT_INVALID',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** An idempotency key already used by a saga started with another input (or another saga name). */
  IDEMPOTENCY_KEY_CONFLICT: 'IDEMPOTENCY_KEY_CONFLICT',
  /** On a step's error: its output cannot be stored (not JSON, or text PostgreSQL refuses). Not retried. */
  STEP_OUTPUT_UNSTORABLE: 'STEP_OUTPUT_UNSTORABLE',
  /** The store refused a value for good (PostgreSQL data exception); writing it again cannot succeed. */
  DATA_UNSTORABLE: 'DATA_UNSTORABLE',
  /** A composed saga's name is empty, too long, or that of a registered saga. */
  PLAN_NAME_INVALID: 'PLAN_NAME_INVALID',
  /** A composed saga lists no steps. */
  PLAN_EMPTY: 'PLAN_EMPTY',
  /** A composed saga lists a step that is not registered. */
  PLAN_STEP_NOT_REGISTERED: 'PLAN_STEP_NOT_REGISTERED',
  /** A composed saga lists a step twice. */
  PLAN_STEP_DUPLICATE: 'PLAN_STEP_DUPLICATE',
  /** A step's `requires` are not earlier in the plan (a composed saga at start, a decorated one at bootstrap). */
  PLAN_REQUIREMENT_MISSING: 'PLAN_REQUIREMENT_MISSING',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NOT_FOUND: 'NOT_FOUND',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  /** No bulk action has this id (it never existed, or retention deleted it). */
  BULK_ACTION_NOT_FOUND: 'BULK_ACTION_NOT_FOUND',
  /** The bulk action is already `DONE` or `CANCELLED`. */
  BULK_ACTION_NOT_RUNNING: 'BULK_ACTION_NOT_RUNNING',
  /** The filter matches more sagas than one bulk action may take (`bulkActions.maxSagas`). */
  BULK_ACTION_TOO_LARGE: 'BULK_ACTION_TOO_LARGE',
  /** The step circuit breaker was asked about a step this instance does not register. */
  STEP_NOT_REGISTERED: 'STEP_NOT_REGISTERED',
  /** Resume of a step that is not paused (never was, or already resumed). */
  STEP_NOT_PAUSED: 'STEP_NOT_PAUSED',
  /**
   * On a `PAUSED` saga's `error`: it waits at a step the circuit breaker paused (no attempt used).
   * Resuming the step releases it; it is not an error of the saga.
   */
  STEP_PAUSED: 'STEP_PAUSED',
} as const;
export type SagaErrorCode = (typeof SAGA_ERROR_CODES)[keyof typeof SAGA_ERROR_CODES];

/** Statuses of a bulk action. Persisted strings: never rename one. */
export const BULK_ACTION_STATUSES = ['RUNNING', 'DONE', 'CANCELLED'] as const;
export type BulkActionStatus = (typeof BULK_ACTION_STATUSES)[number];

/**
 * Which sagas a bulk action takes: every criterion given must hold (the same meaning as the list's
 * query), and `ids`, when given, limits it to those sagas.
 */
export interface BulkActionFilter {
  status?: SagaStatus[];
  name?: string;
  stuck?: boolean;
  /** A saga id, or an idempotency key (or its prefix). */
  q?: string;
  /** At most 1,000 saga ids. */
  ids?: string[];
}

/** Body of `POST /api/bulk-actions`. */
export interface BulkActionRequest {
  action: SagaAction;
  filter: BulkActionFilter;
  /** Recorded in every saga's history, after the bulk action's id. */
  reason: string;
  /** Only say what would happen (200 with a `BulkActionPreview`); nothing is changed. */
  dryRun?: boolean;
  /** Sagas acted on per second. Defaults to the module's `bulkActions.ratePerSec` (50). */
  ratePerSec?: number;
}

/** One compensation a bulk action would run, and on how many of the matched sagas. */
export interface BulkCompensationStep {
  step: string;
  sagas: number;
}

/** Per saga definition: the compensations the action would run, in the order they run (last step first). */
export interface BulkCompensationPreview {
  /** Saga definition name. */
  name: string;
  /** Matched sagas of this definition. */
  sagas: number;
  /** Compensations that would run (a step in flight is aborted and compensated as an unknown outcome). */
  steps: BulkCompensationStep[];
  /** Steps that did something but have no compensation: nothing is undone for them. */
  noCompensation: BulkCompensationStep[];
}

/** Answer of a dry run: what the action would touch, as the real run would snapshot it now. */
export interface BulkActionPreview {
  action: SagaAction;
  /** Sagas the action would be applied to: they match the filter and their status allows the action. */
  matched: number;
  /** The matched sagas by status. */
  byStatus: Partial<Record<SagaStatus, number>>;
  /** Sagas that match the filter but whose status does not allow the action: left alone. */
  skipped: number;
  skippedByStatus: Partial<Record<SagaStatus, number>>;
  /** Up to 20 of the matched sagas, newest first. */
  sample: SagaSummary[];
  /** Empty for actions that compensate nothing (pause, resume, retry of a paused saga). */
  compensations: BulkCompensationPreview[];
}

/** One saga the bulk action could not act on, with the error's stable code. */
export interface BulkActionFailure {
  sagaId: string;
  code: string;
  message: string;
}

/** `GET /api/bulk-actions/:id`. */
export interface BulkActionView {
  id: string;
  action: SagaAction;
  status: BulkActionStatus;
  /** Sagas snapshotted when the action started; the set never changes afterwards. */
  total: number;
  /** Sagas acted on so far (succeeded + failed). */
  done: number;
  succeeded: number;
  failed: number;
  /** The first failures (at most 500), in the order the sagas were taken. */
  failures: BulkActionFailure[];
  filter: BulkActionFilter;
  reason: string;
  actor: string;
  ratePerSec: number;
  /** Instance running it; null once finished. */
  ownerId: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** States of a paused step: `PAUSED` holds sagas; `RESUMING` releases the held ones at `ratePerSec`. */
export const STEP_PAUSE_STATUSES = ['PAUSED', 'RESUMING'] as const;
export type StepPauseStatus = (typeof STEP_PAUSE_STATUSES)[number];

/**
 * A step the circuit breaker paused (`GET /api/steps/paused`). While `PAUSED`, sagas about to run it
 * wait as `PAUSED` (`error.code` `STEP_PAUSED`); once resumed it is `RESUMING` until every held saga
 * is released, then it leaves the list.
 */
export interface StepPauseView {
  step: string;
  status: StepPauseStatus;
  reason: string;
  pausedBy: string;
  pausedAt: string;
  resumedBy: string | null;
  resumedAt: string | null;
  resumeReason: string | null;
  /** Held sagas released per second after the resume; null releases them all at once. */
  ratePerSec: number | null;
  /** Sagas released since the resume. */
  released: number;
  /** Sagas held at this step now. */
  waiting: number;
}

/** Body of `POST /api/steps/:step/pause`. */
export interface StepPauseRequest {
  reason: string;
}

/** Body of `POST /api/steps/:step/resume`. */
export interface StepResumeRequest {
  reason: string;
  /** Held sagas released per second (0.1 to 1000); all at once when absent. */
  ratePerSec?: number;
}
