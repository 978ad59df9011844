/** Request shapes of `/api/bulk-actions`, validated like every admin request (unknown fields refused). */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SAGA_ACTIONS, SAGA_STATUSES, type BulkActionFilter, type BulkActionRequest, type SagaAction, type SagaStatus } from '@nest-saga/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export class BulkActionFilterDto implements BulkActionFilter {
  @ApiPropertyOptional({ enum: SAGA_STATUSES, isArray: true, description: 'Any of these statuses.' })
  @IsOptional()
  @IsArray({ message: 'status must be a list of statuses' })
  @IsIn(SAGA_STATUSES as unknown as string[], { each: true, message: `status must be one of ${SAGA_STATUSES.join(', ')}` })
  status?: SagaStatus[];

  @ApiPropertyOptional({ description: 'Saga name.', example: 'order' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Only sagas currently reported stuck.' })
  @IsOptional()
  @IsBoolean({ message: 'stuck must be true or false' })
  stuck?: boolean;

  @ApiPropertyOptional({ description: 'A saga id, or an idempotency key (or its prefix).' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: 1000, description: 'Only these sagas (rows selected in the dashboard).' })
  @IsOptional()
  @IsArray({ message: 'ids must be a list of saga ids' })
  @ArrayMaxSize(1000, { message: 'ids may list at most 1000 sagas; use a filter for more' })
  @IsString({ each: true, message: 'ids must be saga ids (UUIDs)' })
  ids?: string[];
}

export class BulkActionRequestDto implements BulkActionRequest {
  @ApiProperty({ enum: SAGA_ACTIONS, example: 'cancel' })
  @IsIn(SAGA_ACTIONS as unknown as string[], { message: `action must be one of ${SAGA_ACTIONS.join(', ')}` })
  action: SagaAction;

  @ApiProperty({ type: BulkActionFilterDto, description: 'Which sagas; every criterion given must hold. `{}` is every saga.' })
  @IsDefined({ message: 'filter is required ({} for every saga)' })
  @IsObject({ message: 'filter must be an object' })
  @ValidateNested()
  @Type(() => BulkActionFilterDto)
  filter: BulkActionFilterDto;

  @ApiProperty({ description: 'Why; each saga’s history records `bulk <id>: <reason>`. Required.', maxLength: 1000, example: 'payment provider outage' })
  @IsString({ message: 'reason is required: it is recorded in the history of every saga' })
  @Matches(/\S/, { message: 'reason is required: it is recorded in the history of every saga' })
  @MaxLength(1000)
  reason: string;

  @ApiPropertyOptional({ description: 'Only say what would happen (200 with the preview); nothing changes.', default: false })
  @IsOptional()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;

  @ApiPropertyOptional({ description: 'Sagas acted on per second (0.1 to 1000).', default: 50, minimum: 0.1, maximum: 1000 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'ratePerSec must be a number' })
  @Min(0.1)
  @Max(1000)
  ratePerSec?: number;
}

export class ListBulkActionsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(100)
  limit?: number;
}
