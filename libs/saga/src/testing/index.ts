/**
 * What users need to test their own sagas: an in-memory store, a module factory with fast settings,
 * and a runner that calls one step the way the engine would.
 */
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import type { ModuleMetadata, Type } from '@nestjs/common';
import { SagaModule } from '../lib/saga.module.js';
import { InMemorySagaStore } from '../lib/persistence/in-memory-saga.store.js';
import type { SagaModuleOptions } from '../lib/interfaces/saga-options.interface.js';
import type { SagaStepHandler, StepContext } from '../lib/interfaces/step.interface.js';
import { createStepContext } from '../lib/engine/step-context.js';
import type { SagaHttpClient } from '../lib/http/saga-http.client.js';
import { context as otelContext } from '@opentelemetry/api';

export { InMemorySagaStore };

/**
 * A Nest testing module with `SagaModule` on an in-memory store, plus your sagas, steps and
 * providers. Retries default to 3 attempts with 1 ms delays so tests run fast.
 */
export async function createSagaTestingModule(
  metadata: ModuleMetadata & { sagaOptions?: SagaModuleOptions },
): Promise<{ module: TestingModule; store: InMemorySagaStore; close(): Promise<void> }> {
  const store = new InMemorySagaStore();
  const { sagaOptions, ...rest } = metadata;
  const module = await Test.createTestingModule({
    ...rest,
    imports: [
      ScheduleModule.forRoot(),
      SagaModule.forRoot({
        store,
        pollIntervalMs: 20,
        leaseMs: 5_000,
        defaultRetry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5, jitter: 0 },
        ...sagaOptions,
      }),
      ...(rest.imports ?? []),
    ],
  }).compile();
  const app = module.createNestApplication({ logger: false });
  await app.init();
  return { module, store, close: () => app.close() };
}

/**
 * Calls one step's `execute` (and `compensate`) with a context like the engine's. `ctx.http` is a
 * real `SagaHttpClient` bound to the context (point the step at a test server), unless `http` is given.
 * For a transactional step pass `manager` (e.g. the `manager` of a transaction your test opens and
 * rolls back); it has none otherwise.
 */
export class StepTestRunner<TInput, TOutput> {
  private readonly controller = new AbortController();

  constructor(
    private readonly step: SagaStepHandler<TInput, TOutput>,
    private readonly context: Partial<Omit<StepContext, 'signal' | 'phase'>> = {},
  ) {}

  private ctx(phase: StepContext['phase']): StepContext {
    const sagaId = this.context.sagaId ?? '00000000-0000-4000-8000-000000000000';
    const stepName = this.context.stepName ?? 'step';
    const fields = {
      sagaId,
      sagaName: this.context.sagaName ?? 'saga',
      stepName,
      stepIndex: this.context.stepIndex ?? 0,
      attempt: this.context.attempt ?? 1,
      idempotencyKey: this.context.idempotencyKey ?? `${sagaId}:${stepName}`,
      outputs: this.context.outputs ?? {},
      params: this.context.params ?? {},
      signal: this.controller.signal,
      phase,
      manager: this.context.manager,
    };
    const http = this.context.http;
    // A given client is used as it is (not bound to the context).
    return createStepContext(fields, otelContext.active(), http ? ({ forStep: () => http } as unknown as SagaHttpClient) : undefined);
  }

  execute(input: TInput): Promise<TOutput> {
    return Promise.resolve(this.step.execute(input, this.ctx('execute')));
  }

  async compensate(input: TInput, output: TOutput | undefined): Promise<void> {
    if (!this.step.compensate) throw new Error('This step has no compensate() method.');
    await this.step.compensate(input, output, this.ctx('compensate'));
  }

  /** Aborts `ctx.signal`, as a timeout or a cancel would. */
  abort(reason: unknown = new Error('aborted')): void {
    this.controller.abort(reason);
  }
}

export type { Type };
