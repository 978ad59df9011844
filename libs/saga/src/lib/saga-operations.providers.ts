/**
 * Providers of bulk actions and retention. Both work on the saga tables in PostgreSQL through the
 * app's TypeORM DataSource; with another store, bulk actions answer with a configuration error and
 * retention refuses to start.
 */
import type { Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { resolveBulkOptions } from './bulk/bulk-options.js';
import { SagaBulkService } from './bulk/saga-bulk.service.js';
import { SagaBulkWorker } from './bulk/saga-bulk.worker.js';
import { SagaConfigurationError } from './errors/saga.errors.js';
import type { SagaModuleOptions } from './interfaces/saga-options.interface.js';
import { SagaBulkStore } from './persistence/saga-bulk.store.js';
import { SagaRetentionStore } from './persistence/saga-retention.store.js';
import { lazySqlPool } from './persistence/sql-pool.js';
import { PostgresSagaBulkStore } from './persistence/postgres-saga-bulk.store.js';
import { PostgresSagaRetentionStore } from './persistence/postgres-saga-retention.store.js';
import type { SagaStepPauseStore } from './persistence/saga-step-pause.store.js';
import { PostgresSagaStepPauseStore, UnsupportedSagaStepPauseStore } from './persistence/postgres-saga-step-pause.store.js';
import { SagaStepBreaker } from './breaker/saga-step-breaker.js';
import { resolveRetentionOptions } from './scheduler/retention-options.js';
import { SagaRetentionJob } from './scheduler/saga-retention.job.js';
import { SAGA_MODULE_OPTIONS } from './saga.module-definition.js';
import { SAGA_BULK_OPTIONS, SAGA_BULK_STORE, SAGA_RETENTION_OPTIONS, SAGA_RETENTION_STORE, SAGA_STEP_PAUSE_STORE } from './saga-operations.tokens.js';
import { usesPostgresStore } from './saga-options.js';

/** Every call fails with the same clear error: the configured store cannot do bulk actions. */
export class UnsupportedSagaBulkStore extends SagaBulkStore {
  private fail(): Promise<never> {
    return Promise.reject(
      new SagaConfigurationError('Bulk actions need the PostgreSQL saga store; this app passes another store to SagaModule.forRoot({ store }).'),
    );
  }
  countMatching = () => this.fail();
  sample = () => this.fail();
  stepsToUndo = () => this.fail();
  create = () => this.fail();
  get = () => this.fail();
  list = () => this.fail();
  failures = () => this.fail();
  pending = () => this.fail();
  record = () => this.fail();
  finish = () => this.fail();
  cancel = () => this.fail();
  renew = () => this.fail();
  claimOrphan = () => this.fail();
  release = () => this.fail();
}

export const sagaOperationsProviders: Provider[] = [
  { provide: SAGA_BULK_OPTIONS, inject: [SAGA_MODULE_OPTIONS], useFactory: (options: SagaModuleOptions) => resolveBulkOptions(options.bulkActions) },
  {
    provide: SAGA_RETENTION_OPTIONS,
    inject: [SAGA_MODULE_OPTIONS],
    useFactory: (options: SagaModuleOptions) => {
      const resolved = resolveRetentionOptions(options.retention);
      if (resolved && !usesPostgresStore(options)) {
        throw new SagaConfigurationError('SagaModule.forRoot({ retention }) needs the PostgreSQL saga store: leave retention unset with another store.');
      }
      return resolved;
    },
  },
  {
    provide: SAGA_BULK_STORE,
    inject: [SAGA_MODULE_OPTIONS, ModuleRef],
    useFactory: (options: SagaModuleOptions, moduleRef: ModuleRef): SagaBulkStore =>
      usesPostgresStore(options) ? new PostgresSagaBulkStore(lazySqlPool(moduleRef, options.dataSourceName, 'Bulk actions')) : new UnsupportedSagaBulkStore(),
  },
  {
    provide: SAGA_RETENTION_STORE,
    inject: [SAGA_MODULE_OPTIONS, ModuleRef],
    useFactory: (options: SagaModuleOptions, moduleRef: ModuleRef): SagaRetentionStore =>
      new PostgresSagaRetentionStore(lazySqlPool(moduleRef, options.dataSourceName, 'Saga retention')),
  },
  {
    provide: SAGA_STEP_PAUSE_STORE,
    inject: [SAGA_MODULE_OPTIONS, ModuleRef],
    useFactory: (options: SagaModuleOptions, moduleRef: ModuleRef): SagaStepPauseStore =>
      usesPostgresStore(options)
        ? new PostgresSagaStepPauseStore(lazySqlPool(moduleRef, options.dataSourceName, 'The step circuit breaker'))
        : new UnsupportedSagaStepPauseStore(
            () => new SagaConfigurationError('The step circuit breaker needs the PostgreSQL saga store; this app passes another store to SagaModule.forRoot({ store }).'),
          ),
  },
  SagaStepBreaker,
  SagaBulkWorker,
  SagaBulkService,
  SagaRetentionJob,
];
