// Public API of @nest-saga/saga. Everything not exported here is internal.
import { PostgresSagaStore } from './lib/persistence/postgres-saga.store.js';

export { SagaModule } from './lib/saga.module.js';
export { SAGA_MODULE_OPTIONS } from './lib/saga.module-definition.js';
export { SagaService } from './lib/services/saga.service.js';
export { SagaRegistry } from './lib/discovery/saga.registry.js';
export type { RegisteredSaga, RegisteredStep } from './lib/discovery/saga.registry.js';
export { Saga } from './lib/decorators/saga.decorator.js';
export { SagaStep } from './lib/decorators/saga-step.decorator.js';
export { SagaDefinition } from './lib/saga-definition.js';
export type { SagaInputOf } from './lib/saga-definition.js';
export type { SagaStepHandler, StepContext } from './lib/interfaces/step.interface.js';
export type { RetryPolicy } from './lib/interfaces/retry-policy.interface.js';
export type { SagaModuleOptions, SagaOptions, SagaStepOptions, SagaMetricsOptions, SagaMetricsRegistry } from './lib/interfaces/saga-options.interface.js';
export type { SagaHandle, StartSagaOptions, SagaActionOptions, SagaListQuery, SagaLifecycleEvent } from './lib/interfaces/saga-service.interface.js';
export type { SagaComposition, SagaCompositionOptions } from './lib/interfaces/saga-plan.interface.js';
export type { PlanStepRequest, SagaPlanView, SagaPlanStepView, SagaDefinitionCensus } from '@nest-saga/contracts';
export { SagaPlanBuilder } from './lib/services/saga-plan.builder.js';
export type { SagaCompositionRunner } from './lib/services/saga-plan.builder.js';
export {
  SagaError,
  SagaNotFoundError,
  SagaDefinitionNotFoundError,
  SagaStepNotFoundError,
  InvalidSagaTransitionError,
  SagaInputError,
  SagaQueryError,
  SagaValidationError,
  SagaIdempotencyConflictError,
  SagaUnstorableDataError,
  SagaConfigurationError,
  DuplicateSagaNameError,
  DuplicateStepNameError,
  StepNotRegisteredError,
  InvalidStepClassError,
  RequestScopedStepError,
  TransactionalStepsUnsupportedError,
  NonRetryableStepError,
  SagaPlanError,
  InvalidPlanNameError,
  EmptyPlanError,
  PlanStepNotRegisteredError,
  DuplicatePlanStepError,
  MissingStepRequirementError,
} from './lib/errors/saga.errors.js';
export { SagaExceptionFilter, SAGA_ERROR_HTTP_STATUS } from './lib/http/saga-exception.filter.js';
// The store contract: SagaStore is both the abstract class a store extends and its injection
// token; the types below are everything its methods take and return.
export { SagaStore } from './lib/persistence/saga.store.js';
export type {
  NewSaga,
  Checkpoint,
  CheckpointResult,
  ClaimedSaga,
  LeaseRenewal,
  SagaListFilter,
  SagaListPage,
  SagaVersionRow,
  StuckCandidate,
  StuckMark,
  StepTransaction,
} from './lib/persistence/saga.store.js';
export type {
  SagaRecord,
  SagaEventRecord,
  NewSagaEvent,
  SagaRequest,
  SagaRequestAction,
  StepState,
  StepCompensationState,
  CompensationStatus,
  CompensationCause,
} from './lib/persistence/saga.records.js';
export type { SagaPlan } from './lib/plan/saga-plan.js';
// The status, stats, error and event types of those signatures, as the contracts define them.
export type { SagaStatus, StepStatus, StepEffects, StuckReason, SagaStats, ErrorView, SagaEventType } from '@nest-saga/contracts';
export { SAGA_STORE } from './lib/saga.constants.js';
export { PostgresSagaStore } from './lib/persistence/postgres-saga.store.js';
export type { NamedSqlQuery, PostgresSagaStoreOptions, SqlClient } from './lib/persistence/postgres-saga.store.js';
/** @deprecated use PostgresSagaStore */
export const TypeOrmSagaStore = PostgresSagaStore;
/** @deprecated use PostgresSagaStore */
export type TypeOrmSagaStore = PostgresSagaStore;
export { sagaEntities, sagaMigrations } from './lib/persistence/saga-persistence.js';
export { SagaMetrics } from './lib/metrics/saga-metrics.js';
export { SagaMetricsUnavailableError, SagaMetricsDisabledError } from './lib/metrics/saga-metrics.errors.js';
export { SagaHttpClient } from './lib/http/saga-http.client.js';
export type { SagaHttpClientOptions, SagaHttpRequestOptions, SagaHttpResponse } from './lib/http/saga-http.client.js';
export { HttpStepError, NonRetryableHttpStepError, SAGA_HTTP_ERROR_CODES } from './lib/http/saga-http.errors.js';
export type { HttpFailureDetails } from './lib/http/saga-http.errors.js';
export { SAGA_TRACER_NAME, SAGA_SPAN_ATTRIBUTES } from './lib/tracing/saga-tracing.js';
export type { SagaTraceContext } from './lib/tracing/trace-context.js';
export { SagaBulkService } from './lib/bulk/saga-bulk.service.js';
export type { SagaBulkRequest, SagaBulkSelection } from './lib/bulk/saga-bulk.service.js';
export { SagaRetentionJob } from './lib/scheduler/saga-retention.job.js';
export type { SagaRetentionDeletion, SagaRetentionCount, SagaRetentionRun } from './lib/scheduler/saga-retention.job.js';
export type { SagaBulkActionsOptions, SagaRetentionOptions } from './lib/interfaces/saga-operations-options.interface.js';
export { SagaBulkActionNotFoundError, SagaBulkActionNotRunningError, SagaBulkActionTooLargeError } from './lib/errors/bulk.errors.js';
export { SagaStepNotRegisteredError, SagaStepNotPausedError } from './lib/errors/step-breaker.errors.js';
export type { PauseStepOptions, ResumeStepOptions } from './lib/breaker/saga-step-breaker.js';
export type { StepPauseView } from '@nest-saga/contracts';
