/**
 * Drives one saga while this instance owns it. Invariants: the in-memory record is the truth only
 * while our fence holds; every attempt is marked RUNNING in the store before it starts (so a crash
 * counts it and re-runs the step), and its result is stored before the next attempt starts. One
 * checkpoint write per loop turn: it carries the last result and the next attempt's start together.
 * A transactional step's attempt keeps its transaction open until that write, which then goes into
 * the transaction instead of the shared group write: the step's writes, its result, its history and
 * the next attempt's start commit together.
 */
import type { ErrorView, SagaStatus } from '@nest-saga/contracts';
import { SAGA_ERROR_CODES, canCancel, canCompensate, canPause, canResolveStep, canResume, canRetry } from '@nest-saga/contracts';
import type { Logger } from '@nestjs/common';
import type { SagaLifecycleEvent } from '../interfaces/saga-service.interface.js';
import type { StepContext } from '../interfaces/step.interface.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import type { NewSagaEvent, SagaRecord, SagaRequest, StepState } from '../persistence/saga.records.js';
import type { Checkpoint, CheckpointResult, SagaStore, StepTransaction } from '../persistence/saga.store.js';
import { SagaRunTrace } from '../tracing/saga-tracing.js';
import { retryDelayMs } from './retry-policy.js';
import { createStepContext } from './step-context.js';
import type { ExecutablePlan } from './saga-plan.js';
import type { StepHold } from '../breaker/saga-step-breaker.js';
import { AttemptAbort, runAttempt, toErrorView, unstorableOutput, type AttemptOutcome } from './step-executor.js';

export interface SagaRunnerDeps {
  store: SagaStore;
  options: ResolvedSagaOptions;
  logger: Logger;
  emit(event: SagaLifecycleEvent): void;
  /** The step circuit breaker: a saga about to start a paused step waits `PAUSED` instead. */
  breaker?: { holdOf(step: string): StepHold | null; confirmHold(step: string): Promise<StepHold | null> };
}

type Plan =
  | { kind: 'execute' | 'compensate'; index: number }
  | { kind: 'hold'; index: number; hold: StepHold }
  | { kind: 'wait'; atMs: number }
  | { kind: 'settle' };

const SETTLED: readonly SagaStatus[] = ['COMPLETED', 'COMPENSATED', 'CANCELLED', 'FAILED', 'PAUSED'];
const ABORTS_WITHOUT_RETRY = new Set(['CANCEL', 'DEADLINE']);
/** How long a saga whose state the store refuses (and no step output explains it) waits before any instance tries again. */
const REFUSED_RETRY_MS = 60_000;

export class SagaRunner {
  private readonly events: NewSagaEvent[] = [];
  private dirty = false;
  private request: SagaRequest | null = null;
  private lastRequestToken: string | null = null;
  private clearRequestToken: string | null = null;
  private prepared: { kind: 'execute' | 'compensate'; index: number; attempt: number } | null = null;
  private inFlight: AbortController | null = null;
  private wake: (() => void) | null = null;
  private lost = false;
  private stopping = false;
  private deadlineHandled: boolean;
  private readonly appliedWaiters = new Map<string, (applied: boolean) => void>();
  /** Successful attempts whose output is in memory but not yet stored, by step index. */
  private unstoredOutputs = new Map<number, AttemptOutcome>();
  /** The store refused the last checkpoint and the state was read back: plan again before acting. */
  private reloaded = false;
  /** A transactional attempt that succeeded: its transaction waits for the next checkpoint, which commits it. */
  private pendingTx: { tx: StepTransaction; kind: 'execute' | 'compensate'; index: number; attempt: number; outcome: AttemptOutcome } | null = null;
  /** The span of this run of the saga on this instance, in the trace stored with the saga. */
  private readonly trace: SagaRunTrace;
  /** Resolves when the runner has stopped working on the saga (settled, released or lost). */
  readonly done: Promise<void>;

  constructor(
    private readonly deps: SagaRunnerDeps,
    private readonly rec: SagaRecord,
    /** The saga's own plan (stored at its start), bound to this instance's handlers. */
    private readonly def: ExecutablePlan,
    options: { previousOwner?: string | null; freshlyStarted?: boolean; restart?: boolean } = {},
  ) {
    this.deadlineHandled = rec.deadlineHandledAt !== null;
    if (options.freshlyStarted) {
      this.prepared = { kind: 'execute', index: 0, attempt: rec.steps[0].attempts };
    }
    if (rec.request) this.onRequest(rec.request);
    this.trace = new SagaRunTrace(rec, deps.options.instanceId, options.previousOwner ?? null);
    this.done = this.run(options.previousOwner ?? null, options.restart ?? false);
  }

  get sagaId(): string {
    return this.rec.id;
  }

  get fence(): number {
    return this.rec.fence;
  }

  get status(): SagaStatus {
    return this.rec.status;
  }

  /** An operator request arrived (from the store or from this instance's SagaService). */
  onRequest(request: SagaRequest): void {
    if (request.token === this.lastRequestToken) return;
    this.lastRequestToken = request.token;
    this.request = request;
    if ((request.action === 'cancel' || request.action === 'compensate') && this.inFlight && this.prepared?.kind === 'execute') {
      this.inFlight.abort(new AttemptAbort('CANCEL', `Aborted: an operator asked to ${request.action} the saga.`));
    }
    this.wake?.();
  }

  /** Resolves true once the request is applied and stored, false if the runner stops first. */
  whenApplied(token: string): Promise<boolean> {
    if (this.lastRequestToken === token && this.request === null && this.clearRequestToken === null) return Promise.resolve(true);
    return new Promise((resolve) => this.appliedWaiters.set(token, resolve));
  }

  /** Stop at the next boundary and give the saga back (shutdown). */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Abort the attempt in flight; used when shutdown waited long enough. */
  abortForShutdown(): void {
    this.inFlight?.abort(new AttemptAbort('SHUTDOWN', 'Aborted: the instance is shutting down.'));
  }

  /** Another instance took the saga: stop now and write nothing more. */
  loseLease(): void {
    if (this.lost) return;
    this.lost = true;
    this.inFlight?.abort(new AttemptAbort('LEASE_LOST', 'Aborted: this instance lost the saga to another.'));
    this.wake?.();
    this.recordLeaseLost();
  }

  /** History says when an instance learnt it lost the saga, whether from a checkpoint or a lease renewal. */
  private recordLeaseLost(): void {
    void this.deps.store
      .appendEvents(this.rec.id, [{ type: 'LEASE_LOST', actor: this.deps.options.instanceId, data: { fence: this.rec.fence } }])
      .catch(() => undefined);
  }

  private async run(previousOwner: string | null, restart: boolean): Promise<void> {
    try {
      if (restart) {
        this.deps.logger.warn(`Saga "${this.rec.name}" (id=${this.rec.id}) taken back after instance "${previousOwner}" restarted`);
      } else if (previousOwner) {
        this.deps.logger.warn(`Saga "${this.rec.name}" (id=${this.rec.id}) taken over from instance "${previousOwner}"`);
      }
      this.recoverLostAttempts(previousOwner, restart);
      await this.loop();
    } catch (error) {
      this.deps.logger.error(`Saga "${this.rec.name}" (id=${this.rec.id}) runner stopped on an unexpected error: ${(error as Error).stack ?? error}`);
    } finally {
      // Stopped before the checkpoint that would commit it: the attempt's writes roll back.
      if (this.pendingTx) void this.pendingTx.tx.rollback(true);
      this.pendingTx = null;
      this.trace.end(this.rec.status, this.lost ? 'lease_lost' : SETTLED.includes(this.rec.status) ? 'settled' : 'released', this.rec.error);
      for (const resolve of this.appliedWaiters.values()) resolve(false);
      this.appliedWaiters.clear();
    }
  }

  private async loop(): Promise<void> {
    while (!this.lost) {
      if (this.request) this.applyRequest(this.request);
      this.checkDeadline();
      const plan = this.plan();
      // After every write: if the store refused it, the state was read back and the plan is stale.
      if (plan.kind === 'settle') {
        await this.flush({ release: true, nextRunInMs: null });
        if (this.takeReloaded()) continue;
        return;
      }
      if (plan.kind === 'hold') {
        // This instance's copy of the paused steps may be a refresh old: ask the database before holding.
        const hold = await this.deps.breaker!.confirmHold(this.rec.steps[plan.index].name);
        // Resumed meanwhile, or an operator's request arrived: plan again.
        if (!hold || this.request || this.lost) continue;
        this.holdAt(plan.index, hold);
        await this.flush({ release: true, nextRunInMs: null });
        if (this.takeReloaded()) continue;
        return;
      }
      if (this.stopping) {
        this.unprepare();
        await this.flush({ release: true, nextRunInMs: 0 });
        if (this.takeReloaded()) continue;
        return;
      }
      if (plan.kind === 'wait') {
        const delay = Math.max(0, plan.atMs - Date.now());
        if (delay > this.deps.options.holdRetryUpToMs) {
          const untilDeadline = this.rec.deadlineAt && !this.deadlineHandled ? Math.max(0, this.rec.deadlineAt.getTime() - Date.now()) : Infinity;
          await this.flush({ release: true, nextRunInMs: Math.min(delay, untilDeadline) });
          if (this.takeReloaded()) continue;
          return;
        }
        await this.flush({ release: false, nextRunInMs: 0 });
        if (this.takeReloaded()) continue;
        await this.sleep(delay);
        continue;
      }
      await this.flush({ release: false, nextRunInMs: 0 });
      if (this.lost) return;
      if (this.takeReloaded() || this.request) continue;
      await this.attempt(plan.kind, plan.index);
    }
  }

  // ---- planning -------------------------------------------------------------------------------

  private plan(): Plan {
    const rec = this.rec;
    if (SETTLED.includes(rec.status)) return { kind: 'settle' };
    if (rec.status === 'PENDING') {
      rec.status = 'RUNNING';
      this.dirty = true;
    }
    if (rec.status === 'RUNNING') return this.planForward();
    return this.planCompensation();
  }

  private planForward(): Plan {
    const rec = this.rec;
    while (rec.currentStep < rec.steps.length && rec.steps[rec.currentStep].status === 'COMPLETED') rec.currentStep++;
    if (rec.currentStep >= rec.steps.length) {
      rec.status = 'COMPLETED';
      rec.error = null;
      this.record({ type: 'SAGA_COMPLETED' });
      return { kind: 'settle' };
    }
    const index = rec.currentStep;
    const step = rec.steps[index];
    const hold = this.deps.breaker?.holdOf(step.name) ?? null;
    if (step.status === 'RUNNING' && this.prepared?.kind === 'execute' && this.prepared.index === index) {
      if (!hold) return { kind: 'execute', index };
      // Marked running (a fresh start, or the write before the attempt) but not started: give the attempt back.
      this.unprepare();
      return { kind: 'hold', index, hold };
    }
    if (step.status === 'FAILED' && step.nextAttemptAt && Date.parse(step.nextAttemptAt) > Date.now()) {
      return { kind: 'wait', atMs: Date.parse(step.nextAttemptAt) };
    }
    if (hold) return { kind: 'hold', index, hold };
    step.status = 'RUNNING';
    step.attempts += 1;
    step.startedAt = new Date().toISOString();
    step.finishedAt = null;
    step.nextAttemptAt = null;
    this.prepared = { kind: 'execute', index, attempt: step.attempts };
    this.dirty = true;
    return { kind: 'execute', index };
  }

  /**
   * The step is paused by the circuit breaker: the saga waits `PAUSED` before it, no attempt used.
   * `error.code` `STEP_PAUSED` marks it as held (resuming the step releases it; an operator's resume
   * of the saga alone runs into the pause again while the step is paused).
   */
  private holdAt(index: number, hold: StepHold): void {
    const rec = this.rec;
    const step = rec.steps[index];
    rec.status = 'PAUSED';
    rec.error = { name: 'StepPaused', code: SAGA_ERROR_CODES.STEP_PAUSED, message: `Step "${step.name}" is paused by ${hold.pausedBy}: ${hold.reason}` };
    this.record({
      type: 'SAGA_PAUSED',
      step: step.name,
      actor: hold.pausedBy,
      reason: hold.reason,
      data: { cause: SAGA_ERROR_CODES.STEP_PAUSED, pausedAt: new Date(hold.pausedAt).toISOString() },
    });
    this.deps.logger.log(`Saga "${rec.name}" (id=${rec.id}) waits: step "${step.name}" is paused`);
  }

  private planCompensation(): Plan {
    const rec = this.rec;
    for (let index = rec.steps.length - 1; index >= 0; index--) {
      const step = rec.steps[index];
      if (!needsCompensation(step)) continue;
      const stepDef = this.def.steps[index];
      const comp = step.compensation;
      if (!stepDef.hasCompensation) {
        step.status = 'SKIPPED';
        comp.status = 'SKIPPED';
        this.record({ type: 'STEP_COMPENSATION_SKIPPED', step: step.name });
        continue;
      }
      if (comp.status === 'RUNNING' && this.prepared?.kind === 'compensate' && this.prepared.index === index) return { kind: 'compensate', index };
      if (comp.status === 'FAILED' && comp.nextAttemptAt && Date.parse(comp.nextAttemptAt) > Date.now()) {
        return { kind: 'wait', atMs: Date.parse(comp.nextAttemptAt) };
      }
      step.status = 'COMPENSATING';
      comp.status = 'RUNNING';
      comp.attempts += 1;
      comp.startedAt = new Date().toISOString();
      comp.finishedAt = null;
      comp.nextAttemptAt = null;
      this.prepared = { kind: 'compensate', index, attempt: comp.attempts };
      this.dirty = true;
      return { kind: 'compensate', index };
    }
    const cancelled = rec.compensationCause === 'CANCELLED';
    rec.status = cancelled ? 'CANCELLED' : 'COMPENSATED';
    this.record({ type: cancelled ? 'SAGA_CANCELLED' : 'SAGA_COMPENSATED' });
    return { kind: 'settle' };
  }

  /** Undo the start of an attempt that was marked RUNNING but never ran. */
  private unprepare(): void {
    const p = this.prepared;
    if (!p || this.inFlight) return;
    const step = this.rec.steps[p.index];
    if (p.kind === 'execute' && step.status === 'RUNNING' && step.attempts === p.attempt) {
      step.attempts -= 1;
      step.status = step.attempts > step.budgetStart ? 'FAILED' : 'PENDING';
      step.startedAt = step.attempts > 0 ? step.startedAt : null;
      this.dirty = true;
    } else if (p.kind === 'compensate' && step.compensation.status === 'RUNNING' && step.compensation.attempts === p.attempt) {
      const comp = step.compensation;
      comp.attempts -= 1;
      comp.status = comp.attempts > comp.budgetStart ? 'FAILED' : 'PENDING';
      this.dirty = true;
    }
    this.prepared = null;
  }

  /** Attempts marked RUNNING by an owner that is gone were interrupted: count them as failed, outcome unknown. */
  private recoverLostAttempts(previousOwner: string | null, restart = false): void {
    if (this.prepared) return;
    const rec = this.rec;
    const lost = (what: string, attempt: number): AttemptOutcome => ({
      ok: false,
      error: {
        name: 'AttemptLost',
        code: 'ATTEMPT_LOST',
        message: `${what} attempt ${attempt} was interrupted: ${
          restart
            ? `an earlier process of instance "${previousOwner}" stopped while it ran`
            : previousOwner
              ? `instance "${previousOwner}" stopped while it ran`
              : 'the instance running it stopped'
        }.`,
      },
      outcomeUnknown: true,
      retryable: true,
      abortReason: null,
      durationMs: 0,
      startedAt: new Date(),
      finishedAt: new Date(),
    });
    // A transactional attempt still marked RUNNING never committed: its writes were rolled back.
    const lostAt = (index: number, what: string, attempt: number): AttemptOutcome => {
      const outcome = lost(what, attempt);
      return this.def.steps[index]?.transactional && !outcome.ok ? { ...outcome, outcomeUnknown: false } : outcome;
    };
    if (rec.status === 'RUNNING') {
      const step = rec.steps[rec.currentStep];
      if (step?.status === 'RUNNING') this.recordExecuteResult(rec.currentStep, lostAt(rec.currentStep, `Step "${step.name}"`, step.attempts));
    } else if (rec.status === 'COMPENSATING') {
      rec.steps.forEach((step, index) => {
        if (step.status === 'COMPENSATING' && step.compensation.status === 'RUNNING') {
          this.recordCompensationResult(index, lostAt(index, `Compensation of step "${step.name}"`, step.compensation.attempts));
        }
      });
    }
  }

  // ---- attempts -------------------------------------------------------------------------------

  private async attempt(kind: 'execute' | 'compensate', index: number): Promise<void> {
    const rec = this.rec;
    const stepDef = this.def.steps[index];
    const step = rec.steps[index];
    const attempt = kind === 'execute' ? step.attempts : step.compensation.attempts;
    const controller = new AbortController();
    this.inFlight = controller;
    let deadlineTimer: NodeJS.Timeout | undefined;
    // Only the compensate policy cuts the attempt short; pause lets it finish first, flag runs on.
    if (kind === 'execute' && rec.deadlineAt && !this.deadlineHandled && this.def.deadlinePolicy === 'compensate') {
      const left = rec.deadlineAt.getTime() - Date.now();
      deadlineTimer = setTimeout(
        () => controller.abort(new AttemptAbort('DEADLINE', `Aborted: the saga's deadline (${this.def.timeoutMs} ms) passed.`)),
        Math.max(0, left),
      );
    }
    const attemptTrace = this.trace.startAttempt(kind, step.name, attempt);
    const tx = stepDef.transactional ? this.deps.store.beginStepTransaction() : null;
    const ctx: StepContext = createStepContext({
      sagaId: rec.id,
      sagaName: rec.name,
      stepName: step.name,
      stepIndex: index,
      attempt,
      idempotencyKey: `${rec.id}:${step.name}`,
      signal: controller.signal,
      outputs: this.outputsBefore(kind === 'execute' ? index : rec.steps.length),
      params: stepDef.params,
      phase: kind,
      manager: tx?.manager,
    }, attemptTrace.context);
    const timeoutMs = kind === 'execute' ? stepDef.timeoutMs : stepDef.compensationTimeoutMs;
    let outcome = await runAttempt(
      () => attemptTrace.run(() => (kind === 'execute' ? stepDef.handler.execute(rec.input, ctx) : stepDef.handler.compensate!(rec.input, step.output ?? undefined, ctx))),
      timeoutMs,
      controller,
      () => `${kind === 'execute' ? 'Step' : 'Compensation of step'} "${step.name}" did not finish within ${timeoutMs} ms (attempt ${attempt}).`,
    );
    clearTimeout(deadlineTimer);
    attemptTrace.end(outcome);
    this.inFlight = null;
    this.prepared = null;
    if (this.lost || (!outcome.ok && (outcome.abortReason === 'SHUTDOWN' || outcome.abortReason === 'LEASE_LOST'))) {
      await tx?.rollback(true);
      return;
    }
    if (tx) {
      if (outcome.ok) {
        this.pendingTx = { tx, kind, index, attempt, outcome };
      } else {
        // Cut short (timeout, abort), the code may still run: its connection is closed, not reused.
        await tx.rollback(outcome.abortReason !== null);
        // Rolled back: the attempt is known to have had no effect.
        outcome = { ...outcome, outcomeUnknown: false };
      }
    }
    if (kind === 'execute') this.recordExecuteResult(index, outcome);
    else this.recordCompensationResult(index, outcome);
  }

  private recordExecuteResult(index: number, outcome: AttemptOutcome): void {
    const rec = this.rec;
    const step = rec.steps[index];
    const stepDef = this.def.steps[index];
    const timing = timingData(outcome, this.deps.options.instanceId);
    step.finishedAt = outcome.finishedAt.toISOString();
    this.dirty = true;
    if (outcome.ok) {
      this.unstoredOutputs.set(index, outcome);
      step.status = 'COMPLETED';
      step.output = outcome.output;
      step.error = null;
      step.nextAttemptAt = null;
      rec.currentStep = index + 1;
      this.record({ type: 'STEP_SUCCEEDED', step: step.name, attempt: step.attempts, data: timing });
      this.deps.logger.debug?.(`Saga "${rec.name}" (id=${rec.id}) step "${step.name}" succeeded (attempt ${step.attempts})`);
      return;
    }
    step.status = 'FAILED';
    step.error = outcome.error;
    step.outcomeUnknown ||= outcome.outcomeUnknown;
    step.nextAttemptAt = null;
    const used = step.attempts - step.budgetStart;
    const max = stepDef.retry.maxAttempts;
    this.record({
      type: outcome.error.code === 'STEP_TIMEOUT' ? 'STEP_TIMED_OUT' : 'STEP_FAILED',
      step: step.name,
      attempt: step.attempts,
      error: outcome.error,
      data: timing,
    });
    this.deps.logger.warn(`Saga "${rec.name}" (id=${rec.id}) step "${step.name}" failed (attempt ${used}/${max}): ${outcome.error.message}`);
    if (outcome.abortReason && ABORTS_WITHOUT_RETRY.has(outcome.abortReason)) return;
    if (outcome.retryable && used < max) {
      const delayMs = retryDelayMs(stepDef.retry, used);
      step.nextAttemptAt = new Date(Date.now() + delayMs).toISOString();
      this.record({ type: 'STEP_RETRY_SCHEDULED', step: step.name, attempt: step.attempts + 1, data: { delayMs, at: step.nextAttemptAt } });
      return;
    }
    rec.error = { ...outcome.error, message: `Step "${step.name}" failed: ${outcome.error.message}` };
    if (stepDef.onFailure === 'pause') {
      rec.status = 'PAUSED';
      this.record({ type: 'SAGA_PAUSED', step: step.name, reason: 'The step failed and its failure policy is "pause".' });
    } else {
      this.startCompensation('STEP_FAILED', { type: 'COMPENSATION_STARTED', step: step.name, reason: `Step "${step.name}" failed for good.` });
    }
  }

  private recordCompensationResult(index: number, outcome: AttemptOutcome): void {
    const rec = this.rec;
    const step = rec.steps[index];
    const stepDef = this.def.steps[index];
    const comp = step.compensation;
    const timing = timingData(outcome, this.deps.options.instanceId);
    comp.finishedAt = outcome.finishedAt.toISOString();
    this.dirty = true;
    if (outcome.ok) {
      step.status = 'COMPENSATED';
      comp.status = 'COMPENSATED';
      comp.error = null;
      this.record({ type: 'STEP_COMPENSATED', step: step.name, attempt: comp.attempts, data: timing });
      return;
    }
    comp.error = outcome.error;
    comp.status = 'FAILED';
    const used = comp.attempts - comp.budgetStart;
    const max = stepDef.compensationRetry.maxAttempts;
    this.record({ type: 'STEP_COMPENSATION_FAILED', step: step.name, attempt: comp.attempts, error: outcome.error, data: timing });
    this.deps.logger.warn(`Saga "${rec.name}" (id=${rec.id}) compensation of step "${step.name}" failed (attempt ${used}/${max}): ${outcome.error.message}`);
    if (outcome.retryable && used < max) {
      const delayMs = retryDelayMs(stepDef.compensationRetry, used);
      comp.nextAttemptAt = new Date(Date.now() + delayMs).toISOString();
      this.record({ type: 'STEP_RETRY_SCHEDULED', step: step.name, attempt: comp.attempts + 1, data: { delayMs, at: comp.nextAttemptAt, phase: 'compensate' } });
      return;
    }
    comp.nextAttemptAt = null;
    step.status = 'COMPENSATION_FAILED';
    rec.status = 'FAILED';
    rec.error = { ...outcome.error, message: `Compensation of step "${step.name}" failed: ${outcome.error.message}` };
    this.record({ type: 'SAGA_FAILED', step: step.name, error: rec.error });
    this.deps.logger.error(`Saga "${rec.name}" (id=${rec.id}) FAILED: compensation of step "${step.name}" exhausted its retries; an operator must act`);
  }

  private startCompensation(cause: NonNullable<SagaRecord['compensationCause']>, event: NewSagaEvent): void {
    const rec = this.rec;
    rec.status = 'COMPENSATING';
    rec.compensationCause = cause;
    if (rec.error?.code === SAGA_ERROR_CODES.STEP_PAUSED) rec.error = null;
    for (const step of rec.steps) if (step.status === 'FAILED') step.nextAttemptAt = null;
    this.record({ ...event, data: { ...(event.data ?? {}), cause } });
  }

  // ---- operator requests and deadline ------------------------------------------------------

  private applyRequest(request: SagaRequest): void {
    this.request = null;
    this.unprepare();
    const rec = this.rec;
    const who = { actor: request.actor, reason: request.reason };
    const reject = (why: string) =>
      this.record({ type: 'REQUEST_REJECTED', step: request.step, ...who, data: { action: request.action, status: rec.status, why } });
    switch (request.action) {
      case 'cancel':
        if (!canCancel(rec.status)) reject(`cannot cancel a ${rec.status} saga`);
        else this.startCompensation('CANCELLED', { type: 'COMPENSATION_STARTED', ...who });
        break;
      case 'compensate':
        if (!canCompensate(rec.status)) reject(`cannot compensate a ${rec.status} saga`);
        else if (rec.status === 'FAILED') {
          // Compensation was already under way: carry on with it (keeping its cause), failed steps afresh.
          this.retryFailedCompensations();
          this.record({ type: 'COMPENSATION_STARTED', ...who, data: { cause: rec.compensationCause, resumed: true } });
        } else this.startCompensation('OPERATOR', { type: 'COMPENSATION_STARTED', ...who });
        break;
      case 'pause':
        if (!canPause(rec.status)) reject(`cannot pause a ${rec.status} saga`);
        else {
          rec.status = 'PAUSED';
          this.record({ type: 'SAGA_PAUSED', ...who });
        }
        break;
      case 'resume':
      case 'retry':
        if (request.action === 'resume' ? !canResume(rec.status) : !canRetry(rec.status)) {
          reject(`cannot ${request.action} a ${rec.status} saga`);
        } else if (rec.status === 'PAUSED') {
          rec.status = 'RUNNING';
          rec.error = null;
          const step = rec.steps[rec.currentStep];
          if (step && step.status === 'FAILED') {
            step.budgetStart = step.attempts;
            step.nextAttemptAt = null;
          }
          this.record({ type: request.action === 'resume' ? 'SAGA_RESUMED' : 'SAGA_RETRIED', step: step?.name ?? null, ...who });
        } else {
          this.retryFailedCompensations();
          this.record({ type: 'SAGA_RETRIED', ...who });
        }
        break;
      case 'resolve': {
        const step = rec.steps.find((s) => s.name === request.step);
        if (!step || !canResolveStep(rec.status, step.status)) {
          reject(`step "${request.step}" is ${step?.status ?? 'unknown'} and the saga is ${rec.status}`);
          break;
        }
        step.status = 'COMPENSATED';
        step.compensation.status = 'RESOLVED';
        step.compensation.finishedAt = new Date().toISOString();
        step.compensation.nextAttemptAt = null;
        rec.status = 'COMPENSATING';
        rec.error = null;
        this.record({ type: 'STEP_RESOLVED', step: step.name, ...who });
        break;
      }
    }
    this.clearRequestToken = request.token;
    this.dirty = true;
  }

  /** A FAILED saga goes back to compensating; each failed compensation gets a fresh retry budget. */
  private retryFailedCompensations(): void {
    const rec = this.rec;
    for (const step of rec.steps) {
      if (step.status !== 'COMPENSATION_FAILED') continue;
      step.status = 'COMPENSATING';
      step.compensation.status = 'PENDING';
      step.compensation.budgetStart = step.compensation.attempts;
      step.compensation.nextAttemptAt = null;
    }
    rec.status = 'COMPENSATING';
    rec.error = null;
  }

  private checkDeadline(): void {
    const rec = this.rec;
    if (this.deadlineHandled || !rec.deadlineAt || rec.deadlineAt.getTime() > Date.now()) return;
    if (rec.status !== 'RUNNING' && rec.status !== 'PENDING') return;
    this.unprepare();
    this.deadlineHandled = true;
    this.dirty = true;
    const policy = this.def.deadlinePolicy;
    const error: ErrorView = { name: 'SagaDeadlineError', code: 'DEADLINE_PASSED', message: `The saga's deadline (${this.def.timeoutMs} ms) passed.` };
    this.record({ type: 'DEADLINE_PASSED', error, data: { policy } });
    this.deps.logger.warn(`Saga "${rec.name}" (id=${rec.id}) passed its deadline; policy "${policy}"`);
    if (policy === 'compensate') {
      rec.error = error;
      this.startCompensation('DEADLINE', { type: 'COMPENSATION_STARTED', reason: error.message });
    } else if (policy === 'pause') {
      rec.error = error;
      rec.status = 'PAUSED';
      this.record({ type: 'SAGA_PAUSED', reason: error.message });
    }
  }

  // ---- writes ---------------------------------------------------------------------------------

  private record(event: NewSagaEvent): void {
    this.trace.event(event);
    this.events.push(event);
    this.dirty = true;
  }

  private async flush(opts: { release: boolean; nextRunInMs: number | null }): Promise<void> {
    if (!this.dirty && !opts.release && !this.clearRequestToken && !this.pendingTx) return;
    const rec = this.rec;
    const events = this.events.splice(0);
    const cp: Checkpoint = {
      sagaId: rec.id,
      ownerId: this.deps.options.instanceId,
      fence: rec.fence,
      status: rec.status,
      currentStep: rec.currentStep,
      steps: rec.steps,
      error: rec.error,
      compensationCause: rec.compensationCause,
      deadlineHandled: this.deadlineHandled,
      finished: rec.status === 'COMPLETED' || rec.status === 'COMPENSATED' || rec.status === 'CANCELLED',
      release: opts.release,
      nextRunInMs: opts.nextRunInMs,
      leaseMs: this.deps.options.leaseMs,
      clearRequestToken: this.clearRequestToken,
      events,
    };
    const pending = this.pendingTx;
    this.pendingTx = null;
    const result = pending ? await this.commitStepTransaction(pending, cp) : await this.write(cp);
    if (!result) return;
    if (result === 'reloaded') {
      this.reloaded = true;
      return;
    }
    if (!result.ok) {
      this.deps.logger.warn(`Saga "${rec.name}" (id=${rec.id}) was taken over by another instance; this instance stops working on it`);
      this.lost = true;
      this.recordLeaseLost();
      return;
    }
    this.dirty = false;
    this.unstoredOutputs.clear();
    const applied = this.clearRequestToken;
    this.clearRequestToken = null;
    if (applied) {
      this.appliedWaiters.get(applied)?.(true);
      this.appliedWaiters.delete(applied);
    }
    const at = new Date();
    for (const e of events) {
      this.deps.emit({
        type: e.type,
        sagaId: rec.id,
        sagaName: rec.name,
        status: rec.status,
        step: e.step ?? undefined,
        attempt: e.attempt ?? undefined,
        durationMs: typeof e.data?.durationMs === 'number' ? e.data.durationMs : undefined,
        error: e.error?.message,
        actor: e.actor ?? undefined,
        reason: e.reason ?? undefined,
        at,
      });
    }
    if (result.request && result.request.token !== this.lastRequestToken) this.onRequest(result.request);
  }

  /**
   * Retries the write while the database is unreachable; a database outage pauses progress, never
   * loses it. A refused write (the data itself, see SagaUnstorableDataError) is never retried as is:
   * the state is read back and the step output at fault fails its step ('reloaded').
   */
  private async write(cp: Checkpoint): Promise<CheckpointResult | 'reloaded' | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.store.checkpoint(cp);
      } catch (error) {
        if (this.lost) return null;
        if ((error as { code?: unknown }).code === SAGA_ERROR_CODES.DATA_UNSTORABLE) {
          try {
            await this.reloadAfterRefusal(error as Error);
            return 'reloaded';
          } catch (reloadError) {
            // Could not even read the saga back (database gone meanwhile): wait and try it all again.
            error = reloadError;
          }
        }
        const delay = Math.min(100 * 2 ** Math.min(attempt, 6), 5_000);
        this.deps.logger.warn(
          `Saga "${cp.sagaId}" checkpoint failed (attempt ${attempt}): ${(error as Error).message}; retrying in ${delay} ms`,
        );
        if (this.stopping && attempt >= 5) return null;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Writes the checkpoint in the transactional attempt's transaction and commits both. A transaction
   * cannot be written again, so when this fails the saga is read back: if the commit went through
   * (it was cut off after the database had it) the stored state is the attempt's result; if not,
   * nothing of the attempt remains and it is recorded as a failed attempt, retried as usual.
   */
  private async commitStepTransaction(pending: NonNullable<SagaRunner['pendingTx']>, cp: Checkpoint): Promise<CheckpointResult | 'reloaded' | null> {
    try {
      return await pending.tx.commit(cp);
    } catch (error) {
      if (this.lost) return null;
      this.deps.logger.warn(
        `Saga "${this.rec.name}" (id=${this.rec.id}) transaction of step "${this.rec.steps[pending.index]?.name}" failed: ${(error as Error).message}; reading the saga back`,
      );
      for (let attempt = 1; ; attempt++) {
        try {
          const stored = await this.deps.store.get(this.rec.id);
          if (!this.adoptStored(stored)) return null;
          break;
        } catch (readError) {
          if (this.lost) return null;
          if (this.stopping && attempt >= 5) {
            // Whether it committed is unknown here: never write over it; the lease expires and another instance reads it.
            this.lost = true;
            return null;
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** Math.min(attempt, 6), 5_000)));
        }
      }
      const step = this.rec.steps[pending.index];
      const uncommitted =
        pending.kind === 'execute'
          ? step.status === 'RUNNING' && step.attempts === pending.attempt
          : step.compensation.status === 'RUNNING' && step.compensation.attempts === pending.attempt;
      if (uncommitted) {
        const timing = { durationMs: pending.outcome.durationMs, startedAt: pending.outcome.startedAt, finishedAt: pending.outcome.finishedAt };
        const refused = (error as { code?: unknown }).code === SAGA_ERROR_CODES.DATA_UNSTORABLE;
        const failed: AttemptOutcome = refused
          ? { ...(unstorableOutput(`The step's output cannot be stored: ${(error as Error).message}`, timing) as Extract<AttemptOutcome, { ok: false }>), outcomeUnknown: false }
          : { ok: false, error: toErrorView(error), outcomeUnknown: false, retryable: true, abortReason: null, ...timing };
        if (pending.kind === 'execute') this.recordExecuteResult(pending.index, failed);
        else this.recordCompensationResult(pending.index, failed);
      }
      return 'reloaded';
    }
  }

  /**
   * Takes the state as last stored, dropping what was not written; false (and the saga is lost) when
   * another instance holds it now. Requests applied in the lost write are still on the row.
   */
  private adoptStored(stored: SagaRecord | null): boolean {
    const rec = this.rec;
    if (!stored || stored.fence !== rec.fence || stored.ownerId !== this.deps.options.instanceId) {
      this.lost = true;
      this.recordLeaseLost();
      return false;
    }
    this.unstoredOutputs = new Map();
    Object.assign(rec, {
      status: stored.status,
      currentStep: stored.currentStep,
      steps: stored.steps,
      error: stored.error,
      compensationCause: stored.compensationCause,
      deadlineHandledAt: stored.deadlineHandledAt,
      request: stored.request,
    });
    this.deadlineHandled = stored.deadlineHandledAt !== null;
    this.events.length = 0;
    this.prepared = null;
    this.clearRequestToken = null;
    this.request = null;
    this.lastRequestToken = null;
    if (stored.request) this.onRequest(stored.request);
    this.dirty = true;
    return true;
  }

  private takeReloaded(): boolean {
    const reloaded = this.reloaded;
    this.reloaded = false;
    return reloaded;
  }

  /**
   * The store refused a checkpoint for good. Its content is dropped and the state read back as last
   * stored (we still hold the fence); requests applied in the lost write are still on the row and are
   * applied again. A step whose new output was in that write is what the store refused (the scan in
   * runAttempt catches the known cases before this): it fails, without retry, and the saga
   * compensates. With no such step nothing here can be fixed, so the saga is given back for a later
   * attempt instead of retrying the same write forever.
   */
  private async reloadAfterRefusal(error: Error): Promise<void> {
    const rec = this.rec;
    const stored = await this.deps.store.get(rec.id);
    if (!stored || stored.fence !== rec.fence || stored.ownerId !== this.deps.options.instanceId) {
      this.lost = true;
      this.recordLeaseLost();
      return;
    }
    const outputs = this.unstoredOutputs;
    this.unstoredOutputs = new Map();
    // Stored as RUNNING: the attempt whose output could not be written is the one that ran.
    const culprits = [...outputs].filter(([index]) => stored.steps[index]?.status === 'RUNNING');
    Object.assign(rec, {
      status: stored.status,
      currentStep: stored.currentStep,
      steps: stored.steps,
      error: stored.error,
      compensationCause: stored.compensationCause,
      deadlineHandledAt: stored.deadlineHandledAt,
      request: stored.request,
    });
    this.deadlineHandled = stored.deadlineHandledAt !== null;
    this.events.length = 0;
    this.prepared = null;
    this.clearRequestToken = null;
    this.request = null;
    this.lastRequestToken = null;
    if (stored.request) this.onRequest(stored.request);
    this.dirty = true;
    if (!culprits.length) {
      this.deps.logger.error(
        `Saga "${rec.name}" (id=${rec.id}): the store refused its state (${error.message}); giving it back, any instance retries in ${REFUSED_RETRY_MS} ms`,
      );
      this.lost = true;
      await this.deps.store.releaseAll(this.deps.options.instanceId, [{ sagaId: rec.id, fence: rec.fence }], REFUSED_RETRY_MS).catch(() => undefined);
      return;
    }
    for (const [index, outcome] of culprits) {
      this.recordExecuteResult(
        index,
        unstorableOutput(`The step's output cannot be stored: ${error.message}`, {
          durationMs: outcome.durationMs,
          startedAt: outcome.startedAt,
          finishedAt: outcome.finishedAt,
        }),
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private outputsBefore(index: number): Record<string, unknown> {
    const outputs: Record<string, unknown> = {};
    for (let i = 0; i < index; i++) {
      const step = this.rec.steps[i];
      if (step.output !== undefined && step.status !== 'PENDING') outputs[step.name] = step.output;
    }
    return Object.freeze(outputs);
  }
}

function needsCompensation(step: StepState): boolean {
  const done = step.compensation.status === 'COMPENSATED' || step.compensation.status === 'SKIPPED' || step.compensation.status === 'RESOLVED';
  if (done) return false;
  if (step.status === 'COMPLETED' || step.status === 'COMPENSATING' || step.status === 'COMPENSATION_FAILED') return true;
  return (step.status === 'FAILED' || step.status === 'RUNNING') && step.outcomeUnknown;
}

function timingData(outcome: AttemptOutcome, instanceId: string): Record<string, unknown> {
  return {
    startedAt: outcome.startedAt.toISOString(),
    finishedAt: outcome.finishedAt.toISOString(),
    durationMs: outcome.durationMs,
    instanceId,
  };
}

export function newStepStates(stepNames: readonly string[]): StepState[] {
  return stepNames.map((name) => ({
    name,
    status: 'PENDING',
    attempts: 0,
    budgetStart: 0,
    error: null,
    startedAt: null,
    finishedAt: null,
    nextAttemptAt: null,
    outcomeUnknown: false,
    compensation: { status: null, attempts: 0, budgetStart: 0, error: null, startedAt: null, finishedAt: null, nextAttemptAt: null },
  }));
}
