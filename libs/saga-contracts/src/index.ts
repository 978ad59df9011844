export {
  SAGA_STATUSES,
  TERMINAL_SAGA_STATUSES,
  STEP_STATUSES,
  DEADLINE_POLICIES,
  STEP_FAILURE_POLICIES,
  STEP_EFFECTS,
  STUCK_REASONS,
  isTerminal,
  isSettled,
  isSagaStatus,
} from './statuses.js';
export type { SagaStatus, StepStatus, DeadlinePolicy, StepFailurePolicy, StepEffects, StuckReason } from './statuses.js';
export {
  SAGA_TRANSITIONS,
  SAGA_ACTIONS,
  canTransition,
  STEP_TRANSITIONS,
  canTransitionStep,
  canCancel,
  canCompensate,
  canRetry,
  canPause,
  canResume,
  canResolveStep,
  canPerform,
  allowedActions,
} from './transitions.js';
export type { SagaAction } from './transitions.js';
export { SAGA_EVENT_TYPES } from './events.js';
export type { SagaEventType } from './events.js';
export { SAGA_ERROR_CODES } from './dto.js';
export { findUnstorableText, replaceUnstorableText, MAX_JSON_DEPTH } from './storable-text.js';
export type { UnstorableText, UnstorableReason, FindUnstorableTextOptions } from './storable-text.js';
export { findPlanProblems, MAX_SAGA_NAME_LENGTH } from './plans.js';
export type { PlanStepRequest, PlanCatalogEntry, PlanProblem, PlanProblemCode, FindPlanProblemsOptions } from './plans.js';
export type {
  ErrorView,
  SagaSummary,
  SagaStepView,
  StepCompensationView,
  SagaEventView,
  SagaLeaseView,
  SagaDetail,
  SagaPage,
  RetryPolicyView,
  StepDefinitionView,
  SagaDefinitionView,
  SagaDefinitionCensus,
  SagaVersionCount,
  SagaPlanView,
  SagaPlanStepView,
  SagaPlanOrigin,
  SagaStats,
  ApiErrorBody,
  StartSagaRequest,
  ActionRequest,
  AdminRole,
  SagaErrorCode,
} from './dto.js';
export { BULK_ACTION_STATUSES } from './dto.js';
export type {
  BulkActionStatus,
  BulkActionFilter,
  BulkActionRequest,
  BulkActionPreview,
  BulkCompensationPreview,
  BulkCompensationStep,
  BulkActionFailure,
  BulkActionView,
} from './dto.js';
export { STEP_PAUSE_STATUSES } from './dto.js';
export type { StepPauseStatus, StepPauseView, StepPauseRequest, StepResumeRequest } from './dto.js';
