/**
 * Test sagas whose steps behave as the saga input scripts them, and a journal of every call, so
 * that engine tests can assert what ran, in which order, with which context.
 */
import { Injectable, Module } from '@nestjs/common';
import { NonRetryableStepError, Saga, SagaDefinition, SagaStep, type SagaStepHandler, type StepContext } from '../../src/index.js';

export interface StepScript {
  /** Fail this many attempts, then succeed. */
  failTimes?: number;
  /** Fail every attempt. */
  failAlways?: boolean;
  nonRetryable?: boolean;
  /** Wait this long (honours ctx.signal). */
  delayMs?: number;
  /** Wait for the signal and ignore it. */
  ignoreSignal?: boolean;
  compFailTimes?: number;
  compFailAlways?: boolean;
  /** Fail (no retry) with an error whose message holds text PostgreSQL cannot store. */
  badErrorMessage?: boolean;
  /** Return an output the store cannot keep, of this kind, instead of the usual one. */
  badOutput?: BadOutput;
}

/**
 * Outputs a step can return that cannot be stored. `refused-by-trigger` is ordinary text that a
 * test's own PostgreSQL trigger refuses, standing in for anything the engine's scan does not know.
 */
export type BadOutput = 'nul' | 'nul-key' | 'lone-surrogate' | 'bigint' | 'circular' | 'refused-by-trigger';
export const TRIGGER_REFUSES = 'refused-by-postgresql';

function badOutput(kind: BadOutput): unknown {
  switch (kind) {
    case 'nul':
      return { receipt: { lines: ['ok', 'text with a \u0000 inside'] } };
    case 'nul-key':
      return { receipt: { ['key\u0000']: 1 } };
    case 'lone-surrogate':
      return { receipt: { note: 'half an emoji: \ud83d' } };
    case 'bigint':
      return { receipt: { amount: 10n } };
    case 'circular': {
      const receipt: Record<string, unknown> = { id: 1 };
      receipt.self = receipt;
      return { receipt };
    }
    case 'refused-by-trigger':
      return { receipt: { note: TRIGGER_REFUSES } };
  }
}

export interface FlowInput {
  label?: string;
  script?: Record<string, StepScript>;
}

export interface JournalEntry {
  sagaId: string;
  step: string;
  phase: 'execute' | 'compensate';
  attempt: number;
  idempotencyKey: string;
  outputs: Record<string, unknown>;
  receivedOutput?: unknown;
  aborted?: boolean;
  at: number;
}

@Injectable()
export class Journal {
  readonly entries: JournalEntry[] = [];
  private readonly failures = new Map<string, number>();
  /** Steps whose compensation should now succeed even if scripted to fail (operator fixed the cause). */
  readonly healed = new Set<string>();

  of(sagaId: string): JournalEntry[] {
    return this.entries.filter((e) => e.sagaId === sagaId);
  }

  calls(sagaId: string): string[] {
    return this.of(sagaId).map((e) => `${e.phase}:${e.step}`);
  }

  countFailure(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return n;
  }
}

function wait(ms: number, signal: AbortSignal, ignoreSignal = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    if (ignoreSignal) return;
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted by signal'));
    });
  });
}

abstract class ScriptedStep implements SagaStepHandler<FlowInput, { step: string; attempt: number }> {
  constructor(protected readonly journal: Journal) {}

  async execute(input: FlowInput, ctx: StepContext) {
    const script = input.script?.[ctx.stepName] ?? {};
    const entry: JournalEntry = {
      sagaId: ctx.sagaId,
      step: ctx.stepName,
      phase: 'execute',
      attempt: ctx.attempt,
      idempotencyKey: ctx.idempotencyKey,
      outputs: { ...ctx.outputs },
      at: Date.now(),
    };
    this.journal.entries.push(entry);
    try {
      if (script.delayMs) await wait(script.delayMs, ctx.signal, script.ignoreSignal);
    } catch (error) {
      entry.aborted = true;
      throw error;
    }
    if (script.failAlways || (script.failTimes && this.journal.countFailure(`${ctx.sagaId}:${ctx.stepName}`) <= script.failTimes)) {
      if (script.nonRetryable) throw new NonRetryableStepError(`${ctx.stepName} refused (non-retryable)`);
      throw new Error(`${ctx.stepName} failed on attempt ${ctx.attempt}`);
    }
    if (script.badErrorMessage) throw new NonRetryableStepError(`${ctx.stepName} says \u0000 and \ud800`);
    if (script.badOutput) return badOutput(script.badOutput) as { step: string; attempt: number };
    return { step: ctx.stepName, attempt: ctx.attempt };
  }
}

abstract class CompensableStep extends ScriptedStep {
  async compensate(input: FlowInput, output: { step: string; attempt: number } | undefined, ctx: StepContext) {
    const script = input.script?.[ctx.stepName] ?? {};
    this.journal.entries.push({
      sagaId: ctx.sagaId,
      step: ctx.stepName,
      phase: 'compensate',
      attempt: ctx.attempt,
      idempotencyKey: ctx.idempotencyKey,
      outputs: { ...ctx.outputs },
      receivedOutput: output,
      at: Date.now(),
    });
    if (this.journal.healed.has(`${ctx.sagaId}:${ctx.stepName}`)) return;
    if (script.compFailAlways || (script.compFailTimes && this.journal.countFailure(`${ctx.sagaId}:${ctx.stepName}:comp`) <= script.compFailTimes)) {
      throw new Error(`compensation of ${ctx.stepName} failed on attempt ${ctx.attempt}`);
    }
  }
}

const fast = { maxAttempts: 3, initialDelayMs: 40, backoffCoefficient: 2, maxDelayMs: 200, jitter: 0.25 };

@SagaStep('step-a', { retry: fast })
export class StepA extends CompensableStep {
  constructor(journal: Journal) {
    super(journal);
  }
}

@SagaStep('step-b', { retry: fast })
export class StepB extends ScriptedStep {
  constructor(journal: Journal) {
    super(journal);
  }
}

@SagaStep('step-c', { retry: fast, timeoutMs: 10_000 })
export class StepC extends CompensableStep {
  constructor(journal: Journal) {
    super(journal);
  }
}

@SagaStep('step-d', { retry: fast })
export class StepD extends CompensableStep {
  constructor(journal: Journal) {
    super(journal);
  }
}

@SagaStep('step-slow', { timeoutMs: 150, retry: { maxAttempts: 2, initialDelayMs: 10, jitter: 0 } })
export class SlowStep extends CompensableStep {
  constructor(journal: Journal) {
    super(journal);
  }
}

@SagaStep('step-careful', { onFailure: 'pause', retry: { maxAttempts: 2, initialDelayMs: 10, jitter: 0 } })
export class CarefulStep extends CompensableStep {
  constructor(journal: Journal) {
    super(journal);
  }
}

@Saga('flow', { steps: [StepA, StepB, StepC, StepD] })
export class FlowSaga extends SagaDefinition<FlowInput> {}

@Saga('timeout-flow', { steps: [StepA, SlowStep, StepD] })
export class TimeoutFlowSaga extends SagaDefinition<FlowInput> {}

@Saga('deadline-flow', { steps: [StepA, StepC, StepD], timeoutMs: 400 })
export class DeadlineFlowSaga extends SagaDefinition<FlowInput> {}

@Saga('deadline-pause-flow', { steps: [StepA, StepC, StepD], timeoutMs: 300, deadlinePolicy: 'pause' })
export class DeadlinePauseSaga extends SagaDefinition<FlowInput> {}

@Saga('deadline-flag-flow', { steps: [StepA, StepC, StepD], timeoutMs: 300, deadlinePolicy: 'flag' })
export class DeadlineFlagSaga extends SagaDefinition<FlowInput> {}

@Saga('careful-flow', { steps: [StepA, CarefulStep, StepD] })
export class CarefulFlowSaga extends SagaDefinition<FlowInput> {}

@Module({
  providers: [Journal, StepA, StepB, StepC, StepD, SlowStep, CarefulStep, FlowSaga, TimeoutFlowSaga, DeadlineFlowSaga, DeadlinePauseSaga, DeadlineFlagSaga, CarefulFlowSaga],
  exports: [Journal],
})
export class FlowModule {}
