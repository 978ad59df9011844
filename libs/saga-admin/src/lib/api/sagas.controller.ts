/** The admin API over `SagaService`: thin handlers, errors mapped by `ApiExceptionFilter`. */
import { Body, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { SAGA_ERROR_CODES, type SagaDetail, type SagaPage, type SagaSummary } from '@nest-saga/contracts';
import { SagaService, type SagaActionOptions } from '@nest-saga/saga';
import { AdminApiController } from '../http/admin-api.decorator.js';
import { Actor, OperatorRoute, ViewerRoute } from '../auth/roles.decorator.js';
import { ErrorBodyModel, SagaDetailModel, SagaPageModel, StartedSagaModel } from '../docs/api-models.js';
import { ApiException } from '../http/api.exception.js';
import { SagaIdPipe } from '../http/saga-id.pipe.js';
import { ActionDto, ListSagasQueryDto, ResolveStepDto, StartSagaDto } from './dto/saga-requests.dto.js';
import { SagaInputValidators } from './saga-input-validators.js';

/** The summary fields of a detail, in the order the contract lists them. */
export function toSummary(detail: SagaDetail): SagaSummary {
  return {
    id: detail.id,
    name: detail.name,
    status: detail.status,
    idempotencyKey: detail.idempotencyKey,
    currentStep: detail.currentStep,
    currentStepIndex: detail.currentStepIndex,
    createdAt: detail.createdAt,
    updatedAt: detail.updatedAt,
    finishedAt: detail.finishedAt,
    deadlineAt: detail.deadlineAt,
    stuckSince: detail.stuckSince,
    stuckReason: detail.stuckReason,
    error: detail.error,
  };
}

const STEP_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

@ApiTags('sagas')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or wrong token.', type: ErrorBodyModel })
@AdminApiController('sagas')
export class SagasController {
  constructor(
    private readonly sagas: SagaService,
    private readonly inputs: SagaInputValidators,
  ) {}

  @Get()
  @ViewerRoute()
  @ApiOperation({ summary: 'List sagas, newest first, with filters and keyset paging.' })
  @ApiOkResponse({ type: SagaPageModel })
  @ApiBadRequestResponse({ description: 'A filter or the cursor is malformed.', type: ErrorBodyModel })
  list(@Query() query: ListSagasQueryDto): Promise<SagaPage> {
    return this.sagas.list({ ...query, limit: query.limit ?? 50 });
  }

  @Post()
  @OperatorRoute()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Start a saga: a registered one by name, or one composed from registered steps (`steps`).',
    description:
      'With an `idempotencyKey` already used, returns that saga (`created: false`) and starts nothing. Every saga stores its plan ' +
      '(steps, params, policies, definition version) and runs by it to the end.',
  })
  @ApiCreatedResponse({ type: StartedSagaModel })
  @ApiBadRequestResponse({ description: 'Malformed body, saga input or composition (`field` names it).', type: ErrorBodyModel })
  @ApiForbiddenResponse({ description: 'The token is a viewer.', type: ErrorBodyModel })
  @ApiNotFoundResponse({ description: '`SAGA_DEFINITION_NOT_FOUND`: no saga has this name; `PLAN_STEP_NOT_REGISTERED`: a composition names an unknown step.', type: ErrorBodyModel })
  async start(@Body() body: StartSagaDto): Promise<SagaSummary & { created: boolean }> {
    if (body.steps !== undefined) {
      const composition = { name: body.name, steps: body.steps.map(({ step, params }) => (params === undefined ? { step } : { step, params })) };
      // The plan first: a composition that cannot run is refused whatever the input looks like.
      this.sagas.planOf(composition);
      await this.inputs.validate(composition.name.trim(), body.input);
      const handle = await this.sagas.start(composition, body.input, { idempotencyKey: body.idempotencyKey });
      return { ...toSummary(await this.sagas.get(handle.sagaId)), created: handle.created };
    }
    // An unknown name is a 404 whatever the input looks like.
    const known = this.sagas.definitions().map((d) => d.name);
    if (!known.includes(body.name)) {
      throw new ApiException(
        404,
        SAGA_ERROR_CODES.SAGA_DEFINITION_NOT_FOUND,
        `No saga named "${body.name.slice(0, 200)}" is registered. Known sagas: ${known.length ? known.map((n) => `"${n}"`).join(', ') : 'none'}.`,
      );
    }
    await this.inputs.validate(body.name, body.input);
    const handle = await this.sagas.start(body.name, body.input, { idempotencyKey: body.idempotencyKey });
    return { ...toSummary(await this.sagas.get(handle.sagaId)), created: handle.created };
  }

  @Get(':id')
  @ViewerRoute()
  @ApiOperation({ summary: 'A saga with its input, steps, history and lease.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: SagaDetailModel })
  @ApiBadRequestResponse({ description: 'The id is not a UUID.', type: ErrorBodyModel })
  @ApiNotFoundResponse({ description: '`SAGA_NOT_FOUND`', type: ErrorBodyModel })
  get(@Param('id', SagaIdPipe) id: string): Promise<SagaDetail> {
    return this.sagas.get(id);
  }

  @Post(':id/cancel')
  @OperatorRoute()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Cancel: compensate what was done and end CANCELLED.' })
  @ActionResponses()
  cancel(@Param('id', SagaIdPipe) id: string, @Body() body: ActionDto, @Actor() actor: string): Promise<SagaDetail> {
    return this.sagas.cancel(id, this.action(actor, body));
  }

  @Post(':id/compensate')
  @OperatorRoute()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Compensate (also a COMPLETED saga): undo what was done and end COMPENSATED.' })
  @ActionResponses()
  compensate(@Param('id', SagaIdPipe) id: string, @Body() body: ActionDto, @Actor() actor: string): Promise<SagaDetail> {
    return this.sagas.compensate(id, this.action(actor, body));
  }

  @Post(':id/retry')
  @OperatorRoute()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Retry: run a PAUSED saga forward from its failed step, or the failed compensations of a FAILED saga.' })
  @ActionResponses()
  retry(@Param('id', SagaIdPipe) id: string, @Body() body: ActionDto, @Actor() actor: string): Promise<SagaDetail> {
    return this.sagas.retry(id, this.action(actor, body));
  }

  @Post(':id/pause')
  @OperatorRoute()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Pause: nothing more runs until an operator resumes, retries, cancels or compensates.' })
  @ActionResponses()
  pause(@Param('id', SagaIdPipe) id: string, @Body() body: ActionDto, @Actor() actor: string): Promise<SagaDetail> {
    return this.sagas.pause(id, this.action(actor, body));
  }

  @Post(':id/resume')
  @OperatorRoute()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Resume a PAUSED saga where it stopped.' })
  @ActionResponses()
  resume(@Param('id', SagaIdPipe) id: string, @Body() body: ActionDto, @Actor() actor: string): Promise<SagaDetail> {
    return this.sagas.resume(id, this.action(actor, body));
  }

  @Post(':id/steps/:step/resolve')
  @OperatorRoute()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Resolve: take a COMPENSATION_FAILED step of a FAILED saga as compensated by hand.',
    description: 'The engine then carries on with any compensation still due.',
  })
  @ApiParam({ name: 'step', example: 'process-payment' })
  @ActionResponses()
  resolve(
    @Param('id', SagaIdPipe) id: string,
    @Param('step') step: string,
    @Body() body: ResolveStepDto,
    @Actor() actor: string,
  ): Promise<SagaDetail> {
    if (!STEP_NAME.test(step)) throw new ApiException(400, SAGA_ERROR_CODES.VALIDATION_FAILED, 'step is not a valid step name.', 'step');
    return this.sagas.resolveStep(id, step, { actor, reason: body.reason });
  }

  private action(actor: string, body: ActionDto): SagaActionOptions {
    return { actor, ...(body.reason !== undefined && body.reason.trim() !== '' ? { reason: body.reason } : {}) };
  }
}

function ActionResponses(): MethodDecorator {
  return (target, key, descriptor) => {
    ApiParam({ name: 'id', format: 'uuid' })(target, key, descriptor);
    ApiAcceptedResponse({ type: SagaDetailModel, description: 'The request is recorded; the detail as it is now.' })(target, key, descriptor);
    ApiBadRequestResponse({ description: 'Malformed id or body.', type: ErrorBodyModel })(target, key, descriptor);
    ApiForbiddenResponse({ description: 'The token is a viewer.', type: ErrorBodyModel })(target, key, descriptor);
    ApiNotFoundResponse({ description: '`SAGA_NOT_FOUND` or `SAGA_STEP_NOT_FOUND`', type: ErrorBodyModel })(target, key, descriptor);
    ApiConflictResponse({ description: '`INVALID_SAGA_TRANSITION`: not allowed in the current status.', type: ErrorBodyModel })(target, key, descriptor);
  };
}
