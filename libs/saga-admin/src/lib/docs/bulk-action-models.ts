/** OpenAPI shapes of `/api/bulk-actions`, each implementing its contract type. */
import { ApiProperty } from '@nestjs/swagger';
import {
  BULK_ACTION_STATUSES,
  SAGA_ACTIONS,
  SAGA_STATUSES,
  type BulkActionFailure,
  type BulkActionFilter,
  type BulkActionPreview,
  type BulkActionStatus,
  type BulkActionView,
  type BulkCompensationPreview,
  type BulkCompensationStep,
  type SagaAction,
  type SagaStatus,
  type SagaSummary,
} from '@nest-saga/contracts';
import { BulkActionFilterDto } from '../api/dto/bulk-action-requests.dto.js';
import { SagaSummaryModel } from './api-models.js';

const statusCounts = { type: 'object', additionalProperties: { type: 'integer' }, example: { RUNNING: 120, PAUSED: 3 } } as const;

export class BulkCompensationStepModel implements BulkCompensationStep {
  @ApiProperty({ example: 'process-payment' }) step: string;
  @ApiProperty({ description: 'How many of the matched sagas would run it.' }) sagas: number;
}

export class BulkCompensationPreviewModel implements BulkCompensationPreview {
  @ApiProperty({ example: 'order' }) name: string;
  @ApiProperty() sagas: number;
  @ApiProperty({ type: [BulkCompensationStepModel], description: 'In the order they run: last step first.' }) steps: BulkCompensationStep[];
  @ApiProperty({ type: [BulkCompensationStepModel], description: 'Steps with effects but no compensation.' }) noCompensation: BulkCompensationStep[];
}

export class BulkActionPreviewModel implements BulkActionPreview {
  @ApiProperty({ enum: SAGA_ACTIONS }) action: SagaAction;
  @ApiProperty({ description: 'Sagas matching the filter whose status allows the action.' }) matched: number;
  @ApiProperty(statusCounts) byStatus: Partial<Record<SagaStatus, number>>;
  @ApiProperty({ description: 'Sagas matching the filter whose status does not allow the action (left alone).' }) skipped: number;
  @ApiProperty(statusCounts) skippedByStatus: Partial<Record<SagaStatus, number>>;
  @ApiProperty({ type: [SagaSummaryModel], description: 'Up to 20 matched sagas, newest first.' }) sample: SagaSummary[];
  @ApiProperty({ type: [BulkCompensationPreviewModel] }) compensations: BulkCompensationPreview[];
}

export class BulkActionStartedModel {
  @ApiProperty({ format: 'uuid' }) id: string;
}

export class BulkActionFailureModel implements BulkActionFailure {
  @ApiProperty({ format: 'uuid' }) sagaId: string;
  @ApiProperty({ example: 'INVALID_SAGA_TRANSITION' }) code: string;
  @ApiProperty() message: string;
}

export class BulkActionViewModel implements BulkActionView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: SAGA_ACTIONS }) action: SagaAction;
  @ApiProperty({ enum: BULK_ACTION_STATUSES }) status: BulkActionStatus;
  @ApiProperty({ description: 'Sagas snapshotted at the start.' }) total: number;
  @ApiProperty() done: number;
  @ApiProperty() succeeded: number;
  @ApiProperty() failed: number;
  @ApiProperty({ type: [BulkActionFailureModel], description: 'The first 500 failures.' }) failures: BulkActionFailure[];
  @ApiProperty({ type: BulkActionFilterDto }) filter: BulkActionFilter;
  @ApiProperty() reason: string;
  @ApiProperty() actor: string;
  @ApiProperty() ratePerSec: number;
  @ApiProperty({ type: String, nullable: true, description: 'Instance running it; null when none does.' }) ownerId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
}
