/**
 * Prometheus metrics come with the library: a host app of its own (not apps/api) enables them with
 * `metrics: true` and serves them from a controller of its own, or registers them in its registry.
 */
import { Controller, Get, Header, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { SagaMetrics, SagaModule, SagaRetentionJob, SagaService, sagaEntities, sagaMigrations, type SagaModuleOptions } from '../src/index.js';
import { FAST_ENGINE } from './support/saga-app.js';
import { FlowModule, FlowSaga } from './support/flow.fixtures.js';

@Controller('metrics')
class HostMetricsController {
  constructor(private readonly metrics: SagaMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}

const apps: INestApplication[] = [];
const dbs: TestDatabase[] = [];

afterAll(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  for (const db of dbs) await db.drop();
});

async function hostApp(sagaOptions: SagaModuleOptions): Promise<INestApplication> {
  const db = await createTestDatabase('saga_metrics');
  dbs.push(db);
  const module = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: db.url, entities: sagaEntities, migrations: sagaMigrations, migrationsRun: true, retryAttempts: 0, logging: false }),
      ScheduleModule.forRoot(),
      SagaModule.forRoot({ ...FAST_ENGINE, ...sagaOptions }),
      FlowModule,
    ],
    controllers: [HostMetricsController],
  }).compile();
  const app = module.createNestApplication({ logger: false });
  apps.push(app);
  await app.listen(0, '127.0.0.1');
  return app;
}

describe('metrics in a host app of its own', () => {
  it('counts starts, finishes, attempts, durations and compensations, and reads the gauges from the database', async () => {
    const app = await hostApp({ metrics: true });
    const sagas = app.get(SagaService);
    const ok = await sagas.start(FlowSaga, { script: { 'step-b': { failTimes: 1 } } });
    const bad = await sagas.start(FlowSaga, { script: { 'step-c': { failAlways: true, nonRetryable: true } } });
    expect((await ok.result({ timeoutMs: 15_000 })).status).toBe('COMPLETED');
    expect((await bad.result({ timeoutMs: 15_000 })).status).toBe('COMPENSATED');

    const res = await fetch(`${await app.getUrl()}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^saga_started_total\{saga="flow"\} 2$/m);
    expect(text).toMatch(/^saga_finished_total\{saga="flow",status="COMPLETED"\} 1$/m);
    expect(text).toMatch(/^saga_finished_total\{saga="flow",status="COMPENSATED"\} 1$/m);
    expect(text).toMatch(/^saga_step_attempts_total\{saga="flow",step="step-b",phase="execute",outcome="failed"\} 1$/m);
    expect(text).toMatch(/^saga_step_attempts_total\{saga="flow",step="step-b",phase="execute",outcome="succeeded"\} 2$/m);
    expect(text).toMatch(/^saga_step_attempts_total\{saga="flow",step="step-a",phase="compensate",outcome="succeeded"\} 1$/m);
    expect(text).toMatch(/^saga_step_retries_total\{saga="flow",step="step-b"\} 1$/m);
    expect(text).toMatch(/^saga_step_duration_seconds_count\{saga="flow",step="step-a",phase="execute",outcome="succeeded"\} 2$/m);
    expect(text).toMatch(/^saga_compensations_total\{saga="flow"\} 1$/m);
    expect(text).toMatch(/^saga_stuck 0$/m);
    expect(text).toMatch(/^saga_instances\{status="COMPLETED"\} 1$/m);
    expect(text).toMatch(/^saga_instances\{status="RUNNING"\} 0$/m);
    // The module's own registry also has the process metrics.
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(app.get(SagaMetrics).contentType).toContain('text/plain');
  });

  it('counts the finished sagas the retention job deletes, by saga and status', async () => {
    const app = await hostApp({ metrics: true, retention: { finishedAfterMs: 3_600_000, intervalMs: 24 * 3_600_000 } });
    const sagas = app.get(SagaService);
    const ok = await Promise.all([0, 1].map(async () => (await (await sagas.start(FlowSaga, {})).result({ timeoutMs: 15_000 })).id));
    const undone = (await (await sagas.start(FlowSaga, { script: { 'step-c': { failAlways: true, nonRetryable: true } } })).result({ timeoutMs: 15_000 })).id;
    const scrape = async () => (await fetch(`${await app.getUrl()}/metrics`)).text();
    expect(await scrape()).not.toMatch(/^saga_retention_deleted_total\{/m);

    // Finished two hours ago as far as the database knows: past the one-hour cutoff.
    const sql = new pg.Pool({ connectionString: dbs.at(-1)!.url, max: 1 });
    try {
      await sql.query(`UPDATE saga_instances SET created_at = created_at - interval '2 hours', finished_at = finished_at - interval '2 hours' WHERE id = ANY($1::uuid[])`, [[...ok, undone]]);
    } finally {
      await sql.end();
    }
    expect(await app.get(SagaRetentionJob).purge()).toMatchObject({ sagas: 3 });
    const text = await scrape();
    expect(text).toMatch(/^saga_retention_deleted_total\{saga="flow",status="COMPLETED"\} 2$/m);
    expect(text).toMatch(/^saga_retention_deleted_total\{saga="flow",status="COMPENSATED"\} 1$/m);
  });

  it("registers in the host's own registry when given one, without the process metrics", async () => {
    const registry = new Registry();
    const app = await hostApp({ metrics: { registry } });
    expect(app.get(SagaMetrics).registry).toBe(registry);
    const done = await (await app.get(SagaService).start(FlowSaga, {})).result({ timeoutMs: 15_000 });
    expect(done.status).toBe('COMPLETED');
    // Scraped by the host's own code: the gauges read the database all the same.
    const text = await registry.metrics();
    expect(text).toMatch(/^saga_finished_total\{saga="flow",status="COMPLETED"\} 1$/m);
    expect(text).toMatch(/^saga_instances\{status="COMPLETED"\} 1$/m);
    expect(text).not.toContain('process_cpu_user_seconds_total');
  });

  it('is off by default: no prom-client is loaded and asking for metrics says how to turn them on', async () => {
    const app = await hostApp({});
    const metrics = app.get(SagaMetrics);
    expect(metrics.enabled).toBe(false);
    await expect(metrics.metrics()).rejects.toMatchObject({ code: 'SAGA_METRICS_DISABLED', message: expect.stringContaining('SagaModule.forRoot({ metrics: true })') });
    const res = await fetch(`${await app.getUrl()}/metrics`);
    expect(res.status).toBe(500);
  });
});
