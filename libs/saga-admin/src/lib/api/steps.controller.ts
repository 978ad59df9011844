/**
 * The step circuit breaker: pause a step on every instance (sagas about to run it wait `PAUSED`,
 * `STEP_PAUSED`, no attempt used), resume it with a ramp, and list the paused steps with the sagas
 * waiting at each. Operators act; viewers read.
 */
import { Body, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { SAGA_ERROR_CODES, type StepPauseView } from '@nest-saga/contracts';
import { SagaService } from '@nest-saga/saga';
import { Actor, OperatorRoute, ViewerRoute } from '../auth/roles.decorator.js';
import { ErrorBodyModel } from '../docs/api-models.js';
import { StepPauseModel } from '../docs/step-breaker-models.js';
import { AdminApiController } from '../http/admin-api.decorator.js';
import { ApiException } from '../http/api.exception.js';
import { StepPauseDto, StepResumeDto } from './dto/step-breaker-requests.dto.js';

const STEP_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

function checkStep(step: string): string {
  if (!STEP_NAME.test(step)) throw new ApiException(400, SAGA_ERROR_CODES.VALIDATION_FAILED, 'step is not a valid step name.', 'step');
  return step;
}

@ApiTags('steps')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or wrong token.', type: ErrorBodyModel })
@AdminApiController('steps')
export class StepsController {
  constructor(private readonly sagas: SagaService) {}

  @Get('paused')
  @ViewerRoute()
  @ApiOperation({ summary: 'Paused steps (and resumed ones still releasing), with who paused them, when, why, and how many sagas wait at each.' })
  @ApiOkResponse({ type: [StepPauseModel] })
  paused(): Promise<StepPauseView[]> {
    return this.sagas.pausedSteps();
  }

  @Post(':step/pause')
  @OperatorRoute()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Pause a step on every instance.',
    description:
      'Each instance sees the pause within about a poll interval (at most a second). A saga about to run the step waits `PAUSED` with ' +
      '`error.code` `STEP_PAUSED` and no attempt used; an attempt already in flight finishes; compensations are not held. ' +
      'Pausing a paused step changes nothing (202 with the pause as it is).',
  })
  @ApiParam({ name: 'step', example: 'process-payment' })
  @ApiAcceptedResponse({ type: StepPauseModel })
  @ApiBadRequestResponse({ description: 'Malformed step name or body (`field` names it).', type: ErrorBodyModel })
  @ApiForbiddenResponse({ description: 'The caller is a viewer.', type: ErrorBodyModel })
  @ApiNotFoundResponse({ description: '`STEP_NOT_REGISTERED`', type: ErrorBodyModel })
  pause(@Param('step') step: string, @Body() body: StepPauseDto, @Actor() actor: string): Promise<StepPauseView> {
    return this.sagas.pauseStep(checkStep(step), { reason: body.reason, actor });
  }

  @Post(':step/resume')
  @OperatorRoute()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Resume a paused step, releasing the sagas it holds at `ratePerSec` (all at once without it).',
    description:
      'New sagas run the step at once. The held ones are released in the database at the given rate in total over every instance, ' +
      'each with a `SAGA_RESUMED` event naming the caller and the reason. Sagas an operator paused stay paused.',
  })
  @ApiParam({ name: 'step', example: 'process-payment' })
  @ApiAcceptedResponse({ type: StepPauseModel })
  @ApiBadRequestResponse({ description: 'Malformed step name or body (`field` names it).', type: ErrorBodyModel })
  @ApiForbiddenResponse({ description: 'The caller is a viewer.', type: ErrorBodyModel })
  @ApiNotFoundResponse({ description: '`STEP_NOT_REGISTERED`', type: ErrorBodyModel })
  @ApiConflictResponse({ description: '`STEP_NOT_PAUSED`: the step is not paused (or already resuming).', type: ErrorBodyModel })
  resume(@Param('step') step: string, @Body() body: StepResumeDto, @Actor() actor: string): Promise<StepPauseView> {
    return this.sagas.resumeStep(checkStep(step), { reason: body.reason, actor, ratePerSec: body.ratePerSec ?? null });
  }
}
