/**
 * Each saga runs by the plan stored when it started: a deployment that changes a definition's steps
 * changes no saga in flight, and a saga needing a step an instance lacks waits for one that has it.
 */
import { Injectable, type INestApplication, type Provider } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { Saga, SagaDefinition, SagaService, SagaStep, type SagaModuleOptions, type SagaStepHandler, type StepContext } from '../src/index.js';
import { bootSagaApp, until } from './support/saga-app.js';
import { withClient } from './support/processes.js';

interface VInput {
  /** The first attempt of this step waits until it is aborted (the app shuts down). */
  holdAt?: string;
  failAt?: string;
  failCompensationAt?: string;
}

interface Call {
  sagaId: string;
  step: string;
  phase: 'execute' | 'compensate';
  attempt: number;
}

@Injectable()
class Calls {
  /** Shared by every app of this file (one process): who ran what, across restarts. */
  static readonly all: Call[] = [];
  of(sagaId: string): string[] {
    return Calls.all.filter((c) => c.sagaId === sagaId).map((c) => `${c.phase}:${c.step}#${c.attempt}`);
  }
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
}

abstract class Recorded implements SagaStepHandler<VInput, { step: string }> {
  async execute(input: VInput, ctx: StepContext) {
    Calls.all.push({ sagaId: ctx.sagaId, step: ctx.stepName, phase: 'execute', attempt: ctx.attempt });
    if (input.holdAt === ctx.stepName && ctx.attempt === 1) await untilAborted(ctx.signal);
    if (input.failAt === ctx.stepName) throw new Error(`${ctx.stepName} fails`);
    return { step: ctx.stepName };
  }
  async compensate(input: VInput, _output: unknown, ctx: StepContext) {
    Calls.all.push({ sagaId: ctx.sagaId, step: ctx.stepName, phase: 'compensate', attempt: ctx.attempt });
    if (input.failCompensationAt === ctx.stepName) throw new Error(`compensation of ${ctx.stepName} fails`);
  }
}

const once = { retry: { maxAttempts: 2, initialDelayMs: 10, jitter: 0 } };

@SagaStep('v-reserve', once)
class VReserve extends Recorded {}
@SagaStep('v-charge', { ...once, timeoutMs: 60_000 })
class VCharge extends Recorded {}
@SagaStep('v-notify', once)
class VNotify extends Recorded {}
@SagaStep('v-ship', once)
class VShip extends Recorded {}

@Saga('versioned', { version: 1, steps: [VReserve, VCharge, VNotify] })
class VersionedV1 extends SagaDefinition<VInput> {}

@Saga('versioned', { version: 2, steps: [VReserve, VShip, VCharge] })
class VersionedV2 extends SagaDefinition<VInput> {}

let db: TestDatabase;
let apps: INestApplication[] = [];

beforeAll(async () => {
  db = await createTestDatabase('saga_plans');
});

afterEach(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  apps = [];
});

afterAll(async () => {
  await db?.drop();
});

async function boot(providers: Provider[], options: SagaModuleOptions = {}): Promise<SagaService> {
  // Shutdown gives up on a held step quickly: it is aborted and the saga handed back.
  const app = await bootSagaApp(db.url, { providers: [Calls, ...providers] }, { shutdownTimeoutMs: 200, ...options });
  apps.push(app);
  return app.get(SagaService);
}

async function closeAll(): Promise<void> {
  for (const app of apps) await app.close();
  apps = [];
}

const names = (steps: { name: string }[]) => steps.map((s) => s.name);

describe('sagas run by the plan stored at their start', () => {
  it('a saga started under version 1 finishes by its plan after the app restarts with version 2 (steps changed), while new sagas use version 2', async () => {
    const v1 = await boot([VReserve, VCharge, VNotify, VShip, VersionedV1]);
    const inFlight = await v1.start(VersionedV1, { holdAt: 'v-charge' });
    await until(() => v1.get(inFlight.sagaId), (d) => d.currentStep === 'v-charge' && d.steps[1]!.status === 'RUNNING', 'v-charge running under v1');
    const failed = await (await v1.start(VersionedV1, { failAt: 'v-notify', failCompensationAt: 'v-reserve' })).result({ timeoutMs: 30_000 });
    expect(failed.status).toBe('FAILED');
    const started = await v1.get(inFlight.sagaId);
    expect(started.definitionVersion).toBe(1);
    expect(started.plan).toMatchObject({ name: 'versioned', version: 1, origin: 'definition' });
    expect(started.plan!.steps.map((s) => s.step)).toEqual(['v-reserve', 'v-charge', 'v-notify']);
    expect(started.plan!.steps[1]).toMatchObject({ params: {}, timeoutMs: 60_000, retry: { maxAttempts: 2, initialDelayMs: 10 }, onFailure: 'compensate' });
    await closeAll();

    const v2 = await boot([VReserve, VCharge, VNotify, VShip, VersionedV2]);
    const done = await until(() => v2.get(inFlight.sagaId), (d) => d.status === 'COMPLETED', 'the version 1 saga to complete under version 2');
    expect(names(done.steps)).toEqual(['v-reserve', 'v-charge', 'v-notify']);
    expect(done.definitionVersion).toBe(1);
    expect(new Calls().of(inFlight.sagaId)).toEqual(['execute:v-reserve#1', 'execute:v-charge#1', 'execute:v-charge#2', 'execute:v-notify#1']);

    const fresh = await (await v2.start(VersionedV2, {})).result({ timeoutMs: 30_000 });
    expect(fresh.status).toBe('COMPLETED');
    expect(fresh.definitionVersion).toBe(2);
    expect(fresh.plan!.steps.map((s) => s.step)).toEqual(['v-reserve', 'v-ship', 'v-charge']);
    expect(new Calls().of(fresh.id)).toEqual(['execute:v-reserve#1', 'execute:v-ship#1', 'execute:v-charge#1']);

    // The census: the FAILED saga still runs on version 1; version 2 is listed, with none unfinished.
    const held = await v2.start(VersionedV2, { holdAt: 'v-ship' });
    await until(() => v2.get(held.sagaId), (d) => d.currentStep === 'v-ship', 'a version 2 saga in flight');
    const census = (await v2.census()).find((d) => d.name === 'versioned')!;
    expect(census.version).toBe(2);
    expect(census.versions).toEqual([
      { version: 2, running: 1 },
      { version: 1, running: 1 },
    ]);
  });

  it('leaves a saga whose plan names a step this instance lacks (no attempt used), reports it stuck STEP_NOT_REGISTERED, and an instance with the step finishes it', async () => {
    const v1 = await boot([VReserve, VCharge, VNotify, VersionedV1]);
    const handle = await v1.start(VersionedV1, { holdAt: 'v-charge' });
    await until(() => v1.get(handle.sagaId), (d) => d.currentStep === 'v-charge' && d.steps[1]!.status === 'RUNNING', 'v-charge running under v1');
    await closeAll();
    const stepsOf = async () =>
      (await withClient(db.url, (c) => c.query(`SELECT steps FROM saga_instances WHERE id = $1`, [handle.sagaId]))).rows[0].steps.map((s: any) => [s.name, s.status, s.attempts]);
    const left = await stepsOf();
    expect(left).toEqual([
      ['v-reserve', 'COMPLETED', 1],
      ['v-charge', expect.any(String), 1],
      ['v-notify', 'PENDING', 0],
    ]);

    // The next deployment no longer has v-notify.
    const lacking = await boot([VReserve, VCharge, VShip, VersionedV2], { stuckAfterMs: 300, stuckCheckIntervalMs: 100 });
    const stuck = await until(() => lacking.get(handle.sagaId), (d) => d.stuckReason === 'STEP_NOT_REGISTERED', 'the saga reported stuck');
    expect(stuck.status).toBe('RUNNING');
    // Claimed and given back untouched: no attempt used, nothing run.
    expect(await stepsOf()).toEqual(left);
    expect(stuck.steps.map((s) => [s.name, s.attempts])).toEqual(left.map(([name, , attempts]: [string, string, number]) => [name, attempts]));
    expect(stuck.events.find((e) => e.type === 'STUCK_DETECTED')).toMatchObject({ reason: 'STEP_NOT_REGISTERED' });
    expect(new Calls().of(handle.sagaId)).toEqual(['execute:v-reserve#1', 'execute:v-charge#1']);
    await closeAll();

    const having = await boot([VReserve, VCharge, VNotify, VShip, VersionedV2], { stuckAfterMs: 300, stuckCheckIntervalMs: 100 });
    const done = await until(() => having.get(handle.sagaId), (d) => d.status === 'COMPLETED', 'an instance with v-notify to finish it');
    expect(done.stuckReason).toBeNull();
    expect(new Calls().of(handle.sagaId)).toEqual(['execute:v-reserve#1', 'execute:v-charge#1', 'execute:v-charge#2', 'execute:v-notify#1']);
  });

  it('runs a saga stored before plans (no plan in its row) by its stored steps and the registered ones', async () => {
    const apiOnly = await boot([VReserve, VCharge, VNotify, VShip, VersionedV1], { disableWorker: true });
    const handle = await apiOnly.start(VersionedV1, {});
    await withClient(db.url, (c) => c.query(`UPDATE saga_instances SET plan = NULL WHERE id = $1`, [handle.sagaId]));
    const legacy = await apiOnly.get(handle.sagaId);
    expect(legacy.plan).toMatchObject({ origin: 'legacy', version: 1 });
    expect(legacy.plan!.steps.map((s) => s.step)).toEqual(['v-reserve', 'v-charge', 'v-notify']);
    await closeAll();

    const worker = await boot([VReserve, VCharge, VNotify, VShip, VersionedV2]);
    const done = await until(() => worker.get(handle.sagaId), (d) => d.status === 'COMPLETED', 'the saga stored without a plan to complete');
    expect(new Calls().of(handle.sagaId)).toEqual(['execute:v-reserve#1', 'execute:v-charge#1', 'execute:v-notify#1']);
    expect(done.plan!.origin).toBe('legacy');
  });
});
