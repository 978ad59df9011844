/**
 * The api's root module, built from an `ApiConfig`. The app owns TypeORM and the scheduler;
 * `SagaModule` uses them. The demo's tables and routes are included only when the demo is on.
 */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SagaModule, sagaEntities, sagaMigrations } from '@nest-saga/saga';
import { AdminAuthGuard } from './auth/admin-auth.guard.js';
import { AdminTokenRegistry } from './auth/admin-tokens.js';
import type { ApiConfig } from './config/api-config.js';
import { DemoModule, DemoSchema1767312000000, demoEntities } from './demo/demo.module.js';
import { HealthController } from './health/health.controller.js';
import { ApiExceptionFilter } from './http/api-exception.filter.js';
import { createValidationPipe } from './http/validation.js';
import { TypeOrmLogger } from './logging/typeorm-logger.js';
import { SagaEventLogger } from './logging/saga-event-logger.service.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { SagaMetricsService } from './metrics/saga-metrics.service.js';
import { SagaAdminController } from './sagas/saga-admin.controller.js';
import { SagaInputValidators } from './sagas/saga-input-validators.js';
import { SagasController } from './sagas/sagas.controller.js';

/** Services any module of the app may use (the demo registers its input DTO here). */
@Global()
@Module({ providers: [SagaInputValidators], exports: [SagaInputValidators] })
class ApiCoreModule {}

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig & { databaseUrl: string }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ApiCoreModule,
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
        SagaModule.forRoot(config.sagaOptions),
        ...(config.demo ? [DemoModule] : []),
      ],
      controllers: [SagasController, SagaAdminController, HealthController, MetricsController],
      providers: [
        { provide: AdminTokenRegistry, useValue: new AdminTokenRegistry(config.adminTokens) },
        { provide: APP_GUARD, useClass: AdminAuthGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        SagaMetricsService,
        SagaEventLogger,
      ],
    };
  }
}
