import { Injectable } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { Saga, SagaDefinition, SagaService, SagaStep, type StepContext } from '../index.js';
import { createSagaTestingModule, StepTestRunner } from './index.js';

@Injectable()
class Ledger {
  readonly lines: string[] = [];
}

@SagaStep('debit')
class Debit {
  constructor(private readonly ledger: Ledger) {}
  execute(input: { amount: number }, ctx: StepContext) {
    this.ledger.lines.push(`debit ${input.amount} ${ctx.idempotencyKey}`);
    return { debited: input.amount };
  }
  compensate(input: { amount: number }, output: { debited: number } | undefined) {
    this.ledger.lines.push(`refund ${output?.debited}`);
  }
}

@SagaStep('credit')
class Credit {
  constructor(private readonly ledger: Ledger) {}
  execute(input: { amount: number; failCredit?: boolean }) {
    if (input.failCredit) throw new Error('account closed');
    this.ledger.lines.push(`credit ${input.amount}`);
  }
}

@Saga('transfer', { steps: [Debit, Credit] })
class Transfer extends SagaDefinition<{ amount: number; failCredit?: boolean }> {}

describe('testing entry point for users of the library', () => {
  it('runs a saga end to end on the in-memory store', async () => {
    const t = await createSagaTestingModule({ providers: [Ledger, Debit, Credit, Transfer] });
    try {
      const sagas = t.module.get(SagaService);
      const ok = await (await sagas.start(Transfer, { amount: 5 })).result();
      expect(ok.status).toBe('COMPLETED');
      const failed = await (await sagas.start(Transfer, { amount: 7, failCredit: true })).result();
      expect(failed.status).toBe('COMPENSATED');
      expect(t.module.get(Ledger).lines).toEqual([`debit 5 ${ok.id}:debit`, 'credit 5', `debit 7 ${failed.id}:debit`, 'refund 7']);
      expect(failed.steps[1]).toMatchObject({ status: 'FAILED', attempts: 3 });
    } finally {
      await t.close();
    }
  });

  it('gives sagas time-ordered ids (UUIDv7), in the order they were started', async () => {
    const t = await createSagaTestingModule({ providers: [Ledger, Debit, Credit, Transfer] });
    try {
      const sagas = t.module.get(SagaService);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await sagas.start(Transfer, { amount: i })).sagaId);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect([...ids].sort()).toEqual(ids);
      // The first 48 bits are the start time in ms.
      const ms = parseInt(ids[0].replace(/-/g, '').slice(0, 12), 16);
      expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
    } finally {
      await t.close();
    }
  });

  it('runs a saga composed at run time on the in-memory store, params included', async () => {
    const t = await createSagaTestingModule({ providers: [Ledger, Debit, Credit] });
    try {
      const sagas = t.module.get(SagaService);
      const done = await (await sagas.compose('debit-then-credit').step('debit', { memo: 'rent' }).step('credit').start({ amount: 4 })).result();
      expect(done.status).toBe('COMPLETED');
      expect(done.plan!.steps.map((s) => [s.step, s.params])).toEqual([
        ['debit', { memo: 'rent' }],
        ['credit', {}],
      ]);
    } finally {
      await t.close();
    }
  });

  it('calls one step with an engine-like context, params included', async () => {
    const seen: unknown[] = [];
    const runner = new StepTestRunner({ execute: (_input: unknown, ctx: StepContext) => void seen.push(ctx.params) }, { params: { memo: 'rent' } });
    await runner.execute({});
    expect(seen).toEqual([{ memo: 'rent' }]);
  });

  it('calls one step with an engine-like context', async () => {
    const ledger = new Ledger();
    const runner = new StepTestRunner(new Debit(ledger), { sagaId: 's-1', stepName: 'debit' });
    expect(await runner.execute({ amount: 3 })).toEqual({ debited: 3 });
    await runner.compensate({ amount: 3 }, { debited: 3 });
    expect(ledger.lines).toEqual(['debit 3 s-1:debit', 'refund 3']);
  });
});

describe('SagaModule.forRootAsync', () => {
  it('takes its options from a factory with injected dependencies', async () => {
    const { Test } = await import('@nestjs/testing');
    const { ScheduleModule } = await import('@nestjs/schedule');
    const { Module } = await import('@nestjs/common');
    const { SagaModule } = await import('../index.js');
    const { InMemorySagaStore } = await import('./index.js');
    const CONFIG = 'CONFIG';
    @Module({ providers: [{ provide: CONFIG, useValue: { attempts: 2 } }], exports: [CONFIG] })
    class ConfigModule {}
    const store = new InMemorySagaStore();
    const module = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        SagaModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { attempts: number }) => ({ store, pollIntervalMs: 20, defaultRetry: { maxAttempts: config.attempts, initialDelayMs: 1 } }),
        }),
      ],
      providers: [Ledger, Debit, Credit, Transfer],
    }).compile();
    const app = module.createNestApplication({ logger: false });
    await app.init();
    try {
      const failed = await (await module.get(SagaService).start(Transfer, { amount: 1, failCredit: true })).result();
      expect(failed.status).toBe('COMPENSATED');
      expect(failed.steps[1].attempts).toBe(2);
      expect(module.get(SagaService).definitions()[0].steps[0].retry.maxAttempts).toBe(2);
    } finally {
      await app.close();
    }
  });
});
