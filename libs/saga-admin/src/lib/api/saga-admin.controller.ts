/** Read-only admin routes: definitions, the step catalog, stats, and who the caller is. */
import { Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AdminRole, SagaDefinitionCensus, SagaStats, StepDefinitionView } from '@nest-saga/contracts';
import { SagaService } from '@nest-saga/saga';
import { AdminApiController } from '../http/admin-api.decorator.js';
import { Principal, ViewerRoute } from '../auth/roles.decorator.js';
import type { SagaAdminPrincipal } from '../saga-admin-options.interface.js';
import { ErrorBodyModel, SagaDefinitionCensusModel, SagaStatsModel, StepDefinitionModel, WhoAmIModel } from '../docs/api-models.js';

@ApiTags('sagas')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or wrong token.', type: ErrorBodyModel })
@AdminApiController()
export class SagaAdminController {
  constructor(private readonly sagas: SagaService) {}

  @Get('saga-definitions')
  @ViewerRoute()
  @ApiOperation({
    summary: 'Registered sagas: steps (compensation, timeout, retry, requires), deadline, and the versions their unfinished sagas run.',
  })
  @ApiOkResponse({ type: [SagaDefinitionCensusModel] })
  definitions(): Promise<SagaDefinitionCensus[]> {
    return this.sagas.census();
  }

  @Get('saga-steps')
  @ViewerRoute()
  @ApiOperation({ summary: 'Every registered step, by name: what sagas can be composed of (POST /api/sagas with `steps`).' })
  @ApiOkResponse({ type: [StepDefinitionModel] })
  steps(): StepDefinitionView[] {
    return this.sagas.steps();
  }

  @Get('stats')
  @ViewerRoute()
  @ApiOperation({ summary: 'Counts by status and by saga name, and how many are stuck.' })
  @ApiOkResponse({ type: SagaStatsModel })
  stats(): Promise<SagaStats> {
    return this.sagas.stats();
  }

  @Get('whoami')
  @ViewerRoute()
  @ApiTags('auth')
  @ApiOperation({ summary: 'The role and identity of the caller (the dashboard shows actions to operators only).' })
  @ApiOkResponse({ type: WhoAmIModel })
  whoami(@Principal() principal: SagaAdminPrincipal): { role: AdminRole; actor: string } {
    return { role: principal.role, actor: principal.actor };
  }
}
