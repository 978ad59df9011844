/**
 * Response shapes for the OpenAPI document. Each class implements the contract type the server
 * returns (libs/saga-contracts), so the document cannot drift from the code without a compile error.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DEADLINE_POLICIES,
  SAGA_EVENT_TYPES,
  SAGA_STATUSES,
  STEP_EFFECTS,
  STEP_FAILURE_POLICIES,
  STEP_STATUSES,
  STUCK_REASONS,
  type ApiErrorBody,
  type DeadlinePolicy,
  type ErrorView,
  type RetryPolicyView,
  type SagaDefinitionCensus,
  type SagaDefinitionView,
  type SagaVersionCount,
  type SagaDetail,
  type SagaEventType,
  type SagaEventView,
  type SagaLeaseView,
  type SagaPage,
  type SagaPlanOrigin,
  type SagaPlanStepView,
  type SagaPlanView,
  type SagaStats,
  type SagaStatus,
  type SagaStepView,
  type SagaSummary,
  type StepCompensationView,
  type StepDefinitionView,
  type StepEffects,
  type StepFailurePolicy,
  type StepStatus,
  type StuckReason,
} from '@nest-saga/contracts';

export class ErrorBodyModel implements ApiErrorBody {
  @ApiProperty({ example: 404 }) statusCode: number;
  @ApiProperty({ example: 'SAGA_NOT_FOUND' }) code: string;
  @ApiProperty({ example: 'Saga 0b5c... does not exist.' }) message: string;
  @ApiPropertyOptional({ description: 'The request field at fault (400 only).', example: 'input.items[0].qty' }) field?: string;
}

export class ErrorViewModel implements ErrorView {
  @ApiPropertyOptional() name?: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ example: 'STEP_TIMEOUT' }) code?: string;
}

export class SagaSummaryModel implements SagaSummary {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'order' }) name: string;
  @ApiProperty({ enum: SAGA_STATUSES }) status: SagaStatus;
  @ApiProperty({ type: String, nullable: true }) idempotencyKey: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'process-payment' }) currentStep: string | null;
  @ApiProperty() currentStepIndex: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deadlineAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) stuckSince: string | null;
  @ApiProperty({ enum: STUCK_REASONS, nullable: true }) stuckReason: StuckReason | null;
  @ApiProperty({ type: ErrorViewModel, nullable: true }) error: ErrorView | null;
}

export class StartedSagaModel extends SagaSummaryModel {
  @ApiProperty({ description: 'False when the idempotency key was already used: this is the existing saga.' }) created: boolean;
}

export class StepCompensationModel implements StepCompensationView {
  @ApiProperty({ enum: ['PENDING', 'RUNNING', 'COMPENSATED', 'FAILED', 'SKIPPED', 'RESOLVED'], nullable: true })
  status: StepCompensationView['status'];
  @ApiProperty() attempts: number;
  @ApiProperty({ type: ErrorViewModel, nullable: true }) error: ErrorView | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt: string | null;
}

export class SagaStepModel implements SagaStepView {
  @ApiProperty() index: number;
  @ApiProperty() name: string;
  @ApiProperty({ enum: STEP_STATUSES }) status: StepStatus;
  @ApiProperty() attempts: number;
  @ApiProperty({ description: 'What execute returned (JSON).', nullable: true }) output: unknown;
  @ApiProperty({ type: ErrorViewModel, nullable: true }) error: ErrorView | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt: string | null;
  @ApiProperty() outcomeUnknown: boolean;
  @ApiProperty() hasCompensation: boolean;
  @ApiProperty({ type: StepCompensationModel }) compensation: StepCompensationView;
}

export class SagaEventModel implements SagaEventView {
  @ApiProperty() id: string;
  @ApiProperty({ format: 'uuid' }) sagaId: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ enum: SAGA_EVENT_TYPES }) type: SagaEventType;
  @ApiProperty({ type: String, nullable: true }) step: string | null;
  @ApiProperty({ type: Number, nullable: true }) attempt: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'operator' }) actor: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: ErrorViewModel, nullable: true }) error: ErrorView | null;
  @ApiProperty({ type: Object, nullable: true }) data: Record<string, unknown> | null;
}

export class SagaLeaseModel implements SagaLeaseView {
  @ApiProperty({ type: String, nullable: true }) ownerId: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt: string | null;
  @ApiProperty() fence: number;
}

export class PendingRequestModel {
  @ApiProperty() action: string;
  @ApiProperty({ type: String, nullable: true }) actor: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class SagaDetailModel extends SagaSummaryModel implements SagaDetail {
  @ApiProperty({ description: 'The saga input (JSON).' }) input: unknown;
  @ApiProperty({ type: [SagaStepModel] }) steps: SagaStepView[];
  @ApiProperty({ type: [SagaEventModel], description: 'History, oldest first.' }) events: SagaEventView[];
  @ApiProperty({ type: SagaLeaseModel }) lease: SagaLeaseView;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextRunAt: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'STEP_FAILED' }) compensationCause: string | null;
  @ApiProperty({ type: PendingRequestModel, nullable: true }) pendingRequest: SagaDetail['pendingRequest'];
  @ApiProperty({ description: 'Version of the definition the saga started on.', example: 1 }) definitionVersion: number;
  @ApiProperty({
    type: () => SagaPlanModel,
    nullable: true,
    description: 'What the saga runs, fixed at its start (steps, params, policies). Null only for a saga stored before plans whose steps this app lacks.',
  })
  plan: SagaPlanView | null;
}

export class SagaPageModel implements SagaPage {
  @ApiProperty({ type: [SagaSummaryModel] }) items: SagaSummary[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor: string | null;
}

export class RetryPolicyModel implements RetryPolicyView {
  @ApiProperty() maxAttempts: number;
  @ApiProperty() initialDelayMs: number;
  @ApiProperty() backoffCoefficient: number;
  @ApiProperty() maxDelayMs: number;
  @ApiProperty() jitter: number;
}

export class SagaPlanStepModel implements SagaPlanStepView {
  @ApiProperty({ example: 'process-payment' }) step: string;
  @ApiProperty({ type: Object, description: "The step's ctx.params.", example: { surcharge: 4.9 } }) params: Record<string, unknown>;
  @ApiProperty() timeoutMs: number;
  @ApiProperty({ type: RetryPolicyModel }) retry: RetryPolicyView;
  @ApiProperty() compensationTimeoutMs: number;
  @ApiProperty({ type: RetryPolicyModel }) compensationRetry: RetryPolicyView;
  @ApiProperty({ enum: STEP_FAILURE_POLICIES }) onFailure: StepFailurePolicy;
}

export class SagaPlanModel implements SagaPlanView {
  @ApiProperty({ example: 'express-order' }) name: string;
  @ApiProperty() version: number;
  @ApiProperty({ enum: ['definition', 'composed', 'legacy'], description: '`legacy`: derived for a saga stored before plans.' }) origin: SagaPlanOrigin;
  @ApiProperty({ type: Number, nullable: true }) timeoutMs: number | null;
  @ApiProperty({ enum: DEADLINE_POLICIES }) deadlinePolicy: DeadlinePolicy;
  @ApiProperty({ type: [SagaPlanStepModel] }) steps: SagaPlanStepView[];
}

export class StepDefinitionModel implements StepDefinitionView {
  @ApiProperty() name: string;
  @ApiProperty({ type: [String], description: 'Steps whose outputs this step reads: they must come earlier in a plan.', example: ['reserve-inventory'] })
  requires: string[];
  @ApiProperty() hasCompensation: boolean;
  @ApiProperty() timeoutMs: number;
  @ApiProperty({ type: RetryPolicyModel }) retry: RetryPolicyView;
  @ApiProperty() compensationTimeoutMs: number;
  @ApiProperty({ type: RetryPolicyModel }) compensationRetry: RetryPolicyView;
  @ApiProperty({ enum: STEP_FAILURE_POLICIES }) onFailure: StepFailurePolicy;
  @ApiProperty({ enum: STEP_EFFECTS, description: "none: the step acts on nothing outside the process (@SagaStep(name, { effects: 'none' }))." })
  effects: StepEffects;
}

export class SagaDefinitionModel implements SagaDefinitionView {
  @ApiProperty() name: string;
  @ApiProperty() version: number;
  @ApiProperty({ type: Number, nullable: true }) timeoutMs: number | null;
  @ApiProperty({ enum: DEADLINE_POLICIES }) deadlinePolicy: DeadlinePolicy;
  @ApiProperty({ type: [StepDefinitionModel] }) steps: StepDefinitionView[];
}

export class SagaVersionCountModel implements SagaVersionCount {
  @ApiProperty({ example: 1 }) version: number;
  @ApiProperty({ description: 'Sagas of this version not finished (neither COMPLETED, COMPENSATED nor CANCELLED).', example: 3 }) running: number;
}

export class SagaDefinitionCensusModel extends SagaDefinitionModel implements SagaDefinitionCensus {
  @ApiProperty({ type: [SagaVersionCountModel], description: 'Newest first; the registered version always, older ones while sagas still run on them.' })
  versions: SagaVersionCount[];
}

export class SagaStatsModel implements SagaStats {
  @ApiProperty() total: number;
  @ApiProperty({ type: Object, description: 'Count per status (every status present).', example: { RUNNING: 2, COMPLETED: 10 } })
  byStatus: Record<SagaStatus, number>;
  @ApiProperty({ type: Object, description: 'Count per saga name and status.', example: { order: { COMPLETED: 10 } } })
  byName: Record<string, Partial<Record<SagaStatus, number>>>;
  @ApiProperty() stuck: number;
}

export class WhoAmIModel {
  @ApiProperty({ enum: ['viewer', 'operator'] }) role: 'viewer' | 'operator';
  @ApiProperty({ description: 'The identity saga histories record for your actions.', example: 'operator' }) actor: string;
}

export class HealthModel {
  @ApiProperty({ enum: ['ok', 'error'] }) status: 'ok' | 'error';
  @ApiProperty({ enum: ['up', 'down'] }) database: 'up' | 'down';
}
