/** Boots a Nest app with SagaModule on a store passed in (no TypeORM at all), as an app on Redis would. */
import { Test } from '@nestjs/testing';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { SagaModule, type SagaModuleOptions, type SagaStore } from '../../src/index.js';
import { FAST_ENGINE } from './saga-app.js';

export async function bootSagaAppOnStore(store: SagaStore, metadata: ModuleMetadata, sagaOptions: SagaModuleOptions = {}): Promise<INestApplication> {
  const module = await Test.createTestingModule({
    imports: [ScheduleModule.forRoot(), SagaModule.forRoot({ ...FAST_ENGINE, ...sagaOptions, store }), ...(metadata.imports ?? [])],
    providers: metadata.providers ?? [],
  }).compile();
  const app = module.createNestApplication({ logger: process.env.SAGA_TEST_LOGS ? undefined : false });
  app.enableShutdownHooks();
  await app.init();
  return app;
}
