/** Request shapes of the admin API, validated by the global ValidationPipe (unknown fields refused). */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SAGA_STATUSES, type ActionRequest, type PlanStepRequest, type SagaStatus, type StartSagaRequest } from '@nest-saga/contracts';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';

/** Most steps a composition may list. */
const MAX_PLAN_STEPS = 100;

export class PlanStepDto implements PlanStepRequest {
  @ApiProperty({ description: 'A registered step (see GET /api/saga-steps).', example: 'process-payment' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  step: string;

  @ApiPropertyOptional({ type: Object, description: "The step's ctx.params (a JSON object).", example: { surcharge: 4.9 } })
  @IsOptional()
  @IsObject({ message: 'params must be a JSON object' })
  params?: Record<string, unknown>;
}

/**
 * Empty only in a composition: there the engine answers `PLAN_NAME_INVALID`, the code of every
 * composition problem; a registered saga's name must simply be given.
 */
function IsNotEmptyUnlessComposed(): PropertyDecorator {
  return ValidateBy({
    name: 'isNotEmpty',
    validator: {
      validate: (value, args) => (args?.object as { steps?: unknown }).steps !== undefined || (typeof value === 'string' && value !== ''),
      defaultMessage: () => 'name should not be empty',
    },
  });
}

export class StartSagaDto implements StartSagaRequest {
  @ApiProperty({
    description: 'Registered saga name (see GET /api/saga-definitions); with `steps`, the name of the saga composed from them.',
    example: 'order',
  })
  @IsString()
  @IsNotEmptyUnlessComposed()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({
    type: [PlanStepDto],
    description:
      'Compose the saga from registered steps, in this order, each once and after the steps it requires. Errors: 404 `PLAN_STEP_NOT_REGISTERED`, 400 `PLAN_STEP_DUPLICATE`, `PLAN_REQUIREMENT_MISSING`, `PLAN_NAME_INVALID`, `PLAN_EMPTY` (with `field`).',
    example: [{ step: 'check-inventory' }, { step: 'reserve-inventory' }, { step: 'process-payment', params: { surcharge: 4.9 } }],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_PLAN_STEPS)
  @ValidateNested({ each: true })
  @Type(() => PlanStepDto)
  steps?: PlanStepDto[];

  @ApiProperty({
    description: 'The saga input (any JSON value the saga accepts). The demo `order` saga validates it.',
    example: { orderId: 'o-1001', customerId: 'c-7', items: [{ sku: 'ITEM1', qty: 2 }], totalAmount: 59.9 },
  })
  @IsDefined({ message: 'input is required' })
  input: unknown;

  @ApiPropertyOptional({ description: 'Starting again with the same key returns the first saga.', example: 'o-1001', maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  idempotencyKey?: string;
}

export class ActionDto implements ActionRequest {
  @ApiPropertyOptional({ description: 'Why; recorded in the saga history with the actor.', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}

export class ResolveStepDto {
  @ApiProperty({ description: 'Why the step may be taken as compensated (what was done by hand). Required.', maxLength: 1000 })
  @IsString()
  @IsNotEmpty({ message: 'reason is required: say what was done by hand' })
  @MaxLength(1000)
  reason: string;
}

function toList(value: unknown): unknown {
  if (value === undefined || value === '') return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])).map((v) => (typeof v === 'string' ? v.trim() : v)).filter((v) => v !== '');
}

export class ListSagasQueryDto {
  @ApiPropertyOptional({ enum: SAGA_STATUSES, isArray: true, description: 'Repeatable (`status=RUNNING&status=PAUSED`) or comma-separated.' })
  @IsOptional()
  @Transform(({ value }) => toList(value))
  @IsIn(SAGA_STATUSES as unknown as string[], { each: true, message: `status must be one of ${SAGA_STATUSES.join(', ')}` })
  status?: SagaStatus[];

  @ApiPropertyOptional({ description: 'Saga name.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Only sagas currently reported stuck.', type: Boolean })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value))
  @IsBoolean({ message: 'stuck must be true or false' })
  stuck?: boolean;

  @ApiPropertyOptional({ description: 'A saga id, or an idempotency key (or its prefix).' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;
}
