/**
 * Sagas composed at run time from registered steps (`sagas.start({ name, steps }, input)`, the
 * builder, `SagaRegistry.define`), on PostgreSQL: their plans, `ctx.params`, and the typed errors
 * of compositions that cannot run.
 */
import { Injectable, type INestApplication, type Provider } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import {
  DuplicatePlanStepError,
  DuplicateSagaNameError,
  EmptyPlanError,
  InvalidPlanNameError,
  MissingStepRequirementError,
  NonRetryableStepError,
  PlanStepNotRegisteredError,
  Saga,
  SagaDefinition,
  SagaIdempotencyConflictError,
  SagaRegistry,
  SagaService,
  SagaStep,
  SagaValidationError,
  type SagaModuleOptions,
  type SagaStepHandler,
  type StepContext,
} from '../src/index.js';
import { bootSagaApp, until } from './support/saga-app.js';

interface CInput {
  /** The first attempt of this step waits until it is aborted (the app shuts down). */
  holdAt?: string;
}

interface Call {
  sagaId: string;
  call: string;
  params: Record<string, unknown>;
  outputs: string[];
}

@Injectable()
class Calls {
  static readonly all: Call[] = [];
  of(sagaId: string): Call[] {
    return Calls.all.filter((c) => c.sagaId === sagaId);
  }
}

abstract class Step implements SagaStepHandler<CInput, { step: string }> {
  async execute(input: CInput, ctx: StepContext) {
    Calls.all.push({ sagaId: ctx.sagaId, call: `execute:${ctx.stepName}`, params: { ...ctx.params }, outputs: Object.keys(ctx.outputs) });
    if (input.holdAt === ctx.stepName && ctx.attempt === 1) {
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }
    if (ctx.params.fail) throw new NonRetryableStepError(`${ctx.stepName} was told to fail`);
    return { step: ctx.stepName };
  }
}

abstract class CompensableStep extends Step {
  async compensate(_input: CInput, _output: unknown, ctx: StepContext) {
    Calls.all.push({ sagaId: ctx.sagaId, call: `compensate:${ctx.stepName}`, params: { ...ctx.params }, outputs: Object.keys(ctx.outputs) });
  }
}

@SagaStep('c-reserve')
class CReserve extends CompensableStep {}
@SagaStep('c-charge', { timeoutMs: 7_000, retry: { maxAttempts: 4 } })
class CCharge extends CompensableStep {}
@SagaStep('c-ship', { requires: ['c-reserve'] })
class CShip extends CompensableStep {}
@SagaStep('c-notify')
class CNotify extends Step {}

@Saga('c-order', { steps: [CReserve, CCharge, CShip] })
class COrder extends SagaDefinition<CInput> {}

const STEPS: Provider[] = [Calls, CReserve, CCharge, CShip, CNotify, COrder];

let db: TestDatabase;
let apps: INestApplication[] = [];

beforeAll(async () => {
  db = await createTestDatabase('saga_compose');
});

afterEach(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  apps = [];
});

afterAll(async () => {
  await db?.drop();
});

async function boot(options: SagaModuleOptions = {}): Promise<INestApplication> {
  const app = await bootSagaApp(db.url, { providers: STEPS }, { shutdownTimeoutMs: 200, ...options });
  apps.push(app);
  return app;
}

const calls = (sagaId: string) => new Calls().of(sagaId).map((c) => c.call);

describe('sagas composed at run time', () => {
  it('runs the steps in the order given, with each entry\'s params as ctx.params in execute and in compensate', async () => {
    const sagas = (await boot()).get(SagaService);
    const handle = await sagas.start(
      {
        name: 'refund',
        steps: [
          { step: 'c-reserve', params: { warehouse: 'north' } },
          { step: 'c-charge', params: { amount: 5, currency: 'EUR' } },
          { step: 'c-notify', params: { fail: true } },
        ],
      },
      {},
    );
    const done = await handle.result({ timeoutMs: 30_000 });
    expect(done.status).toBe('COMPENSATED');
    expect(done.name).toBe('refund');
    expect(calls(handle.sagaId)).toEqual(['execute:c-reserve', 'execute:c-charge', 'execute:c-notify', 'compensate:c-charge', 'compensate:c-reserve']);
    const byCall = Object.fromEntries(new Calls().of(handle.sagaId).map((c) => [c.call, c.params]));
    expect(byCall).toEqual({
      'execute:c-reserve': { warehouse: 'north' },
      'execute:c-charge': { amount: 5, currency: 'EUR' },
      'execute:c-notify': { fail: true },
      'compensate:c-charge': { amount: 5, currency: 'EUR' },
      'compensate:c-reserve': { warehouse: 'north' },
    });
    expect(done.definitionVersion).toBe(1);
    expect(done.plan).toMatchObject({ name: 'refund', version: 1, origin: 'composed', timeoutMs: null, deadlinePolicy: 'compensate' });
    expect(done.plan!.steps.map((s) => [s.step, s.params])).toEqual([
      ['c-reserve', { warehouse: 'north' }],
      ['c-charge', { amount: 5, currency: 'EUR' }],
      ['c-notify', { fail: true }],
    ]);
    // The effective policies of each step are stored with it.
    expect(done.plan!.steps[1]).toMatchObject({ timeoutMs: 7_000, retry: { maxAttempts: 4 }, compensationTimeoutMs: 7_000 });
    expect(done.events[0]).toMatchObject({ type: 'SAGA_STARTED', data: { version: 1, composed: true } });
  });

  it('composes with the builder: check() writes nothing, start() runs the same plan', async () => {
    const sagas = (await boot()).get(SagaService);
    const builder = sagas.compose<CInput>('express', { version: 3, timeoutMs: 60_000 }).step('c-reserve').step('c-ship', { carrier: 'express' });
    expect(builder.build()).toEqual({ name: 'express', version: 3, timeoutMs: 60_000, steps: [{ step: 'c-reserve' }, { step: 'c-ship', params: { carrier: 'express' } }] });
    const before = (await sagas.stats()).total;
    expect(builder.check()).toMatchObject({ name: 'express', version: 3, origin: 'composed', timeoutMs: 60_000 });
    expect((await sagas.stats()).total).toBe(before);

    const done = await (await builder.start({})).result({ timeoutMs: 30_000 });
    expect(done.status).toBe('COMPLETED');
    expect(done.definitionVersion).toBe(3);
    expect(done.deadlineAt).not.toBeNull();
    expect(new Calls().of(done.id).map((c) => [c.call, c.params, c.outputs])).toEqual([
      ['execute:c-reserve', {}, []],
      ['execute:c-ship', { carrier: 'express' }, ['c-reserve']],
    ]);
  });

  it('refuses each composition that cannot run with a typed error naming the field, and stores nothing', async () => {
    const sagas = (await boot()).get(SagaService);
    const before = (await sagas.stats()).total;
    const attempt = (composition: unknown) => sagas.start(composition as never, {}).then(() => null, (e: unknown) => e as any);

    const unknown = await attempt({ name: 'refund', steps: [{ step: 'c-reserve' }, { step: 'c-teleport' }] });
    expect(unknown).toBeInstanceOf(PlanStepNotRegisteredError);
    expect(unknown).toMatchObject({ code: 'PLAN_STEP_NOT_REGISTERED', field: 'steps[1].step', sagaName: 'refund', stepName: 'c-teleport' });
    expect(unknown.message).toContain('"c-charge", "c-notify", "c-reserve", "c-ship"');

    const twice = await attempt({ name: 'refund', steps: [{ step: 'c-charge' }, { step: 'c-reserve' }, { step: 'c-charge' }] });
    expect(twice).toBeInstanceOf(DuplicatePlanStepError);
    expect(twice).toMatchObject({ code: 'PLAN_STEP_DUPLICATE', field: 'steps[2].step' });
    expect(twice.message).toContain('twice (steps[0] and steps[2])');

    for (const name of ['', '   ', 42]) {
      const empty = await attempt({ name, steps: [{ step: 'c-charge' }] });
      expect(empty).toBeInstanceOf(InvalidPlanNameError);
      expect(empty).toMatchObject({ code: 'PLAN_NAME_INVALID', field: 'name' });
    }
    const taken = await attempt({ name: 'c-order', steps: [{ step: 'c-charge' }] });
    expect(taken).toBeInstanceOf(InvalidPlanNameError);
    expect(taken.message).toContain('belongs to a registered saga');

    const requirement = await attempt({ name: 'ship-only', steps: [{ step: 'c-ship' }, { step: 'c-reserve' }] });
    expect(requirement).toBeInstanceOf(MissingStepRequirementError);
    expect(requirement).toMatchObject({ code: 'PLAN_REQUIREMENT_MISSING', field: 'steps[0].step' });
    expect(requirement.message).toContain('Put "c-reserve" before "c-ship"');

    const none = await attempt({ name: 'nothing', steps: [] });
    expect(none).toBeInstanceOf(EmptyPlanError);
    expect(none).toMatchObject({ code: 'PLAN_EMPTY', field: 'steps' });

    const params = await attempt({ name: 'refund', steps: [{ step: 'c-charge', params: [1, 2] }] });
    expect(params).toBeInstanceOf(SagaValidationError);
    expect(params).toMatchObject({ code: 'VALIDATION_FAILED', field: 'steps[0].params' });
    const unstorable = await attempt({ name: 'refund', steps: [{ step: 'c-charge', params: { note: 'a\u0000b' } }] });
    expect(unstorable).toMatchObject({ code: 'VALIDATION_FAILED', field: 'steps[0].params.note' });

    expect(() => sagas.compose('refund').step('c-ship').check()).toThrow(MissingStepRequirementError);
    expect((await sagas.stats()).total).toBe(before);
  });

  it('starts a composition idempotently: the same steps, params and input return that saga; other steps are a conflict', async () => {
    const sagas = (await boot()).get(SagaService);
    const composition = { name: 'refund', steps: [{ step: 'c-reserve' }, { step: 'c-charge', params: { amount: 5, currency: 'EUR' } }] };
    const first = await sagas.start(composition, { holdAt: 'none' }, { idempotencyKey: 'refund-1' });
    const again = await sagas.start(
      { name: 'refund', steps: [{ step: 'c-reserve' }, { step: 'c-charge', params: { currency: 'EUR', amount: 5 } }] },
      { holdAt: 'none' },
      { idempotencyKey: 'refund-1' },
    );
    expect(again).toMatchObject({ sagaId: first.sagaId, created: false });
    const other = await sagas
      .start({ name: 'refund', steps: [{ step: 'c-reserve' }, { step: 'c-charge', params: { amount: 6 } }] }, { holdAt: 'none' }, { idempotencyKey: 'refund-1' })
      .catch((e) => e);
    expect(other).toBeInstanceOf(SagaIdempotencyConflictError);
    expect(other.message).toContain('started with other steps or params');
  });

  it('SagaRegistry.define checks like a composition; its sagas run by their stored plan after a restart where nothing is defined again', async () => {
    const first = await boot();
    const registry = first.get(SagaRegistry);
    expect(() => registry.define('defined-refund', ['c-charge', 'c-charge'])).toThrow(DuplicatePlanStepError);
    expect(() => registry.define('', ['c-charge'])).toThrow(InvalidPlanNameError);
    expect(() => registry.define('defined-refund', ['c-teleport'])).toThrow(PlanStepNotRegisteredError);
    expect(() => registry.define('defined-refund', ['c-ship'])).toThrow(MissingStepRequirementError);
    registry.define('defined-refund', ['c-reserve', { step: 'c-charge', params: { amount: 9 } }], { version: 2 });
    expect(() => registry.define('defined-refund', ['c-reserve'])).toThrow(DuplicateSagaNameError);

    const sagas = first.get(SagaService);
    const handle = await sagas.start('defined-refund', { holdAt: 'c-charge' });
    await until(() => sagas.get(handle.sagaId), (d) => d.currentStep === 'c-charge' && d.steps[1]!.status === 'RUNNING', 'c-charge running');
    expect((await sagas.get(handle.sagaId)).plan).toMatchObject({ name: 'defined-refund', version: 2, origin: 'definition' });
    await first.close();
    apps = [];

    // The next process never calls define(): the plan in the row is enough.
    const second = (await boot()).get(SagaService);
    const done = await until(() => second.get(handle.sagaId), (d) => d.status === 'COMPLETED', 'the defined saga to complete after the restart');
    expect(done.definitionVersion).toBe(2);
    expect(new Calls().of(handle.sagaId).map((c) => [c.call, c.params])).toEqual([
      ['execute:c-reserve', {}],
      ['execute:c-charge', { amount: 9 }],
      ['execute:c-charge', { amount: 9 }],
    ]);
  });
});
