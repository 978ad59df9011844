/**
 * The api's root module, built from an `ApiConfig`: a thin host of the packages. The app owns
 * TypeORM and the scheduler; `SagaModule` runs the sagas and `SagaAdminModule` mounts the admin API
 * and the dashboard at `/`. The demo's tables and routes are included only when the demo is on.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SagaAdminExceptionFilter, SagaAdminModule } from '@nest-saga/admin';
import { SagaModule, sagaEntities, sagaMigrations } from '@nest-saga/saga';
import type { ApiConfig } from './config/api-config.js';
import { DemoModule, DemoSchema1767312000000, demoEntities } from './demo/demo.module.js';
import { TypeOrmLogger } from './logging/typeorm-logger.js';
import { SagaEventLogger } from './logging/saga-event-logger.service.js';
import { MetricsController } from './metrics/metrics.controller.js';

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig & { databaseUrl: string; embeddedDatabase?: boolean }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: config.databaseUrl,
          entities: [...sagaEntities, ...(config.demo ? demoEntities : [])],
          migrations: [...sagaMigrations, ...(config.demo ? [DemoSchema1767312000000] : [])],
          migrationsRun: config.migrationsRun,
          migrationsTransactionMode: 'each',
          synchronize: false,
          // gen_random_uuid() is built in (PostgreSQL 13+) and exists in PGlite; uuid-ossp does not.
          uuidExtension: 'pgcrypto',
          installExtensions: false,
          retryAttempts: config.databaseRetryAttempts,
          retryDelay: 2_000,
          extra: { max: config.databasePoolSize, connectionTimeoutMillis: config.databaseConnectTimeoutMs },
          logger: new TypeOrmLogger(),
          logging: ['error', 'warn', 'schema', 'migration'],
          maxQueryExecutionTime: 5_000,
        }),
        ScheduleModule.forRoot(),
        // Metrics on: prom-client is a dependency of the app (an optional peer of the library).
        // Retention from SAGA_RETENTION_DAYS (30 days unless turned off); sagaOptions may still override it.
        // The embedded PGlite serves every connection from one session, where the names of prepared
        // statements of different connections would collide.
        SagaModule.forRoot({
          metrics: true,
          ...(config.embeddedDatabase ? { preparedStatements: false } : {}),
          ...(config.retention ? { retention: config.retention } : {}),
          ...config.sagaOptions,
        }),
        // Before the console: its catch-all routes under `/api` must come after the demo's.
        ...(config.demo ? [DemoModule.forRoot({ paymentServiceUrl: config.demoPaymentServiceUrl, paymentServiceToken: config.demoPaymentServiceToken })] : []),
        SagaAdminModule.forRoot({
          path: '/',
          auth: { tokens: config.adminTokens },
          openApi: { include: [AppModule, ...(config.demo ? [DemoModule] : [])] },
          ...(config.dashboardDir ? { dashboardDir: config.dashboardDir } : {}),
        }),
      ],
      controllers: [MetricsController],
      providers: [
        // The console's error bodies for what happens outside its routes too (body parsing, 404s).
        { provide: APP_FILTER, useClass: SagaAdminExceptionFilter },
        SagaEventLogger,
      ],
    };
  }
}
