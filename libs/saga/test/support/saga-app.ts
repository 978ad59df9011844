/** Boots a Nest app with SagaModule on a real PostgreSQL database, as a user's app would. */
import { Test } from '@nestjs/testing';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SagaModule, sagaEntities, sagaMigrations, type SagaModuleOptions } from '../../src/index.js';

export const FAST_ENGINE: SagaModuleOptions = {
  pollIntervalMs: 50,
  leaseMs: 3_000,
  stuckCheckIntervalMs: 60_000,
  shutdownTimeoutMs: 2_000,
};

export async function bootSagaApp(databaseUrl: string, metadata: ModuleMetadata, sagaOptions: SagaModuleOptions = {}): Promise<INestApplication> {
  const module = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: databaseUrl,
        entities: sagaEntities,
        migrations: sagaMigrations,
        migrationsRun: true,
        retryAttempts: 0,
        logging: false,
      }),
      ScheduleModule.forRoot(),
      SagaModule.forRoot({ ...FAST_ENGINE, ...sagaOptions }),
      ...(metadata.imports ?? []),
    ],
    providers: metadata.providers ?? [],
  }).compile();
  const app = module.createNestApplication({ logger: process.env.SAGA_TEST_LOGS ? undefined : false });
  app.enableShutdownHooks();
  await app.init();
  return app;
}

/**
 * Polls `fn` until `ok` holds. The default timeout is generous on purpose: a passing test returns as
 * soon as the state is reached, and a busy machine (other test runs, CPU starved) must not fail it.
 */
export async function until<T>(fn: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
}
