/**
 * Applies an order's `simulate` options at the start of each step and compensation attempt.
 * Counted failures (`failTimes`) are stored per saga, step and phase, so they survive retries,
 * other instances and restarts.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { StepContext } from '@nest-saga/saga';
import { DataSource } from 'typeorm';
import type { OrderInput, OrderStepName } from './order-input.js';

export class SimulatedFailureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatedFailureError';
  }
}

/** Waits `ms`, or rejects as soon as the attempt is aborted (timeout, cancel, lost lease). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

@Injectable()
export class DemoSimulator {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async beforeExecute(input: OrderInput, ctx: StepContext): Promise<void> {
    const step = ctx.stepName as OrderStepName;
    const sim = input.simulate;
    if (!sim) return;
    const delay = sim.delayMs?.[step];
    if (delay) await sleep(delay, ctx.signal);
    if (sim.failAt === step) throw new SimulatedFailureError(`Simulated failure of step "${step}" (simulate.failAt).`);
    const times = sim.failTimes?.[step];
    if (times && (await this.countAttempt(ctx, 'execute')) <= times) {
      throw new SimulatedFailureError(`Simulated failure of step "${step}" (simulate.failTimes: ${times}).`);
    }
  }

  async beforeCompensate(input: OrderInput, ctx: StepContext): Promise<void> {
    const step = ctx.stepName as OrderStepName;
    const sim = input.simulate;
    if (!sim) return;
    if (sim.failCompensationAt === step) {
      throw new SimulatedFailureError(`Simulated failure of the compensation of "${step}" (simulate.failCompensationAt).`);
    }
    const times = sim.failCompensationTimes?.[step];
    if (times && (await this.countAttempt(ctx, 'compensate')) <= times) {
      throw new SimulatedFailureError(`Simulated failure of the compensation of "${step}" (simulate.failCompensationTimes: ${times}).`);
    }
  }

  /** Counts this attempt and returns how many there have been, this one included. */
  private async countAttempt(ctx: StepContext, phase: 'execute' | 'compensate'): Promise<number> {
    const rows: { attempts: number }[] = await this.dataSource.query(
      `INSERT INTO "demo_simulated_failures" ("saga_id", "step", "phase", "attempts") VALUES ($1, $2, $3, 1)
       ON CONFLICT ("saga_id", "step", "phase") DO UPDATE SET "attempts" = "demo_simulated_failures"."attempts" + 1
       RETURNING "attempts"`,
      [ctx.sagaId, ctx.stepName, phase],
    );
    return Number(rows[0].attempts);
  }
}
