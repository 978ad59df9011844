/** Read-only admin routes: definitions, stats, and who the caller is. */
import { Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AdminRole, SagaDefinitionView, SagaStats } from '@nest-saga/contracts';
import { SagaService } from '@nest-saga/saga';
import { AdminApiController } from '../http/admin-api.decorator.js';
import { Principal, ViewerRoute } from '../auth/roles.decorator.js';
import type { SagaAdminPrincipal } from '../saga-admin-options.interface.js';
import { ErrorBodyModel, SagaDefinitionModel, SagaStatsModel, WhoAmIModel } from '../docs/api-models.js';

@ApiTags('sagas')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or wrong token.', type: ErrorBodyModel })
@AdminApiController()
export class SagaAdminController {
  constructor(private readonly sagas: SagaService) {}

  @Get('saga-definitions')
  @ViewerRoute()
  @ApiOperation({ summary: 'Registered sagas: steps (compensation, timeout, retry) and deadline.' })
  @ApiOkResponse({ type: [SagaDefinitionModel] })
  definitions(): SagaDefinitionView[] {
    return this.sagas.definitions();
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
