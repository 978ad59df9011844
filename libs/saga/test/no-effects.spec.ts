/**
 * Steps registered with `effects: 'none'` (no effect outside the process): they start without a
 * checkpoint of their own, so a saga with such steps needs fewer durable writes, while its history,
 * its retries and its outcome stay what they would be.
 */
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Test } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { InvalidStepClassError, Saga, SagaDefinition, SagaModule, SagaRegistry, SagaService, SagaStep, type SagaStepHandler, type StepContext } from '../src/index.js';
import { InMemorySagaStore } from '../src/testing/index.js';
import { bootSagaApp } from './support/saga-app.js';
import { recordStatements } from './support/statements.js';

interface PriceInput {
  failPricingTimes?: number;
}

@Injectable()
class Calls {
  readonly log: string[] = [];
  pricingFailures = 0;
}

@SagaStep('reserve')
class Reserve implements SagaStepHandler<PriceInput, { reservation: string }> {
  constructor(private readonly calls: Calls) {}
  async execute(_input: PriceInput, ctx: StepContext) {
    this.calls.log.push(`reserve:${ctx.attempt}`);
    return { reservation: 'r-1' };
  }
  async compensate() {
    this.calls.log.push('undo-reserve');
  }
}

@SagaStep('price', { effects: 'none', retry: { maxAttempts: 3, initialDelayMs: 10, jitter: 0 } })
class Price implements SagaStepHandler<PriceInput, { total: number }> {
  constructor(private readonly calls: Calls) {}
  async execute(input: PriceInput, ctx: StepContext) {
    this.calls.log.push(`price:${ctx.attempt}`);
    if (this.calls.pricingFailures < (input.failPricingTimes ?? 0)) {
      this.calls.pricingFailures++;
      throw new Error('price list not loaded yet');
    }
    return { total: 42 };
  }
}

@SagaStep('validate', { effects: 'none' })
class Validate implements SagaStepHandler<PriceInput, { ok: true }> {
  constructor(private readonly calls: Calls) {}
  async execute(_input: PriceInput, ctx: StepContext) {
    this.calls.log.push(`validate:${ctx.attempt}`);
    expect(ctx.outputs).toMatchObject({ reserve: { reservation: 'r-1' }, price: { total: 42 } });
    return { ok: true as const };
  }
}

@SagaStep('charge')
class Charge implements SagaStepHandler<PriceInput, { charged: number }> {
  constructor(private readonly calls: Calls) {}
  async execute(_input: PriceInput, ctx: StepContext) {
    this.calls.log.push(`charge:${ctx.attempt}`);
    return { charged: (ctx.outputs.price as { total: number }).total };
  }
}

@Saga('priced-order', { steps: [Reserve, Price, Validate, Charge] })
class PricedOrder extends SagaDefinition<PriceInput> {}

@Saga('priced-quote', { steps: [Reserve, Price] })
class PricedQuote extends SagaDefinition<PriceInput> {}

@Module({ providers: [Calls, Reserve, Price, Validate, Charge, PricedOrder, PricedQuote], exports: [Calls] })
class PricedModule {}

let db: TestDatabase;
let app: INestApplication;

beforeAll(async () => {
  db = await createTestDatabase('saga_no_effects');
  app = await bootSagaApp(db.url, { imports: [PricedModule] }, { pollIntervalMs: 60_000 });
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

/** Counts the statements that write a saga row, sent through the app's pg pool while `run` runs. */
async function sagaWrites<T>(run: () => Promise<T>): Promise<{ result: T; writes: number }> {
  const recorder = recordStatements(app.get<DataSource>(getDataSourceToken() as string));
  try {
    const result = await run();
    return { result, writes: recorder.statements.filter((s) => /INSERT INTO saga_instances|UPDATE saga_instances/.test(s)).length };
  } finally {
    recorder.stop();
  }
}

const steps = (events: { type: string; step?: string | null }[]) => events.filter((e) => e.step).map((e) => `${e.type}:${e.step}`);

describe("steps with effects: 'none'", () => {
  it('store their start with their result: 3 writes instead of 5 for two such steps among four, with the full history in order', async () => {
    const sagas = app.get(SagaService);
    const { result: detail, writes } = await sagaWrites(async () => (await sagas.start(PricedOrder, {})).result({ timeoutMs: 30_000 }));
    expect(detail.status).toBe('COMPLETED');
    expect(writes).toBe(3);
    expect(steps(detail.events)).toEqual(['STEP_SUCCEEDED:reserve', 'STEP_SUCCEEDED:price', 'STEP_SUCCEEDED:validate', 'STEP_SUCCEEDED:charge']);
    // Each attempt still says when it started, though no write marked it started on its own.
    const started = detail.events.filter((e) => e.type === 'STEP_SUCCEEDED').map((e) => Date.parse(String(e.data?.startedAt)));
    expect(started.every((t) => Number.isFinite(t))).toBe(true);
    expect([...started].sort((a, b) => a - b)).toEqual(started);
    expect(detail.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['reserve', 'COMPLETED', 1],
      ['price', 'COMPLETED', 1],
      ['validate', 'COMPLETED', 1],
      ['charge', 'COMPLETED', 1],
    ]);
    expect(detail.steps.find((s) => s.name === 'charge')!.output).toEqual({ charged: 42 });
  });

  it('as the last step, finishes the saga in the write that records its result', async () => {
    const { result: detail, writes } = await sagaWrites(async () => (await app.get(SagaService).start(PricedQuote, {})).result({ timeoutMs: 30_000 }));
    expect(detail.status).toBe('COMPLETED');
    expect(writes).toBe(2);
  });

  it('retries a failed attempt by its policy, the failure stored before the wait', async () => {
    const calls = app.get(Calls);
    calls.log.length = 0;
    calls.pricingFailures = 0;
    const detail = await (await app.get(SagaService).start(PricedOrder, { failPricingTimes: 2 })).result({ timeoutMs: 30_000 });
    expect(detail.status).toBe('COMPLETED');
    expect(calls.log).toEqual(['reserve:1', 'price:1', 'price:2', 'price:3', 'validate:1', 'charge:1']);
    expect(detail.events.filter((e) => e.type === 'STEP_FAILED').map((e) => [e.step, e.attempt])).toEqual([
      ['price', 1],
      ['price', 2],
    ]);
    expect(detail.steps.find((s) => s.name === 'price')!.attempts).toBe(3);
  });

  it('are named as such in the step catalog (SagaRegistry.stepViews(), GET /api/saga-steps)', () => {
    const catalog = Object.fromEntries(app.get(SagaRegistry).stepViews().map((s) => [s.name, s.effects]));
    expect(catalog).toEqual({ charge: 'external', price: 'none', reserve: 'external', validate: 'none' });
  });

  it('refuses an unknown effects value, and effects none on a transactional step, at bootstrap', async () => {
    @SagaStep('odd', { effects: 'some' as never })
    class Odd {
      async execute() {
        return null;
      }
    }
    @SagaStep('tx-pure', { effects: 'none', transactional: true })
    class TxPure {
      async execute() {
        return null;
      }
    }
    for (const [Step, message] of [
      [Odd, /has effects "some"; use 'external' \(the default\) or 'none'/],
      [TxPure, /has effects 'none' and transactional: true/],
    ] as const) {
      const module = await Test.createTestingModule({ imports: [SagaModule.forRoot({ store: new InMemorySagaStore() })], providers: [Step] }).compile();
      const failing = module.createNestApplication({ logger: false });
      const error = await failing.init().then(
        () => null,
        (e: unknown) => e,
      );
      await failing.close().catch(() => undefined);
      expect(error).toBeInstanceOf(InvalidStepClassError);
      expect((error as Error).message).toMatch(message);
    }
  });
});
