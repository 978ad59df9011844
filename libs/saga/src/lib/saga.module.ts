import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SagaMetadataAccessor } from './discovery/saga-metadata.accessor.js';
import { SagaExplorer } from './discovery/saga.explorer.js';
import { SagaRegistry } from './discovery/saga.registry.js';
import { SagaOrchestrator } from './engine/saga.orchestrator.js';
import { SagaConfigurationError } from './errors/saga.errors.js';
import type { SagaModuleOptions } from './interfaces/saga-options.interface.js';
import { SagaStore } from './persistence/saga.store.js';
import { PostgresSagaStore, type SqlClient } from './persistence/postgres-saga.store.js';
import { SagaStuckDetector } from './scheduler/saga-stuck.detector.js';
import { SagaService } from './services/saga.service.js';
import { SagaBulkService } from './bulk/saga-bulk.service.js';
import { SagaRetentionJob } from './scheduler/saga-retention.job.js';
import { sagaOperationsProviders } from './saga-operations.providers.js';
import { SAGA_STORE } from './saga.constants.js';
import { SagaConfigurableModule, SAGA_ASYNC_OPTIONS_TYPE, SAGA_MODULE_OPTIONS, SAGA_OPTIONS_TYPE } from './saga.module-definition.js';
import { resolveSagaOptions, usesPostgresStore } from './saga-options.js';
import { SAGA_PROM_CLIENT, SAGA_RESOLVED_OPTIONS } from './saga.tokens.js';
import { SagaMetrics } from './metrics/saga-metrics.js';
import { loadPromClient } from './metrics/prom-client.loader.js';
import { SagaHttpClient } from './http/saga-http.client.js';
import type { ResolvedSagaOptions } from './saga-options.js';

const providers: Provider[] = [
  {
    provide: SAGA_RESOLVED_OPTIONS,
    inject: [SAGA_MODULE_OPTIONS],
    useFactory: (options: SagaModuleOptions) => resolveSagaOptions(options),
  },
  {
    // The one store token: the store given in the options, or PostgreSQL through the app's TypeORM DataSource.
    provide: SagaStore,
    inject: [SAGA_MODULE_OPTIONS, ModuleRef],
    useFactory: (options: SagaModuleOptions, moduleRef: ModuleRef): SagaStore => {
      if (!usesPostgresStore(options)) return options.store as SagaStore;
      // The DataSource is looked up lazily: TypeORM's async providers may not exist yet while ours are built.
      let pool: SqlClient | undefined;
      let dataSource: DataSource | undefined;
      const resolveDataSource = (): DataSource => {
        if (dataSource) return dataSource;
        try {
          dataSource = moduleRef.get<DataSource>(getDataSourceToken(options.dataSourceName) as string, { strict: false });
        } catch {
          throw new SagaConfigurationError(
            'SagaModule stores sagas through TypeORM but found no DataSource. Import TypeOrmModule.forRoot({ type: "postgres", entities: [...sagaEntities], migrations: [...sagaMigrations], migrationsRun: true }) in your app module, or pass another store in SagaModule.forRoot({ store }).',
          );
        }
        return dataSource;
      };
      const resolvePool = (): SqlClient => (pool ??= PostgresSagaStore.poolOf(resolveDataSource()));
      return new PostgresSagaStore({ query: (text, values) => resolvePool().query(text, values) }, () => void resolvePool(), {
        // Transactional steps run on the same DataSource as the sagas, so their checkpoints can share a transaction.
        dataSource: resolveDataSource,
        preparedStatements: options.preparedStatements ?? true,
      });
    },
  },
  // Deprecated alias for apps that still inject the old token: the same instance.
  { provide: SAGA_STORE, useExisting: SagaStore },
  SagaMetadataAccessor,
  SagaRegistry,
  SagaExplorer,
  SagaOrchestrator,
  SagaStuckDetector,
  SagaService,
  {
    // Only with metrics on: prom-client is an optional peer, missing from apps that do not use it.
    provide: SAGA_PROM_CLIENT,
    inject: [SAGA_RESOLVED_OPTIONS],
    useFactory: (options: ResolvedSagaOptions) => (options.metrics ? loadPromClient() : null),
  },
  SagaMetrics,
  { provide: SagaHttpClient, useFactory: () => new SagaHttpClient() },
  ...sagaOperationsProviders,
];

/**
 * Durable sagas for the app. Import once, in the root module, next to `TypeOrmModule.forRoot` and
 * `ScheduleModule.forRoot()`; steps and sagas are ordinary providers of any module.
 */
@Module({
  imports: [DiscoveryModule],
  providers,
  exports: [SagaService, SagaRegistry, SagaStore, SAGA_STORE, SagaMetrics, SagaHttpClient, SagaBulkService, SagaRetentionJob],
})
export class SagaModule extends SagaConfigurableModule {
  static forRoot(options: typeof SAGA_OPTIONS_TYPE = {}): DynamicModule {
    return { ...super.forRoot(options), global: options.isGlobal ?? true };
  }

  static forRootAsync(options: typeof SAGA_ASYNC_OPTIONS_TYPE): DynamicModule {
    return { ...super.forRootAsync(options), global: options.isGlobal ?? true };
  }
}
