import { Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { SagaService } from '@nest-saga/saga';
import { AdminApiController } from '../http/admin-api.decorator.js';
import { Public } from '../auth/roles.decorator.js';
import { HealthModel } from '../docs/api-models.js';

@ApiTags('operations')
@AdminApiController('health')
export class HealthController {
  constructor(private readonly sagas: SagaService) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness and database reachability; needs no token.' })
  @ApiOkResponse({ type: HealthModel })
  @ApiServiceUnavailableResponse({ type: HealthModel, description: 'The database cannot be reached.' })
  async health(@Res({ passthrough: true }) res: { status(code: number): unknown; setHeader(name: string, value: string): unknown }): Promise<HealthModel> {
    const up = await this.sagas.isDatabaseUp().catch(() => false);
    if (!up) {
      // Down, or no pool connection came in time: either way this instance cannot serve now.
      res.status(503);
      res.setHeader('Retry-After', '1');
      return { status: 'error', database: 'down' };
    }
    return { status: 'ok', database: 'up' };
  }
}
