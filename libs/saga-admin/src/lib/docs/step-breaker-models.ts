/** OpenAPI models of the step circuit breaker's answers. */
import { ApiProperty } from '@nestjs/swagger';
import { STEP_PAUSE_STATUSES, type StepPauseStatus, type StepPauseView } from '@nest-saga/contracts';

export class StepPauseModel implements StepPauseView {
  @ApiProperty({ example: 'process-payment' }) step: string;
  @ApiProperty({ enum: STEP_PAUSE_STATUSES, description: '`PAUSED` holds sagas; `RESUMING` releases the held ones at `ratePerSec`.' }) status: StepPauseStatus;
  @ApiProperty() reason: string;
  @ApiProperty({ description: 'Who paused it.' }) pausedBy: string;
  @ApiProperty({ format: 'date-time' }) pausedAt: string;
  @ApiProperty({ type: String, nullable: true }) resumedBy: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) resumedAt: string | null;
  @ApiProperty({ type: String, nullable: true }) resumeReason: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Held sagas released per second after the resume; null: all at once.' }) ratePerSec: number | null;
  @ApiProperty({ description: 'Sagas released since the resume.' }) released: number;
  @ApiProperty({ description: 'Sagas held at this step now (PAUSED, error code STEP_PAUSED).' }) waiting: number;
}
