/** Request shapes of the step circuit breaker (`/api/steps/:step/{pause,resume}`); unknown fields are refused. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { StepPauseRequest, StepResumeRequest } from '@nest-saga/contracts';
import { IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class StepPauseDto implements StepPauseRequest {
  @ApiProperty({ description: 'Why; shown with the pause and recorded in the history of every saga it holds. Required.', maxLength: 1000, example: 'payment provider outage' })
  @IsString({ message: 'reason is required: it is recorded with the pause' })
  @Matches(/\S/, { message: 'reason is required: it is recorded with the pause' })
  @MaxLength(1000)
  reason: string;
}

export class StepResumeDto implements StepResumeRequest {
  @ApiProperty({ description: 'Why; recorded in the history of every saga released. Required.', maxLength: 1000, example: 'provider is back' })
  @IsString({ message: 'reason is required: it is recorded with every saga released' })
  @Matches(/\S/, { message: 'reason is required: it is recorded with every saga released' })
  @MaxLength(1000)
  reason: string;

  @ApiPropertyOptional({ description: 'Held sagas released per second, in total over every instance (0.1 to 1000). All at once when absent.', minimum: 0.1, maximum: 1000, example: 5 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'ratePerSec must be a number' })
  @Min(0.1)
  @Max(1000)
  ratePerSec?: number;
}
