/**
 * Bulk actions over `SagaBulkService`: a dry run (200) or a tracked action (202) on the sagas a
 * filter or a list of ids selects, its progress from any instance, and a cancel. Operators only,
 * except reading.
 */
import { Body, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { BulkActionPreview, BulkActionView } from '@nest-saga/contracts';
import { SagaBulkService } from '@nest-saga/saga';
import { Actor, OperatorRoute, ViewerRoute } from '../auth/roles.decorator.js';
import { ErrorBodyModel } from '../docs/api-models.js';
import { BulkActionPreviewModel, BulkActionStartedModel, BulkActionViewModel } from '../docs/bulk-action-models.js';
import { AdminApiController } from '../http/admin-api.decorator.js';
import { BulkActionIdPipe } from '../http/uuid-param.pipe.js';
import { BulkActionRequestDto, ListBulkActionsQueryDto } from './dto/bulk-action-requests.dto.js';

interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

@ApiTags('bulk-actions')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or wrong token.', type: ErrorBodyModel })
@ApiExtraModels(BulkActionPreviewModel, BulkActionStartedModel)
@AdminApiController('bulk-actions')
export class BulkActionsController {
  constructor(private readonly bulk: SagaBulkService) {}

  @Post()
  @OperatorRoute()
  @ApiOperation({
    summary: 'Act on many sagas: a dry run, or a tracked bulk action.',
    description:
      'The sagas are those matching `filter` (the list filters, plus `ids`) whose status allows `action`. ' +
      '`dryRun: true` answers 200 with how many, by status, a sample and the compensations that would run per definition, and changes nothing. ' +
      'Otherwise the set is snapshotted and acted on at `ratePerSec` (202 with its `id`): each saga gets the single-saga action, ' +
      'recorded in its history with the caller as actor and the reason `bulk <id>: <reason>`.',
  })
  @ApiResponse({ status: 200, description: 'Dry run.', schema: { $ref: getSchemaPath(BulkActionPreviewModel) } })
  @ApiResponse({ status: 202, description: 'Started; follow it with GET /api/bulk-actions/{id}.', schema: { $ref: getSchemaPath(BulkActionStartedModel) } })
  @ApiBadRequestResponse({ description: 'Malformed body (`field` names it), or `BULK_ACTION_TOO_LARGE`.', type: ErrorBodyModel })
  @ApiForbiddenResponse({ description: 'The caller is a viewer.', type: ErrorBodyModel })
  async create(@Body() body: BulkActionRequestDto, @Actor() actor: string, @Res() res: JsonResponse): Promise<void> {
    const selection = { action: body.action, filter: { ...body.filter } };
    if (body.dryRun) {
      const preview: BulkActionPreview = await this.bulk.preview(selection);
      res.status(HttpStatus.OK).json(preview);
      return;
    }
    const started = await this.bulk.start({ ...selection, reason: body.reason, actor, ratePerSec: body.ratePerSec });
    res.status(HttpStatus.ACCEPTED).json({ id: started.id });
  }

  @Get()
  @ViewerRoute()
  @ApiOperation({ summary: 'The latest bulk actions, newest first (failures are listed by GET of one).' })
  @ApiOkResponse({ type: [BulkActionViewModel] })
  list(@Query() query: ListBulkActionsQueryDto): Promise<BulkActionView[]> {
    return this.bulk.list(query.limit ?? 20);
  }

  @Get(':id')
  @ViewerRoute()
  @ApiOperation({ summary: 'Progress of a bulk action, from any instance: counters and the first failures.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: BulkActionViewModel })
  @ApiBadRequestResponse({ description: 'The id is not a UUID.', type: ErrorBodyModel })
  @ApiNotFoundResponse({ description: '`BULK_ACTION_NOT_FOUND`', type: ErrorBodyModel })
  get(@Param('id', BulkActionIdPipe) id: string): Promise<BulkActionView> {
    return this.bulk.get(id);
  }

  @Post(':id/cancel')
  @OperatorRoute()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Stop a running bulk action: no further saga is taken; the ones in flight finish and are counted.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiAcceptedResponse({ type: BulkActionViewModel })
  @ApiForbiddenResponse({ description: 'The caller is a viewer.', type: ErrorBodyModel })
  @ApiNotFoundResponse({ description: '`BULK_ACTION_NOT_FOUND`', type: ErrorBodyModel })
  @ApiConflictResponse({ description: '`BULK_ACTION_NOT_RUNNING`: it is already DONE or CANCELLED.', type: ErrorBodyModel })
  cancel(@Param('id', BulkActionIdPipe) id: string): Promise<BulkActionView> {
    return this.bulk.cancel(id);
  }
}
