import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SagaMetrics } from '@nest-saga/saga';

/**
 * Served at `/metrics` (outside `/api`), where Prometheus looks by default. The metrics are the
 * library's (`SagaModule.forRoot({ metrics: true })`), in the module's own registry with the
 * process metrics.
 */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: SagaMetrics) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format); needs no token.' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text', schema: { type: 'string' } })
  async scrape(@Res({ passthrough: true }) res: { setHeader(name: string, value: string): void }): Promise<string> {
    const body = await this.metrics.metrics();
    res.setHeader('Content-Type', this.metrics.contentType);
    return body;
  }
}
